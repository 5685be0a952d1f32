"""The package version and the git commit of the source tree, for provenance.

``__version__`` is the installed distribution's version (``pyproject.toml``); ``git_commit()`` is the
commit of the source tree the package runs from (``-dirty`` with uncommitted changes), or
``"unknown"`` outside a git checkout. Both go into every run folder and exported network.
"""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

try:
    __version__ = metadata.version("lsnn")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

#: The repository root (the folder holding ``pyproject.toml``) when the package runs from a checkout.
SOURCE_ROOT = Path(__file__).resolve().parents[1]


def git_commit() -> str:
    """The source tree's git commit (with ``-dirty`` when tracked files changed), or ``unknown``."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=SOURCE_ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=SOURCE_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (commit + ("-dirty" if dirty else "")) if commit else "unknown"
