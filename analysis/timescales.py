"""Intrinsic time scales of neurons from the trial-to-trial autocorrelation of their spike counts.

The method of Murray et al. 2014 (Nat. Neurosci. 17:1661) as used by Wasmuht et al. 2018 and the eLife
paper (Salaj et al. 2021, Appendix 1 §1; authors' ``autocorr.py``: 50 ms bins in a 500 ms window): for
one neuron, the spike counts of bins i and j are correlated *across trials* (Pearson); the correlations
are averaged over all pairs of bins at the same lag k = j - i > 0, and the decay

    R(k) = A (exp(-k dt / tau) + B)

is fitted (scipy's ``curve_fit``) to the lags from the first one whose correlation is below that of the
one before (the usual rule that skips an initial rise). ``tau`` is the neuron's intrinsic time scale;
NaN where fewer than three lags remain, the fit fails, the amplitude A is zero (no decay) or tau ends at
a bound of :data:`TAU_BOUNDS_MS`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import quantities as pq


#: Range (ms) of the fitted time scale; a fit that ends at either end counts as failed (NaN).
TAU_BOUNDS_MS = (1e-3, 1e5)


@dataclass(frozen=True)
class TimescaleResult:
    """Per neuron: ``tau`` (ms; NaN where the fit failed or the neuron never varied), the fitted ``A`` and
    ``B``, and the autocorrelation by lag (neurons, lags) at ``lags`` (ms)."""

    tau: pq.Quantity
    amplitude: np.ndarray
    offset: np.ndarray
    autocorrelation: np.ndarray
    lags: pq.Quantity


def lag_autocorrelation(counts: np.ndarray) -> np.ndarray:
    """Mean across-trial Pearson correlation of the counts of bins i and i + k, per neuron and lag k >= 1.

    ``counts`` (trials, bins, neurons) -> (neurons, bins - 1); NaN where a bin never varies across trials."""
    counts = np.asarray(counts, dtype=float)
    if counts.ndim != 3 or counts.shape[0] < 3 or counts.shape[1] < 3:
        raise ValueError(f"counts must be (trials >= 3, bins >= 3, neurons); got {counts.shape}.")
    if not np.all(np.isfinite(counts)):
        raise ValueError("counts must be finite.")
    z = counts - counts.mean(axis=0)
    sd = z.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = z / sd  # (trials, bins, neurons), NaN where a bin is constant
    n_bins = counts.shape[1]
    out = np.full((counts.shape[2], n_bins - 1), np.nan)
    for k in range(1, n_bins):
        r = (z[:, :-k] * z[:, k:]).mean(axis=0)  # (bins - k, neurons): Pearson r of every pair at lag k
        valid = np.isfinite(r)
        total = np.where(valid, r, 0.0).sum(axis=0)
        n_valid = valid.sum(axis=0)
        out[:, k - 1] = np.where(n_valid > 0, total / np.maximum(n_valid, 1), np.nan)
    return out


def _decay(lag, amplitude, tau, offset):
    return amplitude * (np.exp(-lag / tau) + offset)


def intrinsic_timescales(counts: np.ndarray, bin_size: pq.Quantity) -> TimescaleResult:
    """Intrinsic time scale of every neuron (module docstring) from ``counts`` (trials, bins, neurons) in
    bins of ``bin_size`` (a quantity, e.g. ``50 * pq.ms``)."""
    from scipy.optimize import OptimizeWarning, curve_fit

    if not isinstance(bin_size, pq.Quantity):
        raise ValueError("bin_size needs a unit (e.g. 50 * pq.ms).")
    dt = float(bin_size.rescale(pq.ms))
    if dt <= 0:
        raise ValueError(f"bin_size must be positive; got {bin_size}.")
    acf = lag_autocorrelation(counts)
    lags = dt * np.arange(1, acf.shape[1] + 1)
    n = acf.shape[0]
    tau, amplitude, offset = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    for j in range(n):
        r = acf[j]
        drops = np.flatnonzero(np.diff(r) < 0)
        start = int(drops[0]) if len(drops) else 0
        keep = np.isfinite(r) & (np.arange(len(r)) >= start)
        if keep.sum() < 3:
            continue
        try:
            with warnings.catch_warnings():  # a flat autocorrelation leaves the covariance undefined: tau is kept
                warnings.simplefilter("ignore", OptimizeWarning)
                (a, t, b), _ = curve_fit(_decay, lags[keep], r[keep], p0=(max(r[keep][0], 1e-3), dt * 2, 0.0),
                                         bounds=([0.0, TAU_BOUNDS_MS[0], -1.0], [np.inf, TAU_BOUNDS_MS[1], 1.0]), maxfev=5000)
        except (RuntimeError, ValueError):
            continue
        if a <= 1e-9 or not TAU_BOUNDS_MS[0] * 1.01 < t < TAU_BOUNDS_MS[1] * 0.99:
            continue  # no decay to fit (flat or rising autocorrelation), or a time scale pinned at a bound
        tau[j], amplitude[j], offset[j] = t, a, b
    return TimescaleResult(tau * pq.ms, amplitude, offset, acf, lags * pq.ms)
