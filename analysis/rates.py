"""Firing rates and trial-binned spike counts of Neo segments (Elephant does the binning and rates).

Trial-binned counts ``(n_trials, n_bins, n_neurons)`` are the fast internal form of the analysis
package: every measure that compares conditions works on them.
"""

from __future__ import annotations

from collections.abc import Sequence

import neo
import numpy as np
import quantities as pq
from elephant.conversion import BinnedSpikeTrain
from elephant.statistics import cv, fanofactor, isi, mean_firing_rate


def mean_rates(spiketrains: Sequence[neo.SpikeTrain]) -> pq.Quantity:
    """Mean firing rate of each spike train over its [t_start, t_stop], in Hz (Elephant's ``mean_firing_rate``)."""
    if len(spiketrains) == 0:
        raise ValueError("no spike trains given.")
    return pq.Quantity([float(mean_firing_rate(st).rescale(pq.Hz)) for st in spiketrains], pq.Hz)


def isi_cv(spiketrains: Sequence[neo.SpikeTrain]) -> np.ndarray:
    """Coefficient of variation of the inter-spike intervals of each train (Elephant's ``cv`` of ``isi``);
    NaN for trains with fewer than three spikes. 0 for a regular train, about 1 for a Poisson train."""
    return np.array([float(cv(isi(st).magnitude)) if len(st) >= 3 else np.nan for st in spiketrains])


def fano_factor(spiketrains: Sequence[neo.SpikeTrain]) -> float:
    """Fano factor (variance / mean) of the spike counts of ``spiketrains``, e.g. one neuron across
    trials (Elephant's ``fanofactor``); about 1 for Poisson trains."""
    if len(spiketrains) < 2:
        raise ValueError("the Fano factor needs at least two spike trains (e.g. trials).")
    return float(fanofactor(list(spiketrains)))


def binned_counts(segments: Sequence[neo.Segment], bin_size: pq.Quantity) -> np.ndarray:
    """Spike counts per trial, bin and neuron, ``(n_trials, n_bins, n_neurons)``, from Neo segments.

    All segments must hold the same number of spike trains on the same time axis; bins start at
    each train's ``t_start`` (Elephant's ``BinnedSpikeTrain``).
    """
    if len(segments) == 0:
        raise ValueError("no segments given.")
    n_neurons = len(segments[0].spiketrains)
    if any(len(seg.spiketrains) != n_neurons for seg in segments):
        raise ValueError("all segments must hold the same number of spike trains.")
    arrays = []
    for seg in segments:
        binned = BinnedSpikeTrain(seg.spiketrains, bin_size=bin_size)
        arrays.append(binned.to_array().T)
    return np.stack(arrays).astype(np.int64)
