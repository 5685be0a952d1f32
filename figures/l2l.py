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


def figure_l2l_episode(inputs: np.ndarray, spikes: np.ndarray, adaptive: np.ndarray, predictions: np.ndarray, targets: np.ndarray,
                       step_duration: float, dt: float, n_inputs_shown: int = 100, title: str = "") -> Figure:
    """Fig. 2D: the first steps of an episode -- input spikes (``n_inputs_shown`` of them, evenly spread), the
    regular (R) and adaptive (A) neurons' spikes with their mean rates, and the answer per step against the target.
    ``inputs`` (T, n_in), ``spikes`` (T, n_rec), ``adaptive`` (n_rec,) bool, ``predictions``/``targets`` (steps,)."""
    t = np.arange(len(spikes)) * dt
    n_steps = len(predictions)
    step_t = (np.arange(n_steps) + 0.5) * step_duration
    shown = np.linspace(0, inputs.shape[1] - 1, min(n_inputs_shown, inputs.shape[1])).round().astype(int)
    with style_context():
        fig = Figure(figsize=(6.4, 5.4), layout="constrained")
        axes = fig.subplots(4, 1, sharex=True, height_ratios=[1.4, 1.4, 1.0, 1.1])
        step, ch = np.nonzero(inputs[:, shown])
        axes[0].plot(t[step], ch, "|", ms=1.5, color="0.3")
        axes[0].set(ylabel=f"input\n({len(shown)} of {inputs.shape[1]})", ylim=(-0.5, len(shown) - 0.5))
        duration = len(spikes) * dt
        for ax, mask, name, color in ((axes[1], ~adaptive, "R", "tab:blue"), (axes[2], adaptive, "A", "tab:red")):
            idx = np.flatnonzero(mask)
            step, neuron = np.nonzero(spikes[:, idx])
            ax.plot(t[step], neuron, "|", ms=1.5, color=color)
            rate = spikes[:, idx].sum() / max(len(idx), 1) / duration
            ax.set(ylabel=f"{name}\n({len(idx)} neurons,\n{rate:.1f} Hz)", ylim=(-0.5, len(idx) - 0.5))
        axes[3].plot(step_t, targets, "o", color="0.3", ms=3, label="target C(x_k)")
        axes[3].plot(step_t, predictions, "s", color="tab:red", ms=3, label="LSNN answer (mean readout over the step)")
        axes[3].set(ylabel="output", xlabel="time (s)")
        axes[3].legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=2)
        for ax in axes:
            for k in range(1, n_steps):
                ax.axvline(k * step_duration, color="0.9", lw=0.5, zorder=0)
        if title:
            fig.suptitle(title, fontsize=9)
    return fig


def figure_l2l_internal_model(probes: np.ndarray, after: np.ndarray, predictions: np.ndarray, truth: np.ndarray, x: np.ndarray,
                              targets: np.ndarray, xlabel: str, title: str = "") -> Figure:
    """Fig. 2G/H and 2I: the function on the probes (black), the network's internal model after k examples
    (one colour per k, light to dark), and the examples shown (dots; those of the largest k)."""
    import matplotlib

    cmap = matplotlib.colormaps["Reds"]
    with style_context():
        fig = Figure(figsize=(4.8, 3.3), layout="constrained")
        ax = fig.subplots()
        ax.plot(probes, truth, color="k", lw=1.6, label="function of this episode")
        for j, (k, p) in enumerate(zip(after, predictions)):
            ax.plot(probes, p, color=cmap(0.35 + 0.65 * j / max(len(after) - 1, 1)), lw=1.1, label=f"LSNN after {k} examples")
        shown = int(max(after))
        if shown and x.shape[-1] == 1:  # examples on the probed axis (sines); a 2-D input is not on the slice
            ax.plot(x[:shown, 0], targets[:shown], "o", color="tab:blue", ms=4, label=f"the {shown} examples shown")
        ax.set(xlabel=xlabel, ylabel="output")
        ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
        if title:
            ax.set_title(title, fontsize=8)
    return fig
