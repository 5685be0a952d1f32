"""``lsnn reproduce neurips-metarl`` and ``lsnn figures`` on a tiny meta-RL run (NeurIPS Fig. 3 / S1)."""

import json

import numpy as np
import pytest


@pytest.fixture(scope="module")
def metarl_results(tmp_path_factory):
    from lsnn.app.metarl import reproduce_metarl

    out = tmp_path_factory.mktemp("metarl_results")
    frame = reproduce_metarl(out, preset="tiny", seeds=1, rows=["lsnn", "lif"], device="numpy", progress=False, log=lambda *_: None)
    return out, frame


def test_reproduce_writes_the_table_with_brian2_replays(metarl_results):
    out, frame = metarl_results
    assert list(frame["row"]) == ["lsnn", "lif"] and frame["brian2_identical_spikes"].all()
    assert (frame["brian2_max_action_difference"] <= 1e-9).all()
    assert np.allclose(frame["connectivity"], 0.2, atol=0.01)  # DEEP R keeps the global connectivity
    text = (out / "neurips-metarl.md").read_text()
    assert "| lsnn | 1 | 3 x 2 |" in text and "1/1 identical" in text and "figures only" in text
    runs = json.loads((out / "neurips-metarl.json").read_text())["runs"]
    assert {r["row"] for r in runs} == {"lsnn", "lif"}


def test_connection_probabilities_count_the_active_set(metarl_results):
    from lsnn.app.metarl import connection_probabilities
    from lsnn.models import NetworkSpec

    out, _ = metarl_results
    spec = NetworkSpec.load(out / "runs" / "lsnn-s0" / "network.npz")
    P, pre, post = connection_probabilities(spec)
    assert pre == ["input", "E", "I", "A"] and post == ["E", "I", "A", "readout"] and np.isnan(P[3, 0])
    n_in = spec.n_in
    sizes = {"input": n_in, **{k: len(v) for k, v in zip("EIA", spec.meta["populations"].values())}}
    total = sum(P[i, j] * sizes[pre[j]] * (sizes[post[i]] - (pre[j] == post[i])) for i in range(3) for j in range(4))
    assert total == pytest.approx(spec.mask_in.sum() + spec.mask_rec.sum())


def test_figures_of_a_metarl_results_folder(metarl_results, cli):
    out, _ = metarl_results
    rc, _, _ = cli.run("figures", str(out), "--out", str(out / "fig"))
    assert rc == 0
    names = sorted(p.name for p in (out / "fig").glob("*.png"))
    for run in ("lsnn-s0", "lif-s0"):
        assert {f"{run}_learning_curves.png", f"{run}_paths.png", f"{run}_connectivity.png", f"{run}_activity.png"} <= set(names)


def test_activity_rerun_matches_the_recorded_episode(metarl_results):
    from lsnn.app.metarl import episode_activity

    out, _ = metarl_results
    act = episode_activity(out / "runs" / "lsnn-s0")
    assert act["identical_to_recording"] and act["thresholds"].shape[1] > 0 and set(act["groups"]) == {"E", "I", "A"}


def test_reproduce_command_reuses_the_runs_and_reports_the_replays(metarl_results, cli):
    out, frame = metarl_results
    rc, stdout, _ = cli.run("reproduce", "neurips-metarl", "--preset", "tiny", "--rows", "lsnn", "lif", "--device", "numpy",
                            "--out", str(out), "--no-progress")
    assert rc == 0 and "| lsnn | 1 | 3 x 2 |" in stdout and "1/1 identical" in stdout
    assert json.loads((out / "neurips-metarl.json").read_text())["runs"][0]["reused"] is True


def test_metarl_options_that_do_not_apply_are_refused(cli, tmp_path):
    cli.error("reproduce", "neurips-metarl", "--preset", "tiny", "--models", "sfa", "--out", str(tmp_path),
              match="neurips-metarl is selected with --rows lsnn lif")
    cli.error("train", "--task", "metarl_navigation", "--model", "lstm", "--preset", "tiny", "--run-dir", str(tmp_path / "r"),
              match="model 'lstm' is not available for metarl_navigation")
