"""Firing rates and trial-binned spike counts of Neo segments (Elephant does the binning and rates).

Elephant is imported by the functions that use it, not at import: Elephant 1.2 imports scikit-learn
at its own import, and ``import lsnn.analysis`` stays light.

Trial-binned counts ``(n_trials, n_bins, n_neurons)`` are the fast internal form of the analysis
package: every measure that compares conditions works on them. ``binned_counts`` converts Neo
segments to counts, ``segments_from_counts`` counts back to Neo segments (Elephant's
``BinnedSpikeTrain.to_spike_trains``), so a count array from elsewhere (calcium events, another
toolbox) enters every Neo-based measure.
"""

from __future__ import annotations

from collections.abc import Sequence

import neo
import numpy as np
import quantities as pq

from . import _elephant


def mean_rates(spiketrains: Sequence[neo.SpikeTrain]) -> pq.Quantity:
    """Mean firing rate of each spike train over its [t_start, t_stop], in Hz (Elephant's ``mean_firing_rate``)."""
    if len(spiketrains) == 0:
        raise ValueError("no spike trains given.")
    _elephant.load()
    from elephant.statistics import mean_firing_rate

    return pq.Quantity([float(mean_firing_rate(st).rescale(pq.Hz)) for st in spiketrains], pq.Hz)


def isi_cv(spiketrains: Sequence[neo.SpikeTrain]) -> np.ndarray:
    """Coefficient of variation of the inter-spike intervals of each train (Elephant's ``cv`` of ``isi``);
    NaN for trains with fewer than three spikes. 0 for a regular train, about 1 for a Poisson train."""
    _elephant.load()
    from elephant.statistics import cv, isi

    return np.array([float(cv(isi(st).magnitude)) if len(st) >= 3 else np.nan for st in spiketrains])


def adaptation_index(spiketrains: Sequence[neo.SpikeTrain]) -> np.ndarray:
    """Adaptation index of each train, as the Allen Cell Types database defines it for step-current
    responses (and as the eLife paper's Appendix compares model and data): the mean over consecutive
    inter-spike intervals of

        (ISI_{k+1} - ISI_k) / (ISI_{k+1} + ISI_k),

    0 for a regular train, positive when the intervals lengthen (spike-frequency adaptation), negative
    when they shorten; NaN for trains with fewer than three spikes (Elephant's ``isi``)."""
    _elephant.load()
    from elephant.statistics import isi

    out = np.full(len(spiketrains), np.nan)
    for k, st in enumerate(spiketrains):
        if len(st) >= 3:
            intervals = np.asarray(isi(st).magnitude, dtype=float)
            out[k] = float(np.mean(np.diff(intervals) / (intervals[1:] + intervals[:-1])))
    return out


def fano_factor(spiketrains: Sequence[neo.SpikeTrain]) -> float:
    """Fano factor (variance / mean) of the spike counts of ``spiketrains``, e.g. one neuron across
    trials (Elephant's ``fanofactor``); about 1 for Poisson trains."""
    if len(spiketrains) < 2:
        raise ValueError("the Fano factor needs at least two spike trains (e.g. trials).")
    _elephant.load()
    from elephant.statistics import fanofactor

    return float(fanofactor(list(spiketrains)))


def binned_counts(segments: Sequence[neo.Segment], bin_size: pq.Quantity, window: tuple[pq.Quantity, pq.Quantity] | None = None) -> np.ndarray:
    """Spike counts per trial, bin and neuron, ``(n_trials, n_bins, n_neurons)``, from Neo segments.

    All segments must hold the same number of spike trains on the same time axis; bins start at
    each train's ``t_start``, or at ``window[0]`` when a window (relative times) restricts every trial
    to ``[window[0], window[1])`` (Elephant's ``BinnedSpikeTrain``).
    """
    if len(segments) == 0:
        raise ValueError("no segments given.")
    n_neurons = len(segments[0].spiketrains)
    if n_neurons == 0:
        raise ValueError("the segments hold no spike trains.")
    if any(len(seg.spiketrains) != n_neurons for seg in segments):
        raise ValueError("all segments must hold the same number of spike trains.")
    _elephant.load()
    from elephant.conversion import BinnedSpikeTrain

    arrays = []
    for k, seg in enumerate(segments):
        trains = seg.spiketrains
        if window is not None:
            lo, hi = (w.rescale(pq.s) for w in window)
            if lo < trains[0].t_start or hi > trains[0].t_stop:
                raise ValueError(f"window [{lo}, {hi}) is not inside trial {k} [{trains[0].t_start}, {trains[0].t_stop}).")
            trains = [st.time_slice(lo, hi) for st in trains]
            for st in trains:
                st.t_start, st.t_stop = lo, hi
        binned = BinnedSpikeTrain(trains, bin_size=bin_size)
        arrays.append(binned.to_array().T)
    shapes = {a.shape[0] for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"trials have different lengths ({sorted(shapes)} bins); give a common window.")
    return np.stack(arrays).astype(np.int64)


def segments_from_counts(counts, bin_size: pq.Quantity, t_start: pq.Quantity = 0 * pq.s, names: Sequence[str] | None = None) -> list[neo.Segment]:
    """Neo segments (one per trial) from counts ``(n_trials, n_bins, n_neurons)``: each count becomes
    that many spikes at the centre of its bin (Elephant's ``BinnedSpikeTrain.to_spike_trains``), so
    ``binned_counts(segments_from_counts(c, b), b) == c``."""
    arr = np.asarray(counts)
    if arr.ndim != 3 or min(arr.shape) == 0:
        raise ValueError(f"counts must be (n_trials, n_bins, n_neurons) and non-empty; got shape {arr.shape}.")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError("counts must be whole numbers of spikes (no NaN, no fractions).")
        arr = arr.astype(np.int64)
    if np.any(arr < 0):
        raise ValueError("counts must not be negative.")
    names = list(names) if names is not None else [f"neuron {j}" for j in range(arr.shape[2])]
    if len(names) != arr.shape[2]:
        raise ValueError(f"give one name per neuron ({arr.shape[2]}); got {len(names)}.")
    _elephant.load()
    from elephant.conversion import BinnedSpikeTrain

    segments = []
    for k, trial in enumerate(arr):
        binned = BinnedSpikeTrain(trial.T, bin_size=bin_size, t_start=t_start)
        seg = neo.Segment(name=f"trial {k}", trial=k)
        for st, name in zip(binned.to_spike_trains(spikes="center", annotate_bins=False), names):
            st.name = name
            seg.spiketrains.append(st)
        segments.append(seg)
    return segments
