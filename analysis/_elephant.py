"""Elephant, imported on first use without its side effect on warnings.

Elephant 1.2 imports scikit-learn at its own import and its ``spade`` module calls
``warnings.simplefilter("once", UserWarning)``, which changes warning filters process-wide. The analysis
functions import Elephant inside themselves, after :func:`load`, which performs the first import inside
``warnings.catch_warnings()`` so that no filter of Elephant outlives it.
"""

from __future__ import annotations

import warnings


def load() -> None:
    """Import Elephant once, discarding the warning filters it installs (module docstring)."""
    with warnings.catch_warnings():
        import elephant  # noqa: F401
