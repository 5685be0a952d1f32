"""The two-neuron circuit of eLife Fig. 1D-E: Brian2 equals the reference map, the threshold jump is
beta (1 - exp(-dt/tau_a)), and the stored bit is read from the neuron that fires less at RECALL."""

import numpy as np
import pytest

from lsnn.app.circuit import two_neuron_trial
from lsnn.models.examples import store_recall_input, two_neuron_circuit_spec


@pytest.fixture(scope="module")
def trial():
    return two_neuron_trial(seed=0, device="cython")


def test_brian2_equals_the_reference_map(trial):
    assert trial.spikes.sum() > 20 and np.array_equal(trial.spikes, trial.reference_spikes)


def test_each_spike_raises_the_threshold_by_half_the_base_threshold(trial):
    spec = two_neuron_circuit_spec()
    jump = float(spec.beta[0] * (1 - np.exp(-spec.dt / spec.tau_a[0])))
    assert jump == pytest.approx(0.0025, rel=1e-3)  # 0.5 x 5 mV, the paper's "beta = 3, tau_a = 1.2 s, v_th = 5 mV"
    A = trial.thresholds[:, 1]  # NR: silent before its first spike at STORE
    first = int(np.flatnonzero(trial.spikes[:, 1])[0])
    assert np.all(A[: first + 1] == pytest.approx(spec.b0[1]))
    assert A[first + 1] - spec.b0[1] == pytest.approx(jump, rel=1e-9)  # a(t+dt) = (1 - rho) z(t)


def test_the_stored_bit_is_read_from_the_quieter_neuron(trial):
    rows = trial.recalls()
    assert [(r["stored"], r["recalled"]) for r in rows] == [(1, 1), (0, 0)]
    assert all(r["negative_imprinting"] for r in rows)


def test_bad_sequences_are_refused():
    with pytest.raises(ValueError, match="commands"):
        store_recall_input(np.random.default_rng(0), [0, 3], [0, 1])
