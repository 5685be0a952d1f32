"""Learning-to-learn tasks (NeurIPS §5): the function families, the input code, the regression loss, a
trained network re-simulated spike for spike in Brian2, and gradients that stay finite over a whole episode."""

import numpy as np
import pytest
import torch

from lsnn.training.config import L2L_TAU_A_MIN, make_config
from lsnn.training.tasks.l2l import (L2LSines, L2LTargetNets, gaussian_population_rates, target_network,
                                     target_network_params)
from lsnn.training.trainer import build_model, build_task, train
from lsnn.training.validate import validate_run


def test_target_networks_are_scaled_to_the_unit_interval_on_their_domain():
    rng = np.random.default_rng(0)
    p = target_network_params(rng, 5)
    axis = np.linspace(-1, 1, 101)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(1, -1, 2).repeat(5, 0)
    y = target_network(p, grid)
    np.testing.assert_allclose(y.min(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.max(axis=1), 1.0, atol=1e-12)
    # by hand for one network: sigmoid(w2 . sigmoid(W1 x + b1) + b2), then scaled
    x = np.array([0.3, -0.7])
    raw = 1 / (1 + np.exp(-(p["w2"][0] @ (1 / (1 + np.exp(-(p["W1"][0] @ x + p["b1"][0])))) + p["b2"][0])))
    assert target_network({k: v[:1] for k, v in p.items()}, x[None, None])[0, 0] == pytest.approx((raw - p["lo"][0]) / (p["hi"][0] - p["lo"][0]))
    assert all(np.all(np.abs(p[k]) <= 1) for k in ("W1", "b1", "w2", "b2"))


def test_episodes_give_the_previous_target_and_the_input_in_population_codes():
    task = L2LTargetNets(n_steps_seq=40, n_per_dim=20, rate=1000.0)  # high rate: the code is readable from few steps
    batch = task.sample(np.random.default_rng(1), 3)
    L, S = task.step_steps, 40
    assert batch.x.shape == (3, S * L, 60) and batch.windows.shape == (S, 2) and task.n_in == 60 and task.n_out == 1
    target, x = batch.conditions["target"], batch.conditions["x"]
    counts = batch.x.reshape(3, S, L, 3, 20).sum(2)  # (trials, steps, component, neuron)
    preferred = {0: np.linspace(-1, 1, 20), 2: np.linspace(0, 1, 20)}
    decoded_x = (counts[..., 0, :] * preferred[0]).sum(-1) / counts[..., 0, :].sum(-1)
    decoded_prev = (counts[:, 1:, 2, :] * preferred[2]).sum(-1) / np.maximum(counts[:, 1:, 2, :].sum(-1), 1)
    assert np.abs(decoded_x - x[..., 0]).mean() < 0.05
    assert np.abs(decoded_prev - target[:, :-1]).mean() < 0.05  # step k carries the target of step k - 1
    rates = gaussian_population_rates(np.array([0.5]), 0.0, 1.0, 11, 200.0)
    assert rates[0].argmax() == 5 and rates[0, 5] == 200.0 and rates[0, 4] == pytest.approx(200 * np.exp(-0.5))


def test_sines_and_the_regression_loss():
    task = L2LSines(n_steps_seq=10, n_per_dim=10)
    batch = task.sample(np.random.default_rng(2), 4)
    a, phi, x = batch.conditions["param_amplitude"], batch.conditions["param_phase"], batch.conditions["x"][..., 0]
    np.testing.assert_allclose(batch.conditions["target"], a[:, None] * np.sin(phi[:, None] + x))
    assert np.all((a >= 0.1) & (a <= 5)) and np.all((phi >= 0) & (phi <= np.pi)) and np.all(np.abs(x) <= 5)
    perfect = torch.as_tensor(np.repeat(batch.conditions["target"], task.step_steps, axis=1)[..., None])
    assert task.loss(perfect, batch).item() == pytest.approx(0.0, abs=1e-12)
    assert task.metrics(perfect + 0.5, batch)["mse"] == pytest.approx(0.25)


def test_a_trained_l2l_network_runs_in_brian2_spike_for_spike(tmp_path):
    run = tmp_path / "run"
    result = train(make_config("l2l_target_nets", "sfa", "tiny"), run, progress=False)
    assert 0 < result["test"]["mse"] < 1 and result["test"]["rate_hz"] > 0
    report = validate_run(run, device="numpy", nwb=False, progress=False)
    assert report["ok"] and report["n_identical_rasters"] == report["n_trials"] == 8 and report["n_spikes"] > 100
    assert report["metric_brian2"]["mse"] == pytest.approx(report["metric_torch"]["mse"], rel=1e-9)


def test_gradients_stay_finite_over_a_whole_paper_episode():
    """The 25 ms floor of tau_a (a departure, see the preset): one 10 s episode of the paper's sine network."""
    cfg = make_config("l2l_sines", "sfa", "paper", {"batch_size": 1})
    assert cfg.tau_a_min == L2L_TAU_A_MIN and cfg.n_rec == 100 and cfg.frac_adaptive == 0.4
    task = build_task(cfg)
    net = build_model(cfg, task)
    batch = task.sample(np.random.default_rng(0), 1)
    out = net(batch.x, record_state=False)
    task.loss(out.outputs, batch).backward()
    assert torch.isfinite(net.W_rec.grad).all() and net.W_rec.grad.abs().max() < 1.0
