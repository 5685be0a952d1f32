"""Intrinsic time scales (Murray et al. 2014; eLife Appendix 1 §1) recovered from counts of known autocorrelation."""

import numpy as np
import pytest
import quantities as pq

from lsnn.analysis.timescales import intrinsic_timescales, lag_autocorrelation


def _ar1_counts(rng, taus_ms, n_trials=4000, n_bins=10, bin_ms=50.0, noise=0.0):
    """Counts whose across-trial correlation at lag k is exactly exp(-k bin / tau) in expectation (AR(1) per neuron)."""
    rho = np.exp(-bin_ms / np.asarray(taus_ms))
    x = np.empty((n_trials, n_bins, len(rho)))
    x[:, 0] = rng.standard_normal((n_trials, len(rho)))
    for b in range(1, n_bins):
        x[:, b] = rho * x[:, b - 1] + np.sqrt(1 - rho**2) * rng.standard_normal((n_trials, len(rho)))
    return 20 + 3 * x + noise * rng.standard_normal(x.shape)


def test_known_time_scales_are_recovered():
    taus = [30.0, 100.0, 300.0]
    result = intrinsic_timescales(_ar1_counts(np.random.default_rng(0), taus), 50 * pq.ms)
    assert result.tau.units == pq.ms and result.lags[0] == 50 * pq.ms
    np.testing.assert_allclose(result.autocorrelation[1, :3], np.exp(-np.array([50, 100, 150]) / 100.0), atol=0.03)
    np.testing.assert_allclose(result.tau.magnitude, taus, rtol=0.15)


def test_independent_bins_have_no_correlation_and_constant_neurons_give_nan():
    counts = np.random.default_rng(1).poisson(5.0, size=(3000, 8, 2)).astype(float)
    counts[:, :, 1] = 4.0  # never varies
    acf = lag_autocorrelation(counts)
    assert np.all(np.abs(acf[0]) < 0.05) and np.all(np.isnan(acf[1]))
    assert np.isnan(intrinsic_timescales(counts, 50 * pq.ms).tau[1])


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unit"):
        intrinsic_timescales(np.ones((5, 5, 1)), 50)
    with pytest.raises(ValueError, match="trials >= 3"):
        lag_autocorrelation(np.ones((2, 5, 1)))
