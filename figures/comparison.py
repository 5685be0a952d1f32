"""Bar charts of the eLife comparisons (Fig. 2A/B, delayed XOR, 12AX, duplication/reversal): our mean
+- std over seeds per network variant, the paper's number where it gives one (reads the per-run table
``<name>_runs.csv`` of ``lsnn reproduce <name>``, whose ``paper`` column carries the published value)."""

from __future__ import annotations

import re
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import style_context

#: Labels of the model variants as in the paper's figures.
VARIANT_LABELS = {"sfa": "SFA", "lif": "LIF", "elif": "ELIF", "stp_d": "STP-D", "stp_f": "STP-F", "lstm": "LSTM", "rnn": "tanh RNN",
                  "sfa-all": "all SFA", "sfa-10pct": "10 % SFA",
                  **{f"sfa-noise{s:g}": f"σ = {s:g}" for s in (0.05, 0.075, 0.1, 0.2, 0.5)}}


def figure_comparison(frame: pd.DataFrame, title: str, metric_label: str, note: str = "", paper_label: str = "paper") -> Figure:
    """One bar per variant (in the frame's order) with the seeds as dots and the paper's value as a black tick.

    ``title``: the comparison (e.g. "Fig. 2B: 1-D STORE-RECALL"); ``metric_label``: the y axis, in %; ``note``: a line
    under the title (e.g. that the data are a SYNTHETIC corpus); ``paper_label``: the legend of the paper's ticks (say so
    where the paper measured under another protocol than our rows, as the 12AX noise test does)."""
    models = list(dict.fromkeys(frame["model"]))
    with style_context():
        fig = Figure(figsize=(1.6 + 0.8 * len(models), 3.2), layout="constrained")  # labels never clipped
        ax = fig.subplots()
        shown_paper = False
        for k, model in enumerate(models):
            part = frame.loc[frame["model"] == model]
            acc = part["accuracy"].to_numpy()
            ax.bar(k, acc.mean(), yerr=acc.std(ddof=1) if len(acc) > 1 else None, color="C0" if model.startswith("sfa") else "0.6", capsize=3)
            ax.plot(np.full(len(acc), k), acc, "o", color="k", ms=3, alpha=0.6, label="seeds" if k == 0 else None)
            paper = part["paper"].iloc[0] if "paper" in part else None
            if paper is not None and np.isfinite(paper):
                ax.plot([k - 0.4, k + 0.4], [paper, paper], "k-", lw=2, label=None if shown_paper else paper_label)
                shown_paper = True
        labels = {**VARIANT_LABELS, **({"sfa": "50 % SFA"} if {"sfa-all", "sfa-10pct"} & set(models) else {})}  # the fractions shown
        ax.set_xticks(range(len(models)), [labels.get(m, m) for m in models])
        ax.set_ylim(0, 104)  # dots of seeds at 100 % stay visible
        ax.set_ylabel(f"{metric_label} (%)")
        n_seeds = int(frame.groupby("model").size().max())
        width = 18 + 12 * len(models)  # characters: never wider than the axes
        name = textwrap.fill(re.sub(r", \d+ neurons.*$", "", title.split(" (paper")[0]), width=width)
        bars = f"bars: mean ± s.d. over {n_seeds} seeds" if n_seeds > 1 else "bars: one seed each"
        ax.set_title(f"{name}\n({bars})"
                     + (f"\n{textwrap.fill(note, width=width)}" if note else ""), fontsize=8)
        ax.legend(frameon=False, fontsize=8)
    return fig
