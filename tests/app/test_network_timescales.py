"""Intrinsic time scales and adaptation indices of the shipped STORE-RECALL networks (eLife Appendix 1)."""

from pathlib import Path

import numpy as np
import pytest
import quantities as pq

from lsnn.app.timescales import network_timescales, neuron_adaptation_indices
from lsnn.models.spec import NetworkSpec

SHIPPED = Path(__file__).resolve().parents[2] / "notebooks" / "data"


def test_lif_neurons_do_not_adapt_and_alif_neurons_do():
    """Alone under a constant step, a LIF neuron (reset by subtraction) fires at constant intervals: index 0
    to rounding; an ALIF neuron's intervals lengthen: index > 0."""
    lif = NetworkSpec.load(SHIPPED / "store_recall_lif_quick" / "network.npz")
    sfa = NetworkSpec.load(SHIPPED / "store_recall_sfa_quick" / "network.npz")
    np.testing.assert_allclose(neuron_adaptation_indices(lif), 0.0, atol=1e-12)
    index = neuron_adaptation_indices(sfa)
    assert np.all(index > 0.02) and np.all(np.isfinite(index))
    assert np.all(neuron_adaptation_indices(sfa, amplitude=3.0) > 0)
    with pytest.raises(ValueError, match="amplitude > 1"):
        neuron_adaptation_indices(sfa, amplitude=0.5)


def test_network_time_scales_from_held_out_trials():
    result = network_timescales(SHIPPED / "store_recall_sfa_quick", n_trials=64)
    assert result.n_trials == 64 and result.window == (0.0, 0.5)
    assert result.result.autocorrelation.shape == (60, 9) and result.result.lags[-1] == 450 * pq.ms
    summary = result.summary()["ALIF"]
    assert summary["n_neurons"] == 60 and summary["n_fitted"] >= 30 and 10 < summary["median_ms"] < 2000
    assert np.all(result.rates_hz >= 0)
    with pytest.raises(ValueError, match="beyond the trials"):
        network_timescales(SHIPPED / "store_recall_sfa_quick", n_trials=8, start=100.0)
