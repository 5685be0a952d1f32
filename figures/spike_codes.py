"""Spike-code panels of the poster (panels A-C) and eLife Fig. 4B-F: sequences, selectivity, tuning, PSTHs.

``plot_sequence_heatmap`` draws cross-validated, peak-sorted normalised traces (one row per neuron);
``plot_selectivity_counts`` the neurons selective for each ANOVA effect, as a share of the neurons
analysed (poster C, eLife 4D); ``plot_categories_histogram`` how many effects each neuron is selective
for; ``plot_tuning`` a neuron's mean rate +- s.e.m. per condition (eLife 4E/F); ``plot_raster_by_condition``
and ``plot_psth`` one neuron's trials grouped by condition. ``figure_spike_codes``,
``figure_selectivity``, ``figure_sequences`` and ``figure_neuron`` compose them. They take the results of
:mod:`lsnn.analysis` as data: the per-effect counts of ``selectivity_counts(table)``, the per-neuron table
of ``categories_per_neuron(table)``, ``SortedSequence`` objects, spike times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .style import style_context

if TYPE_CHECKING:
    from lsnn.analysis.sequences import SortedSequence


def _integer_axis(axis) -> None:
    axis.set_major_locator(MaxNLocator(integer=True))  # neurons and trials are counted, never 2.5


def plot_sequence_heatmap(ax, seq: "SortedSequence", bin_size: float, title: str = "", t_start: float = 0.0, event_label: str = "event",
                          names: Sequence[str] | None = None):
    """Normalised traces of the display half, neurons in the order found on the sorting half; a dashed
    line at the event (time 0) when the window includes it; neuron ``names`` on the rows of small populations."""
    n_bins, n_neurons = seq.traces.shape
    t_stop = t_start + n_bins * bin_size
    image = ax.imshow(seq.traces.T, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1,
                      extent=(t_start, t_stop, 0, n_neurons), interpolation="nearest")
    if t_start < 0 < t_stop:
        ax.axvline(0, color="w", ls="--", lw=1)
    ax.set_xlabel(f"time from {event_label} (s)")
    ax.set_ylabel("neuron (sorted on the other half of the trials)")
    if names is not None and n_neurons <= 30:
        ax.set_yticks(np.arange(n_neurons) + 0.5, [str(names[j]) for j in seq.order], fontsize=7)
    else:
        _integer_axis(ax.yaxis)
    reliability = "n/a" if not np.isfinite(seq.reliability) else f"{seq.reliability:.2f}"
    ax.set_title(title or f"cross-validated sequence (reliability r = {reliability})")
    return image


def _criteria(alpha: float, omega2_min: float) -> str:
    return f"p < {alpha:g}, omega2 >= {omega2_min:g}"


def plot_selectivity_counts(ax, counts: pd.Series, n_neurons: int | None = None, alpha: float = 0.001, omega2_min: float = 0.14,
                            population: str = ""):
    """Bars: neurons selective for each effect (``counts``: effect -> neurons), as % of the ``n_neurons``
    analysed when given (``population`` says which, e.g. "firing 2-60 Hz"). One factor is "selectivity for
