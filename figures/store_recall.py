"""STORE-RECALL figures in the style of Salaj et al. 2021 (eLife) Fig. 1D-E and Fig. 2B.

``figure_store_recall_trial`` shows one trial: input raster (value, STORE, RECALL populations),
network raster, thresholds of adaptive neurons and the readout, with the Brian2 re-simulation
drawn over the PyTorch network (they coincide when the validation holds). ``figure_accuracy``
compares recall accuracy of networks (SFA vs LIF), ``figure_imprinting`` the value selectivity of
each neuron at STORE and at RECALL, ``figure_two_neuron_circuit`` the hand-set circuit of Fig. 1D-E,
``figure_memory_decoding`` the SVM decoding of the stored word in the 20-D task (Fig. 2A).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .style import style_context

COMMAND_COLORS = {1: "tab:green", 2: "tab:purple"}  # STORE, RECALL


class TrialTraces(NamedTuple):
    """One STORE-RECALL trial as simulated by both implementations (time-major arrays)."""

    x: np.ndarray  # (T, n_in) input spikes
    spikes: np.ndarray  # (T, n_rec) PyTorch raster
    thresholds: np.ndarray  # (T, n_rec) PyTorch A(t), volts
    outputs: np.ndarray  # (T, n_out) PyTorch readout
    spikes_brian2: np.ndarray  # (T, n_rec)
    thresholds_brian2: np.ndarray  # (T, n_rec)
    outputs_brian2: np.ndarray  # (T, n_out)
    commands: np.ndarray  # (n_steps,) 0 none, 1 STORE, 2 RECALL
    step_duration: float  # s
    dt: float  # s
    beta: np.ndarray  # (n_rec,) to pick adaptive neurons
    label: str = ""


def shade_commands(ax, commands: np.ndarray, step_duration: float):
    """Shade STORE (green) and RECALL (purple) steps; returns the patches."""
    patches = []
    for k, c in enumerate(commands):
        if c in COMMAND_COLORS:
            patches.append(ax.axvspan(k * step_duration, (k + 1) * step_duration, color=COMMAND_COLORS[c], alpha=0.15, lw=0))
    return patches


def plot_raster(ax, spikes: np.ndarray, dt: float, color: str = "k", **kwargs):
    """Spike raster of a (T, n) 0/1 array (neuron index against time in s)."""
    steps, neurons = np.nonzero(spikes)
    return ax.scatter(steps * dt, neurons, s=kwargs.pop("s", 1.5), c=color, marker="|", linewidths=0.6, **kwargs)


def plot_thresholds(ax, thresholds: np.ndarray, thresholds_brian2: np.ndarray | None, dt: float, neurons: np.ndarray):
    """Adaptive thresholds A(t) (mV) of ``neurons``: PyTorch solid, Brian2 dashed on top."""
    t = np.arange(thresholds.shape[0]) * dt
    artists = []
    for j in neurons:
        (line,) = ax.plot(t, thresholds[:, j] * 1e3, lw=0.8)
        artists.append(line)
        if thresholds_brian2 is not None:
            artists += ax.plot(t, thresholds_brian2[:, j] * 1e3, lw=1.2, ls=(0, (2, 3)), color="k", alpha=0.7)
    ax.set_ylabel("threshold A (mV)")
    return artists


def plot_readout(ax, outputs: np.ndarray, outputs_brian2: np.ndarray | None, dt: float):
    """Readout difference o_1 - o_0 (the recalled bit is 1 where it is positive): PyTorch and Brian2."""
    t = np.arange(outputs.shape[0]) * dt
    artists = ax.plot(t, outputs[:, 1] - outputs[:, 0], color="tab:blue", lw=1.0, label="PyTorch")
    if outputs_brian2 is not None:
        artists += ax.plot(t, outputs_brian2[:, 1] - outputs_brian2[:, 0], color="tab:orange", lw=1.0, ls="--", label="Brian2")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_ylabel("readout o1 - o0 (V)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", frameon=False)
    return artists


def figure_store_recall_trial(tr: TrialTraces, n_thresholds: int = 5) -> Figure:
    """Input raster, network raster (Brian2 over PyTorch), thresholds and readout of one trial."""
    adaptive = np.flatnonzero(tr.beta != 0)
    active = adaptive[np.argsort(-tr.spikes[:, adaptive].sum(0))][:n_thresholds] if adaptive.size else np.array([], dtype=int)
    with style_context():
        fig = Figure(figsize=(9, 7))
        axes = fig.subplots(4, 1, sharex=True, gridspec_kw={"height_ratios": [1.2, 2, 1.3, 1.3]})
        fig.subplots_adjust(right=0.85)  # legends beside the panels, not over the data
        for ax in axes:
            shade_commands(ax, tr.commands, tr.step_duration)
        plot_raster(axes[0], tr.x, tr.dt)
        axes[0].set_ylabel("input")
        n_pop = tr.x.shape[1] // 4
        axes[0].set_yticks([n_pop * (k + 0.5) for k in range(4)], ["bit 0", "bit 1", "STORE", "RECALL"])
        plot_raster(axes[1], tr.spikes, tr.dt, color="tab:blue", s=3, label="PyTorch")
        plot_raster(axes[1], tr.spikes_brian2, tr.dt, color="tab:orange", s=1, label="Brian2")
        axes[1].set_ylabel("neuron")
        axes[1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small", markerscale=4, frameon=False)
        if active.size:
            plot_thresholds(axes[2], tr.thresholds, tr.thresholds_brian2, tr.dt, active)
        else:
            axes[2].text(0.5, 0.5, "no adaptive neurons (LIF network)", transform=axes[2].transAxes, ha="center")
            axes[2].set_ylabel("threshold A (mV)")
        plot_readout(axes[3], tr.outputs, tr.outputs_brian2, tr.dt)
        axes[3].set_xlabel("time (s)")
        identical = np.array_equal(tr.spikes, tr.spikes_brian2)
        axes[0].set_title(f"STORE-RECALL {tr.label}: Brian2 {'reproduces' if identical else 'DIFFERS FROM'} PyTorch spike for spike")
        fig.align_ylabels()
    return fig


def figure_accuracy(accuracies: Mapping[str, float], chance: float = 0.5, errors: Mapping[str, float] | None = None) -> Figure:
    """Bars of recall accuracy per network (e.g. {"SFA": 0.99, "LIF": 0.62}), chance level dashed."""
    names = list(accuracies)
    values = [100 * accuracies[k] for k in names]
    with style_context():
        fig = Figure(figsize=(3.5, 3))
        ax = fig.subplots()
        yerr = None if errors is None else [100 * errors.get(k, 0.0) for k in names]
        bars = ax.bar(names, values, yerr=yerr, color=["tab:red" if "SFA" in k.upper() else "0.5" for k in names])
        ax.axhline(100 * chance, color="k", ls="--", lw=0.8)
        for bar, v in zip(bars, values):
            ax.text(bar.get_x() + bar.get_width() / 2, v + 1, f"{v:.1f}", ha="center", va="bottom", fontsize="small")
        ax.set_ylim(0, 105)
        ax.set_ylabel("recall accuracy (%)")
        ax.set_title("1-D STORE-RECALL")
    return fig


def figure_imprinting(store_selectivity: np.ndarray, recall_selectivity: np.ndarray, index: float, label: str = "") -> Figure:
    """Scatter of each neuron's value selectivity at STORE against at RECALL (Hz), with the index."""
    with style_context():
        fig = Figure(figsize=(3.5, 3.3))
        ax = fig.subplots()
        ax.scatter(store_selectivity, recall_selectivity, s=10, color="k")
        ax.axhline(0, color="0.6", lw=0.5)
        ax.axvline(0, color="0.6", lw=0.5)
        ax.set_xlabel("selectivity at STORE (Hz)")
        ax.set_ylabel("selectivity at RECALL (Hz)")
        ax.set_title(f"imprinting {label}: r = {index:.2f}")
    return fig


