"""Test set-up: Cython's cache inside the work tree, quiet third-party deprecation noise."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CYTHON_CACHE_DIR", str(ROOT / ".cython_cache"))
os.environ.setdefault("MPLBACKEND", "Agg")
