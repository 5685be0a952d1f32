"""Golden single-neuron traces computed by hand from the discrete-time map (DESIGN.md), run in Brian2.

These use the numpy target; tests/models/test_devices.py shows that every target gives the same result.
"""

import numpy as np
import pytest

from lsnn.models import NetworkSpec, simulate
from lsnn.models.examples import single_neuron_spec, step_current

DT = 1e-3


def run(spec, n_steps, i_ext=None, x=None):
    x = np.zeros((n_steps, spec.n_in)) if x is None else x
    return simulate(spec, x, i_ext=i_ext, device="numpy", record_threshold=True, progress=False)


def test_lif_charging_curve_first_spike_and_reset():
    spec = single_neuron_spec(beta=0.0, n_ref=0)
    c, b0, alpha = 0.015, spec.b0[0], np.exp(-DT / spec.tau_m[0])
    res = run(spec, 200, i_ext=np.full((200, 1), c))
    n = np.arange(200)
    first = int(np.argmax(c * (1 - alpha**n) > b0))  # V(n) = c (1 - alpha^n) until the first spike
    assert res.spikes[:, 0].nonzero()[0][0] == first
    np.testing.assert_allclose(res.v[: first + 1, 0], c * (1 - alpha ** n[: first + 1]), rtol=0, atol=1e-15)
    v_after = alpha * res.v[first, 0] + (1 - alpha) * c - b0  # reset subtracts the threshold A = b0
    assert res.v[first + 1, 0] == pytest.approx(v_after, abs=1e-15)
    np.testing.assert_array_equal(res.thresholds[:, 0], b0)


def test_alif_threshold_is_b0_plus_beta_times_filtered_spikes():
    spec = single_neuron_spec(beta=1.0, tau_a=0.3, n_ref=2)
    res = run(spec, 1500, i_ext=step_current(1500, 100, 900, 0.05))
    rho = np.exp(-DT / 0.3)
    s = res.spikes[:, 0].astype(float)
    a = np.zeros(1500)
    for t in range(1, 1500):  # a(t) = rho a(t-1) + (1 - rho) z(t-1), by hand
        a[t] = rho * a[t - 1] + (1 - rho) * s[t - 1]
    assert s.sum() > 20
    np.testing.assert_allclose(res.thresholds[:, 0], spec.b0[0] + 1.0 * a, rtol=0, atol=1e-14)
    isi = np.diff(np.nonzero(s)[0])
    assert isi[-1] > isi[0]  # the rate adapts


def test_fitted_threshold_decay_time_constant_equals_tau_a():
    tau_a = 0.7
    spec = single_neuron_spec(beta=1.0, tau_a=tau_a)
    res = run(spec, 3000, i_ext=step_current(3000, 0, 500, 0.05))
    last = np.nonzero(res.spikes[:, 0])[0][-1]
    t = np.arange(last + 5, 3000)
    slope = np.polyfit(t * DT, np.log(res.thresholds[t, 0] - spec.b0[0]), 1)[0]
    assert -1 / slope == pytest.approx(tau_a, rel=1e-9)


@pytest.mark.parametrize("n_ref", [0, 1, 2, 3, 5])
def test_minimum_interspike_interval_equals_n_ref(n_ref):
    spec = single_neuron_spec(beta=0.0, n_ref=n_ref)
    res = run(spec, 300, i_ext=np.full((300, 1), 1.0))  # so strong that it fires whenever allowed
    isi = np.diff(np.nonzero(res.spikes[:, 0])[0])
    assert isi.min() == max(n_ref, 1)
    assert np.all(isi == max(n_ref, 1))


def test_elif_threshold_is_floored_at_A_min():
    spec = single_neuron_spec(beta=-0.5, tau_a=1.0).copy(A_min=[0.006])
    res = run(spec, 1000, i_ext=step_current(1000, 0, 600, 0.03))
    assert res.thresholds[:, 0].min() == pytest.approx(0.006, abs=1e-15)
    assert np.all(res.thresholds[:, 0] >= 0.006 - 1e-15)
    assert np.all(res.thresholds[:, 0] <= spec.b0[0] + 1e-15)


@pytest.mark.parametrize("delay", [0, 1, 4])
def test_input_spike_reaches_voltage_after_its_delay(delay):
    w, m = 0.004, 10
    spec = NetworkSpec(dt=DT, tau_m=0.02, tau_a=0.2, beta=0.0, b0=0.01, n_ref=0, sign=0, W_in=[[w]], W_rec=[[0.0]],
                       W_out=[[1.0]], b_out=[0.0], tau_out=0.02, d_in=[[delay]])
    x = np.zeros((40, 1))
    x[m] = 1
    res = run(spec, 40, x=x)
    alpha = np.exp(-DT / 0.02)
    first = np.nonzero(res.v[:, 0])[0][0]
    assert first == m + delay + 1  # x(t - d) enters I(t), which enters V(t + 1)
    assert res.v[first, 0] == pytest.approx((1 - alpha) * w, rel=1e-13)


@pytest.mark.parametrize("delay", [0, 2, 5])
def test_recurrent_spike_and_readout_timing(delay):
    W_rec = np.array([[0.0, 0.0], [0.003, 0.0]])
    d_rec = np.array([[0, 0], [delay, 0]])
    spec = NetworkSpec(dt=DT, tau_m=0.02, tau_a=0.2, beta=0.0, b0=0.01, n_ref=5, sign=0, W_in=np.zeros((2, 1)), W_rec=W_rec,
                       W_out=[[2.0, 0.0]], b_out=[0.1], tau_out=0.03, d_rec=d_rec)
    i_ext = np.zeros((60, 2))
    i_ext[0, 0] = 10.0  # one strong kick at step 0: neuron 0 spikes at step 1
    res = run(spec, 60, i_ext=i_ext)
    s = np.nonzero(res.spikes[:, 0])[0][0]
    assert s == 1
    first = np.nonzero(res.v[:, 1])[0][0]
    assert first == s + delay + 1
    kappa = np.exp(-DT / 0.03)
    np.testing.assert_allclose(res.outputs[:s, 0], 0.1, atol=1e-15)
    assert res.outputs[s, 0] == pytest.approx(0.1 + (1 - kappa) * 2.0, rel=1e-13)  # y(t) includes z(t)
    assert res.outputs[s + 3, 0] == pytest.approx(0.1 + (1 - kappa) * 2.0 * kappa**3, rel=1e-12)
