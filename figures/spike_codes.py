"""Spike-code panels of the poster (panels A-C) and eLife Fig. 4B-D: sequence heatmaps and selectivity.

``plot_sequence_heatmap`` draws cross-validated, peak-sorted normalised traces (one row per neuron);
``plot_selectivity_counts`` the number of neurons selective for each ANOVA effect;
``figure_spike_codes`` composes both from the analysis results.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from lsnn.analysis.selectivity import selectivity_counts
from lsnn.analysis.sequences import SortedSequence

from .style import style_context


def plot_sequence_heatmap(ax, seq: SortedSequence, bin_size: float, title: str = ""):
    """Normalised traces of the display half, neurons in the order found on the sorting half."""
    n_bins, n_neurons = seq.traces.shape
    image = ax.imshow(seq.traces.T, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1,
                      extent=(0, n_bins * bin_size, 0, n_neurons), interpolation="nearest")
    ax.set_xlabel("time from event (s)")
    ax.set_ylabel("neuron (sorted)")
    ax.set_title(title or f"cross-validated sequence (reliability r = {seq.reliability:.2f})")
    return image


def plot_selectivity_counts(ax, table: pd.DataFrame, n_neurons: int | None = None):
    """Bars: number (or % of ``n_neurons``) of neurons selective for each effect."""
    counts = selectivity_counts(table)
    values = counts.to_numpy(dtype=float) if n_neurons is None else 100 * counts.to_numpy(dtype=float) / n_neurons
    bars = ax.bar(range(len(counts)), values, color="0.4")
    ax.set_xticks(range(len(counts)), counts.index, rotation=45, ha="right")
    ax.set_ylabel("selective neurons" if n_neurons is None else "selective neurons (%)")
    ax.set_title("mixed selectivity (type-II ANOVA, p < 0.001, omega2 >= 0.14)")
    return bars


def figure_spike_codes(seq: SortedSequence, bin_size: float, table: pd.DataFrame, n_neurons: int) -> Figure:
    """Sequence heatmap (poster A-B) and selectivity bars (poster C)."""
    with style_context():
        fig = Figure(figsize=(9, 3.8))
        ax_seq, ax_sel = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        image = plot_sequence_heatmap(ax_seq, seq, bin_size)
        fig.colorbar(image, ax=ax_seq, label="normalised rate")
        plot_selectivity_counts(ax_sel, table, n_neurons)
        fig.tight_layout()
    return fig