def figure_two_neuron_circuit(x: np.ndarray, spikes: np.ndarray, thresholds: np.ndarray, outputs: np.ndarray, commands: np.ndarray,
                              step_duration: float, dt: float, b0: float = 0.005, title: str = "") -> Figure:
    """eLife Fig. 1D-E: the two-neuron circuit on a STORE-RECALL sequence -- input raster by population, the
    spikes of NL and NR, their adaptive thresholds (mV, base threshold dashed) and the readout o1 - o0
    (positive: bit 1 recalled); STORE steps green, RECALL steps purple."""
    with style_context():
        fig = Figure(figsize=(8, 6.2), layout="constrained")
        axes = fig.subplots(4, 1, sharex=True, gridspec_kw={"height_ratios": [1.3, 0.7, 1.4, 1.0]})
        for ax in axes:
            shade_commands(ax, commands, step_duration)
        plot_raster(axes[0], x, dt)
        n_pop = x.shape[1] // 4
        axes[0].set_yticks([n_pop * (k + 0.5) for k in range(4)], ["bit 0", "bit 1", "STORE", "RECALL"])
        axes[0].set_ylim(-0.5, x.shape[1] - 0.5)
        axes[0].set_ylabel("input")
        axes[0].legend(handles=[Patch(color=COMMAND_COLORS[1], alpha=0.3, label="STORE step"), Patch(color=COMMAND_COLORS[2], alpha=0.3, label="RECALL step")],
                       frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        colours = ("tab:blue", "tab:red")
        for j, name in enumerate(("NL", "NR")):
            steps = np.flatnonzero(spikes[:, j])
            axes[1].scatter(steps * dt, np.full(len(steps), j), marker="|", s=60, c=colours[j], linewidths=1.2)
            axes[2].plot(np.arange(len(thresholds)) * dt, thresholds[:, j] * 1e3, color=colours[j], lw=1.2, label=f"{name}")
        axes[1].set_yticks([0, 1], ["NL", "NR"])
        axes[1].set_ylim(-0.6, 1.6)
        axes[2].axhline(b0 * 1e3, color="0.5", lw=0.8, ls="--", label="base threshold")
        axes[2].set_ylabel("threshold A (mV)")
        axes[2].legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        t = np.arange(len(outputs)) * dt
        axes[3].plot(t, (outputs[:, 1] - outputs[:, 0]) * 1e3, color="k", lw=0.9)
        axes[3].axhline(0, color="0.5", lw=0.5)
        axes[3].set_ylabel("readout\no1 - o0 (mV)")
        axes[3].set_xlabel("time (s)")
        axes[3].set_xlim(0, len(outputs) * dt)
        if title:
            axes[0].set_title(title, fontsize=9)
        fig.align_ylabels()
    return fig


#: Labels of the decoders of eLife Fig. 2A.
DECODER_LABELS = {"before_recall": "step before\nRECALL", "recall": "RECALL", "store_to_recall": "STORE →\nRECALL",
                  "recall_to_store": "RECALL →\nSTORE"}


def figure_memory_decoding(rows: list[dict], title: str = "") -> Figure:
    """eLife Fig. 2A, decoding: SVM accuracy (%) of the stored word per decoder (``rows`` of
    :meth:`lsnn.app.decoding.MemoryDecoding.table`: ``decoder``, ``accuracy``, ``std``, ``samples``,
    ``paper``, ``chance``), the paper's value as a black tick, chance dashed."""
    with style_context():
        fig = Figure(figsize=(4.8, 3.4), layout="constrained")
        ax = fig.subplots()
        x = np.arange(len(rows))
        ours = [r["accuracy"] for r in rows]
        ax.bar(x, ours, 0.6, yerr=[r["std"] for r in rows], capsize=3, color="tab:red", alpha=0.85, label="ours (Brian2 rasters)")
        ax.plot(np.concatenate([[k - 0.3, k + 0.3, np.nan] for k in x]), np.repeat([r["paper"] for r in rows], 3) * np.tile([1, 1, np.nan], len(rows)),
                "k-", lw=2, label="paper")
        ax.axhline(rows[0]["chance"], color="0.4", ls="--", lw=0.8, label="chance (most common word)")
        for k, r in enumerate(rows):
            ax.text(k, r["accuracy"] + 2, f"{r['accuracy']:.1f}\nn={r['samples']}", ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, [DECODER_LABELS.get(r["decoder"], r["decoder"]) for r in rows], fontsize=8)
        ax.set_ylim(0, 118)
        ax.set_ylabel("decoding accuracy of the stored word (%)")
        ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3)
        if title:
            ax.set_title(title, fontsize=9)
    return fig
