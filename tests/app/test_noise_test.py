"""The eLife 12AX noise test (one network trained without noise, tested under current noise): the table, the
figure, the free-membrane s.d. and the Brian2 validation of a noise level."""

import json

import numpy as np
import pandas as pd
import pytest

from lsnn.app.noise_test import free_membrane_sd
from lsnn.training.config import make_config
from lsnn.training.evaluation import evaluate_run
from lsnn.training.trainer import train


@pytest.fixture(scope="module")
def twelve_ax_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "twelve_ax"
    train(make_config("12ax", "sfa", "tiny", {"n_test": 12, "test_batch": 6}), run, progress=False)
    return run


def test_free_membrane_sd_is_the_stationary_sd_of_the_membrane_map():
    # v(t) = alpha v(t-1) + (1 - alpha) sigma xi(t), simulated: its s.d. after the transient
    alpha, sigma = np.exp(-1e-3 / 20e-3), 0.05
    rng = np.random.default_rng(0)
    v, values = np.zeros(4000), []
    for t in range(1500):
        v = alpha * v + (1 - alpha) * sigma * rng.standard_normal(v.size)
        if t >= 500:
            values.append(v.copy())
    assert free_membrane_sd(sigma, np.full(3, 20e-3), 1e-3) == pytest.approx(np.std(values), rel=0.01)
    assert free_membrane_sd(sigma, np.full(3, 20e-3), 1e-3) == pytest.approx(7.9e-3, abs=0.05e-3)  # the module's example


def test_noise_test_table_matches_the_evaluations_and_the_paper(twelve_ax_run, cli, tmp_path):
    rc, out, _ = cli.run("evaluate", twelve_ax_run, "--current-noise", "0.5", "0.1", "--out", tmp_path, "--no-progress")
    assert rc == 0, out
    frame = pd.read_csv(tmp_path / "noise_test.csv")
    assert frame["sigma"].tolist() == [0.0, 0.1, 0.5]  # sorted, with the noise-free level added
    assert frame["paper"].tolist() == [97.85, 80.25, 0.25]  # the paper's 12AX numbers at those levels
    quiet = evaluate_run(twelve_ax_run, progress=False, out=tmp_path / "quiet")
    assert frame.loc[0, "success"] == pytest.approx(100 * quiet["success"]) and frame.loc[0, "accuracy"] == pytest.approx(100 * quiet["accuracy"])
    for row in frame.itertuples():
        level = json.loads((tmp_path / f"evaluation_float32_noise{row.sigma:g}.json").read_text())
        assert level["current_noise"] == row.sigma and 100 * level["accuracy"] == pytest.approx(row.accuracy)
    assert frame["rate_hz"].iloc[2] > frame["rate_hz"].iloc[0]  # strong noise drives the neurons
    assert frame["membrane_sd_mV"].iloc[2] == pytest.approx(5 * frame["membrane_sd_mV"].iloc[1])
    table = (tmp_path / "noise_test.md").read_text()
    assert "| 0.1 |" in table and "80.25" in table and "sigma 0.5 V" in out and "(paper 0.25 %)" in out
    assert (tmp_path / "noise_test.png").stat().st_size > 10_000
    cli.error("evaluate", twelve_ax_run, "--current-noise", "0.1", "-1", "--out", tmp_path, match="current_noise must be in")
    (tmp_path / "empty").mkdir()
    cli.error("evaluate", tmp_path / "empty", match="not a run folder")


def test_a_noise_level_validates_spike_for_spike_in_brian2(twelve_ax_run, cli, tmp_path):
    rc, out, _ = cli.run("validate", twelve_ax_run, "--device", "numpy", "--trials", "4", "--current-noise", "0.1", "--no-nwb",
                         "--out", tmp_path, "--no-progress")
    assert rc == 0, out
    noisy = json.loads((tmp_path / "validation_noise0.1.json").read_text())
    assert noisy["ok"] and noisy["n_identical_rasters"] == 4 and noisy["current_noise"] == 0.1
    assert not (tmp_path / "validation.json").exists()  # the run's own validation is never overwritten
    rc, _, _ = cli.run("validate", twelve_ax_run, "--device", "numpy", "--trials", "4", "--no-nwb", "--out", tmp_path, "--no-progress")
    quiet = json.loads((tmp_path / "validation.json").read_text())
    assert rc == 0 and quiet["current_noise"] == 0.0 and quiet["n_spikes"] != noisy["n_spikes"]  # the noise is really there
    cli.error("validate", twelve_ax_run, "--current-noise", "0.1", "--write-reference", match="not to --write-reference")
