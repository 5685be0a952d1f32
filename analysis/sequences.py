"""Sequence tuning ("time cells"): trial-averaged traces, peak-time sorting with cross-validation,
reliability, a shuffle test, and condition-invariant sequence neurons (Salaj et al. 2021 poster
panels A-B, eLife Fig. 4B-C).

Inputs are trial-binned counts ``(n_trials, n_bins, n_neurons)`` aligned to the same event (see
:func:`lsnn.analysis.binned_counts`). Definitions:

* normalised trace of neuron j: ``m_j(b) = mean_trials counts[:, b, j]`` divided by ``max_b m_j(b)``;
* peak bin: ``argmax_b m_j(b)``; cross-validated sorting: peaks from one random half of the trials order
  the neurons, the traces of the other half are displayed (an order found on noise does not survive);
* reliability: Spearman correlation, across neurons, of the peak bins of the two halves;
* time-cell test: the peak of the mean trace against a null in which every trial is circularly
  shifted by an independent random offset (destroys timing locked to the event, keeps each trial's
  spike count); ``p = (1 + #{null >= observed}) / (1 + n_shuffles)``;
* condition-invariant sequence neuron: a significant time cell whose peak bin in every condition
  (e.g. each task and symbol) lies within ``tolerance`` bins of its pooled peak bin.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


def _counts(counts) -> np.ndarray:
    arr = np.asarray(counts, dtype=float)
    if arr.ndim != 3 or min(arr.shape) == 0:
        raise ValueError(f"counts must be (n_trials, n_bins, n_neurons) and non-empty; got shape {np.shape(counts)}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("counts contain NaN or infinite values.")
    return arr


def normalized_traces(counts) -> np.ndarray:
    """Trial-averaged traces ``(n_bins, n_neurons)`` scaled to a maximum of 1 (silent neurons stay 0)."""
    mean = _counts(counts).mean(axis=0)
    peak = mean.max(axis=0)
    return np.divide(mean, peak, out=np.zeros_like(mean), where=peak > 0)


def peak_bins(counts) -> np.ndarray:
    """Bin of the maximum of each neuron's trial-averaged trace, ``(n_neurons,)``."""
    return np.argmax(_counts(counts).mean(axis=0), axis=0)


class SortedSequence(NamedTuple):
    order: np.ndarray  # neuron indices sorted by peak bin in the sorting half
    traces: np.ndarray  # (n_bins, n_neurons) normalised traces of the *other* half, columns in ``order``
    reliability: float  # Spearman r of the two halves' peak bins across (active) neurons
    sort_trials: np.ndarray
    display_trials: np.ndarray


def cross_validated_sequence(counts, rng: np.random.Generator) -> SortedSequence:
    """Sort neurons by peak time on a random half of the trials and show the other half."""
    counts = _counts(counts)
    n_trials = counts.shape[0]
    if n_trials < 2:
        raise ValueError("cross-validated sorting needs at least two trials.")
    perm = rng.permutation(n_trials)
    a, b = np.sort(perm[: n_trials // 2]), np.sort(perm[n_trials // 2 :])
    peaks_a, peaks_b = peak_bins(counts[a]), peak_bins(counts[b])
    order = np.argsort(peaks_a, kind="stable")
    active = (counts[a].sum(axis=(0, 1)) > 0) & (counts[b].sum(axis=(0, 1)) > 0)
    from scipy.stats import spearmanr  # scipy.stats takes a second to import: loaded when used

    reliability = float(spearmanr(peaks_a[active], peaks_b[active]).statistic) if active.sum() > 2 else float("nan")
    return SortedSequence(order, normalized_traces(counts[b])[:, order], reliability, a, b)


def time_cell_test(counts, rng: np.random.Generator, n_shuffles: int = 1000, progress: bool = False) -> np.ndarray:
    """Shuffle-test p-value per neuron for a peak of the trial-averaged trace locked to the event
    (``progress``: a tqdm bar over the shuffles)."""
    from tqdm.auto import tqdm

    counts = _counts(counts)
    n_trials, n_bins, n_neurons = counts.shape
    observed = counts.mean(axis=0).max(axis=0)
    exceed = np.zeros(n_neurons)
    bins = np.arange(n_bins)
    trial_idx = np.arange(n_trials)[:, None]
    for _ in tqdm(range(n_shuffles), desc="time-cell shuffles", disable=not progress, leave=False):
        shifts = rng.integers(0, n_bins, n_trials)
        shifted = counts[trial_idx, (bins[None, :] + shifts[:, None]) % n_bins]  # (trials, bins, neurons)
        exceed += shifted.mean(axis=0).max(axis=0) >= observed
    return (1 + exceed) / (1 + n_shuffles)


def condition_invariant(counts, conditions: np.ndarray, is_time_cell: np.ndarray, tolerance: int = 1) -> np.ndarray:
    """Time cells whose peak bin in every condition is within ``tolerance`` bins of the pooled peak.

    ``conditions`` (n_trials,) labels each trial (e.g. task x symbol combined); conditions with no trial
    are ignored. Returns a boolean per neuron.
    """
    counts = _counts(counts)
    conditions = np.asarray(conditions)
    if conditions.shape != (counts.shape[0],):
        raise ValueError(f"conditions must label each of the {counts.shape[0]} trials; got shape {conditions.shape}.")
    pooled = peak_bins(counts)
    ok = np.asarray(is_time_cell, dtype=bool).copy()
    for c in np.unique(conditions):
        ok &= np.abs(peak_bins(counts[conditions == c]) - pooled) <= tolerance
    return ok
