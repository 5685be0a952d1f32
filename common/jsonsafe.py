"""Plain JSON values from numpy, pandas and pathlib values, and strict JSON text.

Result files (``test.json``, ``validation.json``, tables, reports) are read by other programs, so they
are strict JSON: no bare ``NaN`` or ``Infinity`` (not JSON), missing numbers are ``null``.

>>> import numpy as np
>>> json_safe({"a": np.float32(0.5), "b": np.array([1, 2]), "c": float("nan"), 3: (np.int64(4),)})
{'a': 0.5, 'b': [1, 2], 'c': None, '3': [4]}
>>> dumps({"x": np.nan})
'{"x": null}'
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any


def json_safe(value: Any) -> Any:
    """A copy of ``value`` made of dicts (string keys), lists, strings, bools, ints, finite floats and None.

    numpy scalars and arrays become Python numbers and (nested) lists, NaN and infinities become None,
    tuples and sets become lists, paths become strings. Anything else raises ``TypeError`` naming its type.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    item = getattr(value, "tolist", None)  # numpy scalars and arrays, pandas NA-free arrays
    if callable(item):
        return json_safe(item())
    if type(value).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return None
    raise TypeError(f"cannot store a {type(value).__name__} in JSON: {value!r}")


def dumps(value: Any, indent: int | None = None) -> str:
    """Strict JSON text of ``json_safe(value)`` (never a bare NaN)."""
    return json.dumps(json_safe(value), indent=indent, allow_nan=False)
