"""Initialisation recipes (NeurIPS suppl.) and adaptation time-constant distributions (eLife)."""

import numpy as np
import pytest

from lsnn.training.init import adaptation_time_constants, ei_weights, gaussian_weights, random_signs, sparse_mask


def test_gaussian_weights_scale_with_fan_in():
    W = gaussian_weights(np.random.default_rng(0), 400, 100)
    assert W.std() == pytest.approx(1 / np.sqrt(100), rel=0.02)


def test_ei_weights_follow_signs_balance_and_unit_spectral_radius():
    rng = np.random.default_rng(1)
    sign = random_signs(rng, 50, 0.8)
    assert (sign > 0).sum() == 40
    W = ei_weights(rng, 50, 50, sign)
    assert np.all(W * sign[None, :] >= 0)
    np.testing.assert_allclose(W.sum(axis=1), 0, atol=1e-12)  # balanced input onto every neuron
    assert np.max(np.abs(np.linalg.eigvals(W))) == pytest.approx(1.0, rel=1e-10)
    rect = ei_weights(rng, 20, 50, sign)  # a non-square matrix: rows drawn from a square one
    assert rect.shape == (20, 50) and np.all(rect * sign[None, :] >= 0)


def test_sparse_mask_has_exactly_the_requested_connections():
    m = sparse_mask(np.random.default_rng(2), (30, 30), 0.12, forbid_diagonal=True)
    assert m.sum() == round(0.12 * 870) and not m.diagonal().any()


def test_adaptation_time_constant_distributions():
    rng = np.random.default_rng(3)
    assert np.all(adaptation_time_constants(rng, 5, 2.0) == 2.0)
    u = adaptation_time_constants(rng, 20000, 8.0, "uniform")
    assert u.max() <= 8.0 and u.mean() == pytest.approx(4.0, rel=0.03)
    p = adaptation_time_constants(rng, 20000, 8.0, "power_law")
    # tau = 8 (1 - X), X ~ power(2.5): E[X] = 2.5/3.5, so E[tau] = 8/3.5
    assert p.max() <= 8.0 and p.mean() == pytest.approx(8.0 / 3.5, rel=0.03) and p.min() > 0
    with pytest.raises(ValueError, match="distribution"):
        adaptation_time_constants(rng, 3, 1.0, "lognormal")
