"""eLife Table 1 as a figure: recall accuracy by adaptation time constant and expected delay, ours
next to the paper's (reads the per-run table ``table1_runs.csv`` of ``lsnn reproduce elife-table1``,
whose ``paper`` column carries the published value of each cell)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import style_context


def table1_matrices(frame: pd.DataFrame) -> tuple[list[str], list[str], list[float], np.ndarray, np.ndarray]:
    """Rows (in the frame's order), their labels, delays, our mean accuracy and the paper's, as (rows, delays) arrays (%)."""
    rows = list(dict.fromkeys(frame["row"]))
    labels = [str(frame.loc[frame["row"] == r, "label"].iloc[0]) if "label" in frame else r for r in rows]
    delays = sorted(set(frame["delay_s"]))
    ours = np.full((len(rows), len(delays)), np.nan)
    paper = np.full_like(ours, np.nan)
    means = frame.groupby(["row", "delay_s"])["accuracy"].mean()
    published = frame.groupby(["row", "delay_s"])["paper"].first()
    for i, row in enumerate(rows):
        for j, d in enumerate(delays):
            if (row, d) in means.index:
                ours[i, j] = means[(row, d)]
                paper[i, j] = published[(row, d)]
    return rows, labels, delays, ours, paper


def figure_table1(frame: pd.DataFrame) -> Figure:
    """Two heat maps (ours, the paper's) with the accuracy written in each cell (50 % = chance)."""
    rows, labels, delays, ours, paper = table1_matrices(frame)
    n_seeds = int(frame.groupby(["row", "delay_s"]).size().max())
    with style_context():
        fig = Figure(figsize=(5.5 + 1.6 * len(delays), 0.5 * len(rows) + 2.0), layout="constrained")  # labels never clipped
        axes = fig.subplots(1, 2, sharey=True)
        for ax, values, title in zip(axes, (ours, paper), (f"this package ({n_seeds} seed{'s' if n_seeds > 1 else ''})",
                                                          "Salaj et al. 2021, Table 1")):
            image = ax.imshow(values, vmin=50, vmax=100, cmap="viridis", aspect="auto")
            for (i, j), v in np.ndenumerate(values):
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.0f}", ha="center", va="center", color="w" if v < 80 else "k", fontsize=8)
            ax.set_xticks(range(len(delays)), [f"{d:g} s" for d in delays])
            ax.set_xlabel("expected delay")
            ax.set_title(title)
        axes[0].set_yticks(range(len(rows)), labels)
        fig.colorbar(image, ax=axes, label="recall accuracy (%)")
    return fig
