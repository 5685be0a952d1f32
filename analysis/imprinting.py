"""Memory content in STORE-RECALL: value selectivity at STORE and at RECALL, and the imprinting index.

Salaj et al. 2021 (eLife, Fig. 1-2 and the poster) describe *negative imprinting*: neurons that
respond more to a value while it is stored raise their adaptive thresholds and therefore respond
*less* to the RECALL cue of that value, so the memory is held as a negative image of the stored
pattern. With ``r_phase[j, v]`` the mean rate of neuron j in the steps of a phase whose stored value
is v::

    s_store[j]  = r_store[j, 1]  - r_store[j, 0]
    s_recall[j] = r_recall[j, 1] - r_recall[j, 0]
    imprinting index = Pearson correlation of s_store and s_recall across neurons

A negative index is negative imprinting. Inputs are trial-binned counts (one bin per task step)
and per-step labels, so the measure applies to any raster with those annotations.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import quantities as pq


class ImprintingResult(NamedTuple):
    store_selectivity: pq.Quantity  # (n_neurons,) Hz, rate(value 1) - rate(value 0) at STORE steps
    recall_selectivity: pq.Quantity  # (n_neurons,) Hz, the same at RECALL steps (by stored value)
    index: float  # Pearson r across neurons; < 0: negative imprinting
    p_value: float
    n_store: int  # STORE steps used
    n_recall: int  # RECALL steps used


def phase_selectivity(counts: np.ndarray, phase_mask: np.ndarray, values: np.ndarray, bin_size: pq.Quantity) -> pq.Quantity:
    """``rate(value 1) - rate(value 0)`` per neuron over the bins where ``phase_mask`` is true.

    counts : (n_trials, n_bins, n_neurons) spike counts; phase_mask, values : (n_trials, n_bins).
    """
    counts, phase_mask, values = np.asarray(counts), np.asarray(phase_mask, dtype=bool), np.asarray(values)
    if counts.shape[:2] != phase_mask.shape or phase_mask.shape != values.shape:
        raise ValueError(f"counts {counts.shape} and masks {phase_mask.shape}/{values.shape} do not match (trials, bins).")
    rates = []
    for v in (0, 1):
        sel = phase_mask & (values == v)
        if not sel.any():
            raise ValueError(f"no bins of this phase with value {v}; more trials are needed.")
        rates.append(counts[sel].mean(axis=0) / float(bin_size.rescale(pq.s)))
    return pq.Quantity(rates[1] - rates[0], pq.Hz)


def imprinting(counts: np.ndarray, store_mask: np.ndarray, recall_mask: np.ndarray, stored_values: np.ndarray, bin_size: pq.Quantity) -> ImprintingResult:
    """Store and recall value selectivity per neuron and their correlation (module docstring).

    ``stored_values`` (n_trials, n_bins) holds, at STORE bins, the value being stored and, at RECALL
    bins, the value to be recalled.
    """
    s_store = phase_selectivity(counts, store_mask, stored_values, bin_size)
    s_recall = phase_selectivity(counts, recall_mask, stored_values, bin_size)
    ok = np.isfinite(s_store.magnitude) & np.isfinite(s_recall.magnitude)
    if ok.sum() < 3 or np.std(s_store.magnitude[ok]) == 0 or np.std(s_recall.magnitude[ok]) == 0:
        r, p = float("nan"), float("nan")
    else:
        from scipy.stats import pearsonr  # scipy.stats takes a second to import: loaded when used

        r, p = pearsonr(s_store.magnitude[ok], s_recall.magnitude[ok])
    return ImprintingResult(s_store, s_recall, float(r), float(p), int(np.asarray(store_mask).sum()), int(np.asarray(recall_mask).sum()))
