"""Bar charts of the eLife comparisons (Fig. 2A/B, delayed XOR, 12AX, duplication/reversal): our mean
+- std over seeds per network variant, the paper's number where it gives one (reads the per-run table
of ``lsnn reproduce <name>``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lsnn.training.reproduce import COMPARISONS

from .style import style_context

#: Labels of the model variants as in the paper's figures.
VARIANT_LABELS = {"sfa": "SFA", "lif": "LIF", "elif": "ELIF", "stp_d": "STP-D", "stp_f": "STP-F", "lstm": "LSTM", "rnn": "tanh RNN"}


def figure_comparison(frame: pd.DataFrame, name: str) -> Figure:
    """One bar per variant (the paper's order) with the seeds as dots and the paper's value as a black tick."""
    comparison = COMPARISONS[name]
    models = [m for m in comparison.variants if m in set(frame["model"])]
    with style_context():
        fig = Figure(figsize=(1.0 + 0.8 * len(models), 3.0))
        ax = fig.subplots()
        for k, model in enumerate(models):
            acc = frame.loc[frame["model"] == model, "accuracy"].to_numpy()
            ax.bar(k, acc.mean(), yerr=acc.std(ddof=1) if len(acc) > 1 else None, color="C0" if model == "sfa" else "0.6", capsize=3)
            ax.plot(np.full(len(acc), k), acc, "o", color="k", ms=3, alpha=0.6)
            paper = comparison.variants[model]
            if paper is not None:
                ax.plot([k - 0.4, k + 0.4], [paper, paper], "k-", lw=2, label="paper" if k == 0 else None)
        ax.set_xticks(range(len(models)), [VARIANT_LABELS.get(m, m) for m in models])
        ax.set_ylim(0, 100)
        ax.set_ylabel(f"{comparison.metric_label} (%)")
        ax.set_title(comparison.title.split(":")[0], fontsize=9)
        if any(comparison.variants[m] is not None for m in models):
            ax.legend(frameon=False, fontsize=8)
    return fig
