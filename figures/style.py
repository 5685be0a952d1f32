"""The package's matplotlib style, as a context (nothing changes ``rcParams`` at import)."""

from __future__ import annotations

from importlib.resources import files

import matplotlib.pyplot as plt

STYLE = str(files("lsnn.figures") / "lsnn.mplstyle")


def style_context():
    """``with style_context(): ...`` draws with the LSNN style."""
    return plt.style.context(STYLE)
