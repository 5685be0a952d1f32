"""Writing the application's output files: figures and tables, atomically (:mod:`lsnn.common.files`)."""

from __future__ import annotations

import os
from pathlib import Path

from lsnn.common.files import atomic_path


def save_figure(fig, path: str | os.PathLike, dpi: int = 150) -> Path:
    """``fig.savefig`` to ``path`` (format from its extension) through a temporary file and a rename."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return path


def save_csv(frame, path: str | os.PathLike, index: bool = False) -> Path:
    """``frame.to_csv`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=index)
    return path


def writable_folder(path: str | os.PathLike) -> Path:
    """Create ``path`` if needed and check that files can be written into it, before any computation:
    an unwritable output is reported at once, not after an hour of training. Returns the folder."""
    import tempfile

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".lsnn-write-check-"):
            pass
    except OSError as exc:
        raise OSError(f"cannot write into {path}: {exc.strerror or exc}; choose another output folder (--out).") from None
    return path
