"""SVM decoding of a stored value: planted codes are read out, shuffled labels are not, an inverted
code between phases gives near-zero cross-phase accuracy (the eLife STORE -> RECALL result)."""

import numpy as np
import pytest

from lsnn.analysis.decoding import cross_phase_accuracy, decode


def _phase(rng, values, sign=1.0, n_neurons=20):
    counts = rng.poisson(5.0, (len(values), n_neurons)).astype(float)
    counts[:, :8] += sign * 4 * (2 * values[:, None] - 1)  # neurons 0-7 carry the value
    return counts


def test_planted_value_is_decoded_and_shuffled_labels_are_at_chance():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 2, 120)
    X = _phase(rng, values)
    res = decode(X, values, n_splits=3)
    assert res.accuracy > 0.95 and len(res.fold_accuracies) == 3
    null = decode(X, rng.permutation(values), n_splits=3)
    assert abs(null.accuracy - 0.5) < 0.2


def test_inverted_code_between_phases_gives_near_zero_cross_phase_accuracy():
    rng = np.random.default_rng(1)
    values = rng.integers(0, 2, 120)
    store, recall = _phase(rng, values, +1), _phase(rng, values, -1)
    assert cross_phase_accuracy(store, values, recall, values, n_splits=3) < 0.1
    assert cross_phase_accuracy(store, values, _phase(rng, values, +1), values, n_splits=3) > 0.9


def test_bad_input_is_refused():
    rng = np.random.default_rng(2)
    with pytest.raises(ValueError, match="single value"):
        decode(rng.random((20, 3)), np.zeros(20))
    with pytest.raises(ValueError, match="rarest label"):
        decode(rng.random((20, 3)), np.r_[np.zeros(18), np.ones(2)])
    with pytest.raises(ValueError, match="one label per sample"):
        decode(rng.random((20, 3)), np.zeros(19))
