"""``lsnn reproduce`` on the tiny preset: every cell trained once and reused on a rerun, validated spike
for spike in Brian2 (numpy / cython), tabulated next to the paper's numbers; bad grids refused."""

import json

import pandas as pd
import pytest

from lsnn.app.commands.reproduce import NAMES, TABLE1_ROWS
from lsnn.app.reproduce import (COMPARISONS, TABLE1_PAPER, TABLE1_ROWS as ROWS, comparison_config, reproduce_comparison,
                                reproduce_table1, table1_config)


def test_table1_cells_are_configured_as_in_the_paper():
    cfg = table1_config("sfa-power-law-8", 4.0, "quick", seed=3)
    assert (cfg.model, cfg.tau_a, cfg.tau_a_distribution, cfg.seed) == ("sfa", 8.0, "power_law", 3)
    assert cfg.task_params == {"expected_delay": 4.0} and cfg.n_rec == 60 and cfg.beta == 1.0
    assert table1_config("lif", 16.0, "paper", 0).model == "lif"
    assert table1_config("sfa-2", 2.0, "paper", 0).n_iterations == 400
    with pytest.raises(ValueError, match="expected delays"):
        table1_config("sfa-2", 3.0, "quick", 0)
    with pytest.raises(ValueError, match="unknown Table 1 row"):
        table1_config("sfa-3", 2.0, "quick", 0)


def test_the_command_offers_exactly_the_reproductions():
    assert set(NAMES) == {"elife-table1", *COMPARISONS} and set(TABLE1_ROWS) == set(ROWS)


def test_tiny_table_trains_validates_tabulates_and_reuses_finished_runs(tmp_path, cli):
    logs = []
    frame = reproduce_table1(tmp_path, preset="tiny", rows=["lif", "sfa-2"], device="cython", progress=False, log=logs.append)
    assert list(frame.row) == ["lif", "sfa-2"] and list(frame.delay_s) == [0.2, 0.2]
    assert (frame.validated_trials == 4).all() and (frame.identical_trials == 4).all()
    assert list(frame.paper) == [TABLE1_PAPER["lif"][0.2], TABLE1_PAPER["sfa-2"][0.2]]
    assert frame.accuracy.between(0, 100).all() and frame.brian2_accuracy.between(0, 100).all()
    text = (tmp_path / "table1.md").read_text()
    assert "| tau_a = 2 s |" in text and "(99)" in text and "(float64, cython): 8/8 test trials with identical rasters" in text
    runs = pd.read_csv(tmp_path / "table1_runs.csv")
    assert len(runs) == 2
    metrics = tmp_path / "runs" / "sfa-2-delay0.2s-s0" / "metrics.jsonl"
    before = metrics.read_text()
    # the command line reuses the finished runs: no new iteration is written
    assert cli.run("reproduce", "elife-table1", "--preset", "tiny", "--rows", "lif", "sfa-2", "--device", "cython",
                   "--out", tmp_path, "--no-progress")[0] == 0
    assert metrics.read_text() == before
    assert json.loads((tmp_path / "table1.json").read_text())["preset"] == "tiny"
    cli.error("reproduce", "elife-table1", "--preset", "tiny", "--delays", "3", "--out", tmp_path, match="expected delays")
    rc, out, _ = cli.run("figures", tmp_path)
    assert rc == 0 and (tmp_path / "figures" / "table1.png").stat().st_size > 20_000


def test_comparisons_are_configured_as_in_the_paper():
    fig2b = COMPARISONS["elife-fig2b"]
    assert list(fig2b.variants) == ["sfa", "lif", "elif", "stp_d", "stp_f"]
    assert comparison_config(fig2b, "stp_f", "paper", 0).batch_size == 128  # Fig. 2B used batch 128
    assert comparison_config(fig2b, "sfa", "quick", 0) == table1_config("sfa-2", 2.0, "quick", 0)  # the 2 s column of Table 1
    assert COMPARISONS["elife-dup-rev"].variants == {"sfa": 95.88, "lif": 0.0}
    assert comparison_config(COMPARISONS["elife-12ax"], "sfa", "paper", 0).n_iterations == 10_000
    with pytest.raises(ValueError, match="compares"):
        comparison_config(COMPARISONS["elife-fig2a"], "stp_d", "quick", 0)


def test_tiny_fig2b_trains_validates_and_orders_the_variants(tmp_path, cli):
    frame = reproduce_comparison("elife-fig2b", tmp_path, preset="tiny", models=["lif", "stp_f"], validate_trials=2, device="numpy",
                                 progress=False, log=lambda *_: None)
    assert list(frame.model) == ["lif", "stp_f"]
    assert (frame.identical_trials == 2).all() and frame.paper.isna().all()
    text = (tmp_path / "elife-fig2b.md").read_text()
    assert "Ours, best to worst: " in text and "STP-F much worse" in text and "| 2/2 |" in text
    summary = json.loads((tmp_path / "elife-fig2b.json").read_text())["summary"]
    assert [s["mean"] for s in summary] == sorted((s["mean"] for s in summary), reverse=True)
    metrics = (tmp_path / "runs" / "lif-s0" / "metrics.jsonl").read_text()
    assert cli.run("reproduce", "elife-fig2b", "--preset", "tiny", "--models", "lif", "stp_f", "--validate-trials", "2",
                   "--device", "numpy", "--out", tmp_path, "--no-progress")[0] == 0  # reuses both runs and validations
    assert (tmp_path / "runs" / "lif-s0" / "metrics.jsonl").read_text() == metrics
    cli.error("reproduce", "elife-fig2b", "--preset", "tiny", "--rows", "lif", "--out", tmp_path, match="--rows and --delays apply to elife-table1 only")
    cli.error("reproduce", "elife-fig2a", "--preset", "tiny", "--models", "elif", "--out", tmp_path, match="compares")
    assert cli.run("figures", tmp_path)[0] == 0 and (tmp_path / "figures" / "elife-fig2b.png").stat().st_size > 10_000
