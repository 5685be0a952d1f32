"""Short-term plasticity (eLife Methods eqs. 6-10): the file contract, and the efficacy of a synapse
measured in Brian2 against the closed form of the equations for a known presynaptic spike train."""

import numpy as np
import pytest

from lsnn.models import NetworkSpec, SpecError, simulate, simulate_reference
from lsnn.models.examples import random_stp_spec


def test_stp_fields_round_trip_and_plain_files_stay_plain(tmp_path):
    spec = random_stp_spec(np.random.default_rng(0), n_in=4, n_rec=6, n_out=2)
    assert spec.has_stp
    loaded = NetworkSpec.load(spec.save(tmp_path / "stp.npz"))
    assert loaded == spec and loaded.has_stp
    np.testing.assert_array_equal(loaded.stp_F, spec.stp_F)
    plain = spec.copy(stp_U=None, stp_F=None, stp_D=None)
    reloaded = NetworkSpec.load(plain.save(tmp_path / "plain.npz"))
    assert not reloaded.has_stp and reloaded != spec


@pytest.mark.parametrize(
    "change, match",
    [
        ({"stp_D": None}, "stp_D missing"),
        ({"stp_U": 0.0}, "stp_U must lie in"),
        ({"stp_U": 1.5}, "stp_U must lie in"),
        ({"stp_F": -0.1}, "stp_F must be positive"),
        ({"stp_D": np.nan}, "stp_D contains NaN"),
        ({"stp_U": np.ones(3) * 0.2}, r"stp_U has shape \(3,\)"),
    ],
)
def test_bad_stp_fields_are_refused_by_name(change, match):
    spec = random_stp_spec(np.random.default_rng(1), n_in=4, n_rec=6, n_out=2)
    with pytest.raises(SpecError, match=match):
        spec.copy(**change)


def two_neuron_spec(U, F, D, w=0.004, delay=1, n_ref=2):
    """Neuron 0 (driven) -> neuron 1 (never fires: threshold 1 kV), so V_1 integrates the efficacies."""
    return NetworkSpec(
        dt=1e-3, tau_m=0.02, tau_a=1.0, beta=0.0, b0=[0.01, 1000.0], n_ref=n_ref, sign=0,
        W_in=np.zeros((2, 1)), W_rec=[[0.0, 0.0], [w, 0.0]], W_out=np.ones((1, 2)), b_out=[0.0], tau_out=0.02,
        d_rec=delay, stp_U=U, stp_F=F, stp_D=D,
    )


def closed_form_efficacies(spike_steps, U, F, D, dt=1e-3):
    """eqs. 6-9 solved between spikes: after a spike u and r jump, then decay as exp(-k dt / F), exp(-k dt / D)."""
    eff, u, r, last = [], 0.0, 0.0, None
    for s in spike_steps:
        if last is not None:  # decay over the s - last - 1 steps after the jump landed at last + 1
            u *= np.exp(-(s - last - 1) * dt / F)
            r *= np.exp(-(s - last - 1) * dt / D)
        eff.append((U + u) * (1 - r))
        u_new = np.exp(-dt / F) * u + U * (1 - U - u)
        r = np.exp(-dt / D) * r + (U + u_new) * (1 - r)
        u, last = u_new, s
    return np.array(eff)


@pytest.mark.parametrize("kind, U, F, D", [("depressing", 0.5, 0.02, 0.7), ("facilitating", 0.1, 0.8, 0.05)])
@pytest.mark.parametrize("delay", [0, 1])
def test_efficacy_seen_by_the_target_matches_the_equations(kind, U, F, D, delay):
    T = 3000
    spike_steps = [20, 30, 40, 50, 60, 150, 160, 170, 2990]
    spec = two_neuron_spec(U, F, D, delay=delay)
    i_ext = np.zeros((T, 2))
    alpha = np.exp(-spec.dt / 0.02)
    i_ext[np.array(spike_steps) - 1, 0] = 0.012 / (1 - alpha)  # a one-step pulse: neuron 0 spikes exactly at these steps
    res = simulate(spec, np.zeros((T, 1)), i_ext=i_ext, device="numpy", progress=False)
    assert np.flatnonzero(res.spikes[:, 0]).tolist() == spike_steps
    V1 = res.v[:, 1]
    arrival = np.array(spike_steps) + delay  # the current of step t shows in V(t + 1)
    seen = (V1[arrival + 1] - alpha * V1[arrival]) / ((1 - alpha) * 0.004)
    expected = closed_form_efficacies(spike_steps, U, F, D)
    np.testing.assert_allclose(seen, expected, rtol=1e-9)
    assert expected[0] == pytest.approx(U)
    if kind == "depressing":  # a 100 Hz train depresses, a long pause recovers
        assert expected[4] < 0.6 * expected[0] and expected[-1] > 0.95 * U and expected[7] < expected[-1]
    else:  # facilitates, and forgets after a long pause
        assert expected[4] > 1.5 * expected[0] and expected[-1] < 1.2 * U
    ref = simulate_reference(spec, np.zeros((T, 1)), i_ext)
    np.testing.assert_array_equal(ref.spikes, res.spikes)
    np.testing.assert_allclose(ref.v, res.v, rtol=0, atol=1e-12)


def test_brian2_refuses_delays_longer_than_the_refractory_period():
    spec = two_neuron_spec(0.3, 0.1, 0.1, delay=3, n_ref=2)
    with pytest.raises(ValueError, match="delay 3 steps, longer than the refractory period"):
        simulate(spec, np.zeros((10, 1)), device="numpy", progress=False)
