"""Ridge baselines of the L2L section: the exponential trace equals its formula (Elephant's kernel), a planted linear
target is recovered, a target unrelated to the activity is not, and online errors fall with data."""

import neo
import numpy as np
import pytest
import quantities as pq

from lsnn.analysis import exponential_traces, online_ridge_errors, ridge_baseline, step_means


def test_exponential_trace_is_the_causal_kernel_of_the_paper():
    st = neo.SpikeTrain([0.1, 0.13] * pq.s, t_stop=0.3 * pq.s)
    trace = exponential_traces([st], tau=20 * pq.ms)
    t = trace.times.rescale(pq.s).magnitude
    # Elephant's exponential kernel spans [0, 5 tau]
    expected = sum(np.where((t >= s - 1e-9) & (t - s <= 0.1 + 1e-9), np.exp(-(t - s) / 0.02) / 0.02, 0.0) for s in (0.1, 0.13))
    np.testing.assert_allclose(trace.magnitude[:, 0], expected, atol=1e-9)
    means = step_means(trace, 100 * pq.ms)
    assert means.shape == (3, 1)
    np.testing.assert_allclose(means[:, 0], expected.reshape(3, 100).mean(axis=1), atol=1e-9)
    with pytest.raises(ValueError, match="shorter than one step"):
        step_means(trace, 1 * pq.s)


def test_ridge_recovers_a_planted_linear_readout_and_not_noise():
    rng = np.random.default_rng(0)
    X = rng.gamma(2.0, 5.0, (500, 30))
    w = rng.standard_normal(30)
    y = X @ w / 30 + 0.05 * rng.standard_normal(500)
    perm = rng.permutation(500)
    fit = ridge_baseline(X, y, perm[:450], perm[450:])
    assert fit.mse < 0.01 * np.var(y)
    noise = ridge_baseline(X, rng.standard_normal(500), perm[:450], perm[450:])
    assert noise.mse > 0.8  # unit-variance target: nothing to explain
    errors = online_ridge_errors(X[:200], y[:200], alpha=100.0)
    assert errors.shape == (199,)
    assert np.mean(errors[-50:]) < 0.1 * np.mean(errors[:10])
    with pytest.raises(ValueError, match="disjoint"):
        ridge_baseline(X, y, perm[:450], perm[440:])
    with pytest.raises(ValueError, match="NaN"):
        online_ridge_errors(np.full((5, 2), np.nan), np.zeros(5))
