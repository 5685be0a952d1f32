"""Current noise (eLife 12AX noise test): keyed per held-out trial, the same in PyTorch and Brian2, resumable."""

import json

import numpy as np
import pytest
import torch

from lsnn.training.config import make_config
from lsnn.training.evaluation import evaluate_run
from lsnn.training.noise import held_out_noise, training_noise
from lsnn.training.trainer import train
from lsnn.training.validate import validate_run


def test_held_out_noise_belongs_to_the_trial_not_to_the_batch():
    whole = held_out_noise(0.1, 7, 0, 5, 30, 4)
    np.testing.assert_array_equal(held_out_noise(0.1, 7, 2, 3, 30, 4), whole[2:])
    assert whole.shape == (5, 30, 4) and abs(whole.std() - 0.1) < 0.01 and abs(whole.mean()) < 0.01
    assert not np.array_equal(held_out_noise(0.1, 8, 0, 5, 30, 4), whole)  # another test seed, other noise
    assert held_out_noise(0.0, 7, 0, 5, 30, 4) is None and training_noise(0.0, (2, 3, 4), 0, 0, torch.float32) is None
    a, b = training_noise(0.2, (2, 30, 4), 0, 5, torch.float64), training_noise(0.2, (2, 30, 4), 0, 6, torch.float64)
    assert torch.equal(a, training_noise(0.2, (2, 30, 4), 0, 5, torch.float64)) and not torch.equal(a, b)


@pytest.fixture(scope="module")
def noisy_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "noisy"
    train(make_config("store_recall", "sfa", "tiny", {"n_test": 12, "test_batch": 5, "current_noise": 0.05}), run, progress=False)
    return run


def test_a_run_trained_with_noise_validates_spike_for_spike_with_its_noise(noisy_run):
    report = validate_run(noisy_run, device="numpy", nwb=False, progress=False)
    assert report["ok"] and report["n_identical_rasters"] == 12 and report["max_abs_v_difference"] <= 1e-9
    # the noise is really there: without it, Brian2 produces other rasters
    from lsnn.models import simulate
    from lsnn.training.runs import held_out_set, load_run

    spec, cfg, task = load_run(noisy_run)
    quiet = simulate(spec, held_out_set(cfg, task, 12).x, device="numpy", record_v=False, progress=False)
    assert quiet.spikes.sum() != report["n_spikes"]


def test_noise_is_resumed_bit_identically(tmp_path):
    cfg = make_config("store_recall", "sfa", "tiny", {"n_iterations": 6, "checkpoint_every": 2, "current_noise": 0.05})
    train(cfg, tmp_path / "full", progress=False)
    train(cfg, tmp_path / "cut", progress=False, max_iterations=3)
    train(cfg, tmp_path / "cut", resume=True, progress=False)
    full, cut = (np.load(tmp_path / d / "network.npz") for d in ("full", "cut"))
    np.testing.assert_array_equal(full["W_rec"], cut["W_rec"])


def test_noise_test_of_a_network_trained_without_noise(tmp_path, cli):
    run = tmp_path / "run"
    train(make_config("store_recall", "sfa", "tiny", {"n_test": 16, "test_batch": 8}), run, progress=False)
    quiet = evaluate_run(run, progress=False)
    loud = evaluate_run(run, current_noise=1.0, progress=False)
    assert quiet["current_noise"] == 0.0 and loud["current_noise"] == 1.0
    assert (run / "evaluation_float32_noise1.json").is_file() and (run / "evaluation_float32.json").is_file()
    assert loud["rate_hz"] > quiet["rate_hz"]  # strong noise drives the neurons
    rc, out, _ = cli.run("evaluate", run, "--current-noise", "0.5", "--no-progress")
    assert rc == 0 and "with 0.5 V current noise" in out
    assert json.loads((run / "evaluation_float32_noise0.5.json").read_text())["current_noise"] == 0.5
    cli.error("evaluate", run, "--current-noise", "-1", match="current_noise must be in")
    cli.error("train", "--task", "store_recall", "--model", "lstm", "--preset", "tiny", "--set", "current_noise=0.1",
              "--run-dir", tmp_path / "x", match="baseline has none")
