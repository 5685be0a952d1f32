"""Spike-code panels of the poster (panels A-C) and eLife Fig. 4B-D: sequence heatmaps and selectivity.

``plot_sequence_heatmap`` draws cross-validated, peak-sorted normalised traces (one row per neuron);
``plot_selectivity_counts`` the number of neurons selective for each ANOVA effect (poster C, eLife 4D);
``plot_categories_histogram`` how many effects each neuron is selective for; ``plot_tuning`` an example
neuron's mean rate per condition (eLife 4E/F); ``figure_spike_codes`` and ``figure_selectivity``
compose them. They take the results of :mod:`lsnn.analysis` as data: the per-effect counts of
``selectivity_counts(table)`` and the per-neuron table of ``categories_per_neuron(table)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from typing import TYPE_CHECKING

from .style import style_context

if TYPE_CHECKING:
    from lsnn.analysis.sequences import SortedSequence


def plot_sequence_heatmap(ax, seq: "SortedSequence", bin_size: float, title: str = ""):
    """Normalised traces of the display half, neurons in the order found on the sorting half."""
    n_bins, n_neurons = seq.traces.shape
    image = ax.imshow(seq.traces.T, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1,
                      extent=(0, n_bins * bin_size, 0, n_neurons), interpolation="nearest")
    ax.set_xlabel("time from event (s)")
    ax.set_ylabel("neuron (sorted)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # neurons are counted, never 2.5
    ax.set_title(title or f"cross-validated sequence (reliability r = {seq.reliability:.2f})")
    return image


def plot_selectivity_counts(ax, counts: pd.Series, n_neurons: int | None = None):
    """Bars: number (or % of ``n_neurons``) of neurons selective for each effect (``counts``: effect -> neurons)."""
    values = counts.to_numpy(dtype=float) if n_neurons is None else 100 * counts.to_numpy(dtype=float) / n_neurons
    bars = ax.bar(range(len(counts)), values, color="0.4")
    ax.set_xticks(range(len(counts)), counts.index, rotation=45, ha="right")
    ax.set_ylabel("selective neurons" if n_neurons is None else "selective neurons (%)")
    ax.set_title("mixed selectivity (type-II ANOVA, p < 0.001, omega2 >= 0.14)")
    return bars


def figure_spike_codes(seq: "SortedSequence", bin_size: float, selective: pd.Series, n_neurons: int) -> Figure:
    """Sequence heatmap (poster A-B) and selectivity bars (poster C; ``selective``: neurons per effect)."""
    with style_context():
        fig = Figure(figsize=(9, 3.8))
        ax_seq, ax_sel = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        image = plot_sequence_heatmap(ax_seq, seq, bin_size)
        fig.colorbar(image, ax=ax_seq, label="normalised rate")
        plot_selectivity_counts(ax_sel, selective, n_neurons)
        fig.tight_layout()
    return fig


def plot_categories_histogram(ax, categories: pd.DataFrame, n_effects: int):
    """Histogram of the number of effects each neuron is selective for (eLife: 3.1 +- 0.8 per neuron);
    ``categories``: one row per neuron with ``n_categories``."""
    n = categories["n_categories"].to_numpy()
    bars = ax.hist(n, bins=np.arange(n_effects + 2) - 0.5, color="0.4", rwidth=0.85)
    ax.set_xticks(range(n_effects + 1))
    ax.set_xlabel("effects a neuron is selective for")
    ax.set_ylabel("neurons")
    ax.set_title(f"mean {n.mean():.2f} +- {n.std():.2f} per neuron")
    return bars


def plot_tuning(ax, counts, factors: Mapping[str, Sequence], x: str, hue: str | None = None, window: float = 1.0,
                where: Mapping[str, object] | None = None, title: str = ""):
    """Mean rate (+- s.e.m.) of one neuron per level of factor ``x``, one line per level of ``hue``,
    on the samples matching ``where`` (e.g. ``{"Task": "reversal"}``) -- eLife Fig. 4E/F.

    ``counts`` (n_samples,) spike counts of the neuron in windows of ``window`` seconds."""
    frame = pd.DataFrame({k: np.asarray(v) for k, v in factors.items()})
    frame["rate"] = np.asarray(counts, dtype=float) / window
    for name, value in (where or {}).items():
        frame = frame[frame[name] == value]
    if frame.empty:
        raise ValueError(f"no sample matches {dict(where or {})}.")
    groups = [(None, frame)] if hue is None else list(frame.groupby(hue, sort=True))
    for level, part in groups:
        stats = part.groupby(x, sort=True)["rate"].agg(["mean", "sem"])
        ax.errorbar(range(len(stats)), stats["mean"], yerr=stats["sem"].fillna(0), marker="o", ms=3, capsize=2,
                    label=None if level is None else f"{hue} {level}")
        ax.set_xticks(range(len(stats)), [str(v) for v in stats.index])
    ax.set_xlabel(x)
    ax.set_ylabel("rate (Hz)")
    if title:
        ax.set_title(title)
    if hue is not None and len(groups) <= 12:
        ax.legend(fontsize=6, frameon=False)


def figure_selectivity(selective: pd.Series, categories: pd.DataFrame, n_neurons: int, counts=None, factors: Mapping | None = None,
                       examples: Sequence[dict] = (), window: float = 1.0) -> Figure:
    """Category chart (eLife 4D), categories per neuron, and example tuning curves (4E/F).

    ``selective``: neurons selective per effect; ``categories``: per-neuron categories (module docstring);
    ``examples``: dicts of :func:`plot_tuning` arguments plus ``neuron`` (column of ``counts``)."""
    with style_context():
        fig = Figure(figsize=(4 * (2 + len(examples)), 3.6))
        axes = np.atleast_1d(fig.subplots(1, 2 + len(examples)))
        plot_selectivity_counts(axes[0], selective, n_neurons)
        plot_categories_histogram(axes[1], categories, len(selective))
        for ax, spec in zip(axes[2:], examples):
            spec = dict(spec)
            neuron = spec.pop("neuron")
            plot_tuning(ax, np.asarray(counts)[:, neuron], factors, window=window, title=spec.pop("title", f"neuron {neuron}"), **spec)
        fig.tight_layout()
    return fig


def figure_sequences(seq: "SortedSequence", bin_size: float, t_start: float = 0.0) -> Figure:
    """Cross-validated sequence heatmap alone (poster A-B), times relative to the trials' reference."""
    with style_context():
        fig = Figure(figsize=(5, 4))
        ax = fig.subplots()
        image = plot_sequence_heatmap(ax, seq, bin_size)
        if t_start:
            image.set_extent((t_start, t_start + seq.traces.shape[0] * bin_size, 0, seq.traces.shape[1]))
            ax.set_xlim(t_start, t_start + seq.traces.shape[0] * bin_size)
        fig.colorbar(image, ax=ax, label="normalised rate")
        fig.tight_layout()
    return fig