X"; several, "mixed selectivity". When no neuron
    is selective, the panel says so on a 0-1 axis instead of an empty chart."""
    values = counts.to_numpy(dtype=float) if n_neurons is None else 100 * counts.to_numpy(dtype=float) / max(n_neurons, 1)
    bars = ax.bar(range(len(counts)), values, color="0.4")
    ax.set_xticks(range(len(counts)), counts.index, rotation=45 if len(counts) > 3 else 0, ha="right" if len(counts) > 3 else "center")
    denominator = "" if n_neurons is None else f" (% of {n_neurons} neurons{' ' + population if population else ''})"
    ax.set_ylabel("selective neurons" + denominator)
    kind = f"selectivity for {counts.index[0]}" if len(counts) == 1 else "mixed selectivity"
    ax.set_title(f"{kind} (type-II ANOVA, {_criteria(alpha, omega2_min)})", fontsize=9)
    if not np.any(values > 0):
        ax.set_ylim(0, 1)
        ax.text(0.5, 0.5, "no neuron is selective", transform=ax.transAxes, ha="center", va="center", color="0.3")
    elif n_neurons is None:
        _integer_axis(ax.yaxis)
    return bars


def plot_categories_histogram(ax, categories: pd.DataFrame, n_effects: int):
    """Histogram of the number of effects each neuron is selective for (eLife: 3.1 +- 0.8 per neuron);
    ``categories``: one row per neuron with ``n_categories``."""
    n = categories["n_categories"].to_numpy()
    bars = ax.hist(n, bins=np.arange(n_effects + 2) - 0.5, color="0.4", rwidth=0.85)
    ax.set_xticks(range(n_effects + 1))
    ax.set_xlabel("effects a neuron is selective for")
    ax.set_ylabel("neurons")
    _integer_axis(ax.yaxis)
    ax.set_title(f"mean {n.mean():.2f} +- {n.std():.2f} per neuron ({len(n)} neurons)", fontsize=9)
    return bars


def plot_tuning(ax, counts, factors: Mapping[str, Sequence], x: str, hue: str | None = None, window: float = 1.0,
                where: Mapping[str, object] | None = None, title: str = ""):
    """Mean rate (+- s.e.m.) of one neuron per level of factor ``x``, one line per level of ``hue``,
    on the samples matching ``where`` (e.g. ``{"Task": "reversal"}``) -- eLife Fig. 4E/F.

    ``counts`` (n_samples,) spike counts of the neuron in windows of ``window`` seconds."""
    frame = pd.DataFrame({k: np.asarray(v) for k, v in factors.items()})
    frame["rate"] = np.asarray(counts, dtype=float) / window
    frame = frame[np.isfinite(frame["rate"])]
    for name, value in (where or {}).items():
        frame = frame[frame[name] == value]
    if frame.empty:
        raise ValueError(f"no sample matches {dict(where or {})}.")
    levels = sorted(frame[x].unique(), key=str)
    groups = [(None, frame)] if hue is None else list(frame.groupby(hue, sort=True))
    for level, part in groups:
        stats = part.groupby(x)["rate"].agg(["mean", "sem"]).reindex(levels)
        ax.errorbar(range(len(levels)), stats["mean"], yerr=stats["sem"].fillna(0), marker="o", ms=3, capsize=2,
                    label=None if level is None else f"{hue} {level}")
    ax.set_xticks(range(len(levels)), [str(v) for v in levels])
    ax.set_xlabel(x)
    ax.set_ylabel("rate (Hz, mean +- s.e.m.)")
    if title:
        ax.set_title(title, fontsize=9)
    if hue is not None and len(groups) <= 12:
        ax.legend(fontsize=6, frameon=False)


def figure_selectivity(selective: pd.Series, categories: pd.DataFrame, n_neurons: int, counts=None, factors: Mapping | None = None,
                       examples: Sequence[dict] = (), window: float = 1.0, alpha: float = 0.001, omega2_min: float = 0.14,
                       population: str = "") -> Figure:
    """Selective neurons per effect (eLife 4D, % of the ``n_neurons`` analysed, ``population`` describing
    them, e.g. "2-60 Hz"), categories per neuron (with several factors), and example tuning curves (4E/F).

    ``selective``: neurons selective per effect; ``categories``: per-neuron categories (module docstring);
    ``examples``: dicts of :func:`plot_tuning` arguments plus ``neuron`` (column of ``counts``)."""
    several = len(selective) > 1
    n_panels = 1 + several + len(examples)
    with style_context():
        fig = Figure(figsize=(4.2 * n_panels, 3.8), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, n_panels))
        plot_selectivity_counts(axes[0], selective, n_neurons, alpha, omega2_min, population)
        if several:
            plot_categories_histogram(axes[1], categories, len(selective))
        for ax, spec in zip(axes[1 + several:], examples):
            spec = dict(spec)
            neuron = spec.pop("neuron")
            plot_tuning(ax, np.asarray(counts)[:, neuron], factors, window=window, title=spec.pop("title", f"neuron {neuron}"), **spec)
    return fig


def plot_raster_by_condition(ax, trial_times: Sequence[np.ndarray], labels: Sequence, colors: Mapping | None = None):
    """One row per trial, trials grouped by condition label (one colour each); ``trial_times`` in s
    relative to each trial's reference. Returns the colours used per label."""
    labels = np.asarray([str(v) for v in labels])
    order = np.argsort(labels, kind="stable")
    levels = list(dict.fromkeys(labels[order]))
    colors = dict(colors or {level: f"C{k % 10}" for k, level in enumerate(levels)})
    for row, k in enumerate(order):
        t = np.asarray(trial_times[k])
        ax.vlines(t, row + 0.1, row + 0.9, color=colors[labels[k]], lw=0.8)
    ax.set_ylim(0, len(order))
    ax.set_ylabel("trial (grouped by condition)")
    _integer_axis(ax.yaxis)
    return colors


def plot_psth(ax, trial_times: Sequence[np.ndarray], labels: Sequence, window: tuple[float, float], bin_size: float,
              colors: Mapping | None = None, condition: str = "condition"):
    """Peri-stimulus time histogram per condition: mean rate +- s.e.m. across the condition's trials (Hz)."""
    edges = np.arange(window[0], window[1] + bin_size / 2, bin_size)
    centres = (edges[:-1] + edges[1:]) / 2
    labels = np.asarray([str(v) for v in labels])
    for k, level in enumerate(sorted(set(labels), key=str)):
        rows = [np.histogram(trial_times[i], edges)[0] / bin_size for i in np.flatnonzero(labels == level)]
        rates = np.asarray(rows)
        mean, sem = rates.mean(0), rates.std(0, ddof=1) / np.sqrt(len(rates)) if len(rates) > 1 else np.zeros(len(centres))
        color = (colors or {}).get(level, f"C{k % 10}")
        ax.plot(centres, mean, color=color, label=f"{condition} = {level} ({len(rates)} trials)")
        ax.fill_between(centres, mean - sem, mean + sem, color=color, alpha=0.2, lw=0)
    ax.set_ylabel("rate (Hz)")
    ax.legend(fontsize=7, frameon=False)


