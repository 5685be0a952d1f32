"""Names of a package that are imported when first used (PEP 562), so a wing imports alone.

``lsnn.models`` exports ``simulate`` without importing Brian2 until it is used, ``lsnn.training``
exports ``LSNN`` without importing PyTorch::

    __getattr__, __dir__ = lazy_exports(__name__, {"simulate": "simulation"}, globals())
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, names: dict[str, str], namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package`` for ``names`` (name -> submodule):
    the submodule is imported on first access and the value cached in the package's ``namespace``."""

    def __getattr__(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(f"{package}.{names[name]}"), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
