"""Figures of any trained run: its learning curves and one held-out trial (input, network, readout).

``figure_training_curves`` draws the per-iteration log of ``lsnn train`` (``metrics.jsonl``: loss, the
task metric, firing rate); ``figure_trial`` one trial of any task, spike input as a raster and analog
input (speech features, XOR pulses) as an image, the recurrent raster and every readout.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .store_recall import plot_raster
from .style import style_context

#: Columns of ``metrics.jsonl`` drawn as the task metric, in order of preference.
METRIC_COLUMNS = ("accuracy", "success", "mse")


def figure_training_curves(metrics: pd.DataFrame, title: str = "") -> Figure:
    """Loss (log scale), the task metric (%) and the mean firing rate (Hz) against the iteration.

    ``metrics``: one row per iteration with ``iteration``, ``loss`` and optionally ``accuracy`` /
    ``success``, ``rate_hz`` (the trainer's ``metrics.jsonl``)."""
    if metrics.empty or "iteration" not in metrics or "loss" not in metrics:
        raise ValueError("metrics must hold one row per iteration with 'iteration' and 'loss' columns.")
    metric = next((c for c in METRIC_COLUMNS if c in metrics and metrics[c].notna().any()), None)
    panels = ["loss"] + ([metric] if metric else []) + (["rate_hz"] if "rate_hz" in metrics and metrics["rate_hz"].notna().any() else [])
    labels = {"loss": "training loss", "accuracy": "batch accuracy (%)", "success": "batch success (%)", "mse": "batch MSE",
              "rate_hz": "mean rate (Hz)"}
    with style_context():
        fig = Figure(figsize=(4.2 * len(panels), 3.0))
        axes = np.atleast_1d(fig.subplots(1, len(panels)))
        it = metrics["iteration"].to_numpy()
        for ax, column in zip(axes, panels):
            values = metrics[column].to_numpy(dtype=float) * (100 if column in ("accuracy", "success") else 1)
            ax.plot(it, values, color="0.3", lw=0.8)
            window = max(1, len(values) // 20)
            if window > 1:  # running mean over 5 % of the run, to read the trend
                smooth = np.convolve(values, np.ones(window) / window, mode="valid")
                ax.plot(it[window - 1:], smooth, color="tab:red", lw=1.5, label=f"running mean ({window} iterations)")
                ax.legend(frameon=False, fontsize=7)
            if column == "loss" and np.all(values > 0) and values.max() > 10 * values.min():
                ax.set_yscale("log")  # only where the loss spans more than a decade
            if column in ("accuracy", "success"):
                ax.set_ylim(0, 100)
            ax.set_xlabel("iteration")
            ax.set_ylabel(labels[column])
        if title:
            fig.suptitle(title)
        fig.tight_layout()
    return fig


def figure_test_curves(curves: Mapping[str, pd.DataFrame], metric: str, title: str = "") -> Figure:
    """Held-out ``metric`` (%) against training iterations, one colour per run (``curves``: label -> frame with
    ``iteration``, ``metric`` and ``n_trials``, :func:`lsnn.app.curves.test_curve`): the periodic tests as a line,
    a final test on another number of trials as a square; the numbers of trials are in the title."""
    labels = {"accuracy": "held-out accuracy (%)", "success": "held-out episodes entirely right (%)"}
    periodic_n, final_n = set(), set()
    with style_context():
        fig = Figure(figsize=(5.4, 3.6), layout="constrained")
        ax = fig.subplots()
        for c, (label, curve) in enumerate(curves.items()):
            if curve.empty:
                continue
            periodic = curve["n_trials"] == curve["n_trials"].iloc[0]
            ax.plot(curve["iteration"][periodic], curve[metric][periodic], "o-", color=f"C{c}", ms=3, lw=1, label=label)
            periodic_n.add(int(curve["n_trials"].iloc[0]))
            final = curve[~periodic]
            if not final.empty:
                ax.plot(final["iteration"], final[metric], "s", color=f"C{c}", ms=7)
                final_n.add(int(final["n_trials"].iloc[-1]))
        ax.set_ylim(0, 100)
        ax.set_xlim(left=0)
        ax.set_xlabel("training iteration")
        ax.set_ylabel(labels.get(metric, f"held-out {metric} (%)"))
        ax.legend(fontsize=7, frameon=False, loc="upper left")
        trials = "lines: periodic tests on " + "/".join(f"{n:,}" for n in sorted(periodic_n)) + " trials"
        if final_n:
            trials += "; squares: final test on " + "/".join(f"{n:,}" for n in sorted(final_n))
        ax.set_title((f"{title}\n" if title else "") + trials, fontsize=8)
    return fig


def figure_trial(x: np.ndarray, spikes: np.ndarray, outputs: np.ndarray, dt: float, *, analog_input: bool = False,
                 output_names: Sequence[str] | None = None, windows: np.ndarray | None = None, title: str = "") -> Figure:
    """One trial: input (raster or image), recurrent raster, readouts; ``windows`` (K, 2) steps of the
    readout windows with a target are shaded.

    ``x`` (T, n_in), ``spikes`` (T, n_rec) 0/1, ``outputs`` (T, n_out) volts, ``dt`` in s."""
    T = spikes.shape[0]
    t_max = T * dt
    with style_context():
        fig = Figure(figsize=(8, 6))
        axes = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1.2, 2, 1.3]})
        if analog_input:
            image = axes[0].imshow(x.T, aspect="auto", origin="lower", extent=(0, t_max, -0.5, x.shape[1] - 0.5), cmap="viridis",
                                   interpolation="nearest")
            fig.subplots_adjust(right=0.86)  # room for the colour bar beside the panel: the time axes stay aligned
            fig.colorbar(image, cax=axes[0].inset_axes((1.01, 0.0, 0.02, 1.0)), label="input value")
        else:
            plot_raster(axes[0], x, dt, s=2)
            axes[0].set_ylim(-0.5, x.shape[1] - 0.5)
        axes[0].set_ylabel("input channel")
        plot_raster(axes[1], spikes, dt, s=2, color="tab:blue")
        axes[1].set_ylim(-0.5, spikes.shape[1] - 0.5)
        axes[1].set_ylabel("neuron")
        rate = spikes.mean() / dt
        axes[1].set_title(f"network: {int(spikes.sum())} spikes, {rate:.1f} Hz per neuron", fontsize=9)
        t = np.arange(T) * dt
        names = list(output_names) if output_names is not None else [f"readout {k}" for k in range(outputs.shape[1])]
        for k in range(outputs.shape[1]):
            axes[2].plot(t, outputs[:, k] * 1e3, lw=0.9, label=names[k] if outputs.shape[1] <= 10 else None)
        if windows is not None:
            for start, stop in windows:
                for ax in axes:
                    ax.axvspan(start * dt, stop * dt, color="0.85", lw=0, zorder=-1)
        axes[2].set_ylabel("readout (mV)")
        axes[2].set_xlabel("time (s)")
        if outputs.shape[1] <= 10:
            axes[2].legend(frameon=False, fontsize=7, ncol=min(outputs.shape[1], 5), loc="upper left")
        axes[2].set_xlim(0, t_max)
        if title:
            axes[0].set_title(title)
        fig.align_ylabels()
    return fig
