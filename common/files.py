"""Atomic file writes and lock files, used by every folder that writes results.

A result file is written to a temporary file in the same folder (``.<name>.<random>.lsnn-tmp<ext>``),
flushed to disk and renamed over the destination, so a reader (or a killed process) never sees a
half-written file. The rename replaces a symbolic link at the destination instead of writing through
it, so nothing outside the destination's folder is ever written. Files get the permissions that the
process's umask allows (``0o666 & ~umask``, as ``open`` would give them), so colleagues can read a
shared run folder. Temporary files left by killed writes are removed by
:func:`remove_stale_temporaries`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

#: Suffix of the temporary files of atomic writes (recognised by :func:`remove_stale_temporaries`).
TMP_SUFFIX = ".lsnn-tmp"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block succeeds it becomes ``path`` (rename).

    For writers that want a file name (``torch.save``, Neo's ``NWBIO``, ``Figure.savefig``). On an
    exception the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the destination's extension last: writers that check it (pynwb: ".nwb") see the right one
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX + path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:  # the writer may have closed it without syncing
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """``open`` for writing that replaces ``path`` atomically when the block succeeds (module docstring)."""
    if not mode.startswith("w"):
        raise ValueError(f"atomic_open writes a new file; mode must start with 'w', got {mode!r}.")
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=None if "b" in mode else encoding) as fh:
            yield fh
            fh.flush()


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path, "w") as fh:
        fh.write(text)
    return Path(path)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def remove_stale_temporaries(folder: str | os.PathLike) -> int:
    """Remove the temporary files of interrupted atomic writes in ``folder`` (not recursive).

    Call only where no other process writes into ``folder`` at the same time (e.g. under its lock).
    Returns how many were removed."""
    removed = 0
    for tmp in Path(folder).glob(f".*{TMP_SUFFIX}*"):
        if tmp.is_file() and not tmp.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed += 1
    return removed


def open_lock_file(path: str | os.PathLike) -> int:
    """Open (creating if needed) a lock file for ``fcntl.flock`` without truncating it and without
    following a symbolic link; returns the file descriptor.

    Raises
    ------
    OSError
        ``ELOOP`` with a message naming the link, if ``path`` is a symbolic link.
    """
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, f"{path} is a symbolic link; refusing to use it as a lock file (remove the link)") from None
        raise
