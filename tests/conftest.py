"""Test set-up: Cython's and the BPTT kernel's caches inside the work tree, quiet third-party deprecation noise."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CYTHON_CACHE_DIR", str(ROOT / ".cython_cache"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("LSNN_CACHE_DIR", str(ROOT / ".lsnn_cache"))  # the compiled BPTT kernel
