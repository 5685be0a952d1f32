"""The eLife 12AX noise test as a curve: the task's metric against the s.d. of the current noise, ours next to
the paper's (reads the frame of :func:`lsnn.app.noise_test.noise_test`)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import style_context


def figure_noise_test(frame: pd.DataFrame, title: str) -> Figure:
    """Success (or accuracy) in % against sigma (V per step), with the free-membrane s.d. (mV) on a second axis
    along the top and the paper's points where it gives them."""
    metric = "success" if "success" in frame else "accuracy"
    label = "episodes entirely right (%)" if metric == "success" else "answers right (%)"
    sigma = frame["sigma"].to_numpy(float)
    with style_context():
        fig = Figure(figsize=(4.2, 3.2), layout="constrained")
        ax = fig.subplots()
        ax.plot(sigma, frame[metric], "o-", color="C0", label=f"ours ({int(frame['n_trials'].iloc[0]):,} trials)")
        paper = frame["paper"].to_numpy(dtype=float, na_value=np.nan)
        if np.isfinite(paper).any():
            known = np.isfinite(paper)
            ax.plot(sigma[known], paper[known], "s--", color="k", ms=4, label="paper (12AX, 2,000 episodes)")
        ax.set_xlabel("noise s.d. σ (V per 1 ms step)")
        ax.set_ylabel(label)
        ax.set_ylim(-2, 102)
        ax.set_xlim(-0.02, sigma.max() * 1.05 + 1e-3)
        top = ax.secondary_xaxis("top", functions=(lambda s: s * _mv_per_volt(frame), lambda m: m / _mv_per_volt(frame)))
        top.set_xlabel("free-membrane s.d. (mV)", fontsize=8)
        ax.set_title(textwrap.fill(title, 48), fontsize=8)
        ax.legend(frameon=False, fontsize=8)
    return fig


def _mv_per_volt(frame: pd.DataFrame) -> float:
    """Free-membrane s.d. in mV per volt of sigma (linear in sigma; from the frame's nonzero levels)."""
    noisy = frame.loc[frame["sigma"] > 0]
    return float((noisy["membrane_sd_mV"] / noisy["sigma"]).mean()) if len(noisy) else 1.0