def figure_neuron(trial_times: Sequence[np.ndarray], labels: Sequence, window: tuple[float, float], bin_size: float, name: str,
                  condition: str, event_label: str = "trial start") -> Figure:
    """One neuron: raster of its trials grouped by ``condition`` and its PSTH per condition, with a line at
    the event (time 0) when the window includes it."""
    with style_context():
        fig = Figure(figsize=(6, 5), layout="constrained")
        ax_raster, ax_psth = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1.4, 1]})
        colors = plot_raster_by_condition(ax_raster, trial_times, labels)
        plot_psth(ax_psth, trial_times, labels, window, bin_size, colors, condition)
        for ax in (ax_raster, ax_psth):
            if window[0] < 0 < window[1]:
                ax.axvline(0, color="k", ls="--", lw=0.8)
        ax_psth.set_xlim(*window)
        ax_psth.set_xlabel(f"time from {event_label} (s)")
        ax_raster.set_title(f"{name}: trials by {condition}", fontsize=10)
    return fig


def figure_spike_codes(seq: "SortedSequence", bin_size: float, selective: pd.Series, n_neurons: int) -> Figure:
    """Sequence heatmap (poster A-B) and selectivity bars (poster C; ``selective``: neurons per effect)."""
    with style_context():
        fig = Figure(figsize=(9.5, 4), layout="constrained")
        ax_seq, ax_sel = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
        image = plot_sequence_heatmap(ax_seq, seq, bin_size)
        fig.colorbar(image, ax=ax_seq, label="normalised rate")
        plot_selectivity_counts(ax_sel, selective, n_neurons)
    return fig


def figure_sequences(seq: "SortedSequence", bin_size: float, t_start: float = 0.0, by_condition: Mapping[str, "SortedSequence"] | None = None,
                     event_label: str = "event", names: Sequence[str] | None = None) -> Figure:
    """Cross-validated sequence heatmap (poster A-B), times relative to the trials' reference, and one
    panel per condition (each sorted on its own trials; keys are the panels' titles, e.g. "task = 0")
    when ``by_condition`` is given; neuron ``names`` label the rows of small populations."""
    panels = [("all trials", seq), *((f"{label}", s) for label, s in (by_condition or {}).items())]
    with style_context():
        fig = Figure(figsize=(4.6 * len(panels) + 0.8, 4.2), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(panels)))  # not shared: every panel has its own order of neurons
        for ax, (label, s) in zip(axes, panels):
            reliability = "n/a" if not np.isfinite(s.reliability) else f"{s.reliability:.2f}"
            image = plot_sequence_heatmap(ax, s, bin_size, f"{label} (reliability r = {reliability})", t_start, event_label, names)
        for ax in axes[1:]:
            ax.set_ylabel("")
        fig.colorbar(image, ax=list(axes), label="normalised rate")
    return fig


def figure_task_sequences(data) -> Figure:
    """Poster B: the averaged, normalised activity for one sequence under duplication and under reversal, neurons in
    one order (peak time under duplication, found on the other half of its episodes), the steps' symbols on top.
    ``data``: :class:`lsnn.app.episodes.TaskSequences`."""
    panels = (("DUPLICATION", data.duplication, f"neurons sorted on half of the episodes, shown: the other half (r = {data.reliability:.2f})"),
              ("REVERSAL", data.reversal, "same order as duplication"))
    n_bins, n_neurons = data.duplication.shape
    t_stop = n_bins * data.bin_size
    with style_context():
        fig = Figure(figsize=(10.5, 4.6), layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        for ax, (task, traces, note) in zip(axes, panels):
            image = ax.imshow(traces.T, aspect="auto", origin="lower", cmap="viridis", vmin=0, vmax=1, extent=(0, t_stop, 0, n_neurons),
                              interpolation="nearest")
            for k in range(1, len(data.step_names)):
                ax.axvline(k * data.step_duration, color="w", ls=":", lw=0.8)
            top = ax.secondary_xaxis("top")
            top.set_xticks([(k + 0.5) * data.step_duration for k in range(len(data.step_names))], data.step_names)
            top.tick_params(length=0)
            ax.set_xlabel("time in the episode (s)")
            ax.set_title(f"{task} of '{data.word}' ({data.n_episodes} episodes, {100 * data.success[task.lower()]:.0f} % right)\n{note}",
                         fontsize=9)
            _integer_axis(ax.yaxis)
        axes[0].set_ylabel(f"neuron ({n_neurons}, sorted by peak time under duplication)")
        fig.colorbar(image, ax=list(axes), label="rate / neuron's maximum")
        fig.suptitle(f"peak in another step under reversal: {100 * data.changed:.0f} % of {data.n_active} active neurons "
                     f"({100 * data.changed_loading:.0f} % of those peaking while the sequence is loaded)\n"
                     f"control, between two halves of the duplication episodes: {100 * data.changed_control:.0f} %"
                     + (f"\ntask variant -- {data.variant}" if data.variant else ""), fontsize=8.5)
    return fig
