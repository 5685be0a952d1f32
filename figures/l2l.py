"""Learning-to-learn figures of the NeurIPS paper (Fig. 2C, E, F).

* :func:`figure_l2l_learning_curve` (Fig. 2C): the network's MSE on new functions during training (outer
  loop), with the linear predictor's test MSE (mean +- s.d. over episodes) as a band.
* :func:`figure_l2l_step_errors` (Fig. 2E/F): squared error against the step k of an episode (the number of
  examples seen so far) for the network, the linear predictor fitted on the steps before k, and backprop on
  the target-network architecture; means over episodes with s.e.m. bands, log y axis.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .style import style_context

#: Colours of the learners.
COLORS = {"LSNN": "tab:red", "linear predictor": "0.35", "backprop (2-10-1)": "tab:blue"}


def figure_l2l_learning_curve(curve: pd.DataFrame, linear_mse: float, linear_std: float, title: str = "", network_mse: float | None = None,
                              n_episodes: int | None = None, n_test_curve: int | None = None) -> Figure:
    """``curve``: columns ``iteration`` and ``mse`` (training batches) and optionally ``test_mse`` (periodic tests on
    ``n_test_curve`` new episodes). ``linear_mse`` +- ``linear_std``: the linear predictor on ``n_episodes`` held-out
    episodes of the trained network, whose own MSE on those same episodes is ``network_mse`` (a star at the end)."""
    on = f"{n_episodes} " if n_episodes else ""
    with style_context():
        fig = Figure(figsize=(4.8, 3.4), layout="constrained")
        ax = fig.subplots()
        ax.plot(curve["iteration"], curve["mse"], color="tab:red", alpha=0.35, lw=0.8, label="LSNN, training batches")
        if "test_mse" in curve and curve["test_mse"].notna().any():
            tested = curve.dropna(subset=["test_mse"])
            ax.plot(tested["iteration"] + 1, tested["test_mse"], "o-", color="tab:red", ms=3,
                    label=f"LSNN, {n_test_curve or 'the first'} new test episodes")
        ax.axhspan(max(linear_mse - linear_std, linear_mse / 10), linear_mse + linear_std, color="0.8", alpha=0.6)  # log axis: floor
        ax.axhline(linear_mse, color="0.35", ls="--", label=f"linear predictor on the trained network's spikes, {on}test episodes (± s.d.)")
        if network_mse is not None:
            ax.plot(curve["iteration"].iloc[-1] + 1, network_mse, "*", color="k", ms=10, label=f"trained LSNN on the same {on}episodes")
        _log_axes(ax, "training iteration (outer loop)", "MSE", title, log_x=False)
    return fig


def figure_l2l_step_errors(errors: Mapping[str, np.ndarray], title: str = "") -> Figure:
    """``errors[learner]``: squared errors (episodes, steps) with step k at column k (the linear predictor's
    online errors start at step 1: give them padded with NaN at step 0)."""
    with style_context():
        fig = Figure(figsize=(4.8, 3.2), layout="constrained")
        ax = fig.subplots()
        for k, (learner, values) in enumerate(errors.items()):
            values = np.asarray(values, dtype=float)
            steps = np.arange(values.shape[1])
            n = np.isfinite(values).sum(axis=0)
            with warnings.catch_warnings():  # steps without a value (the linear predictor's step 1) stay NaN, not drawn
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(values, axis=0)
                sem = np.nanstd(values, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1)) if values.shape[0] > 1 else np.zeros_like(mean)
            color = COLORS.get(learner, f"C{k}")
            ax.plot(steps + 1, mean, color=color, lw=1.2, label=f"{learner} ({values.shape[0]} episodes)")
            ax.fill_between(steps + 1, np.maximum(mean - sem, 1e-12), mean + sem, color=color, alpha=0.2, lw=0)
        _log_axes(ax, "step k of the episode (examples seen: k - 1)", "squared error at step k", title, log_x=True)
    return fig


def _log_axes(ax, xlabel: str, ylabel: str, title: str, log_x: bool) -> None:
    """Log y (and x) axes, labels, the legend below the axes, the title."""
    if log_x:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    if title:
        ax.set_title(title, fontsize=8)
