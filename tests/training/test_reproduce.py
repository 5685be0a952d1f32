"""``lsnn reproduce elife-table1`` on the tiny preset: every cell trained once and reused on a rerun,
validated spike for spike in Brian2, tabulated next to the paper's numbers; bad grids refused."""

import json

import pandas as pd
import pytest

from lsnn.figures.cli import main
from lsnn.training.reproduce import TABLE1_PAPER, reproduce_table1, table1_config


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


def test_tiny_table_trains_validates_tabulates_and_reuses_finished_runs(tmp_path):
    logs = []
    frame = reproduce_table1(tmp_path, preset="tiny", rows=["lif", "sfa-2"], progress=False, log=logs.append)
    assert list(frame.row) == ["lif", "sfa-2"] and list(frame.delay_s) == [0.2, 0.2]
    assert (frame.validated_trials == 4).all() and (frame.identical_trials == 4).all()
    assert list(frame.paper) == [TABLE1_PAPER["lif"][0.2], TABLE1_PAPER["sfa-2"][0.2]]
    assert frame.accuracy.between(0, 100).all() and frame.brian2_accuracy.between(0, 100).all()
    text = (tmp_path / "table1.md").read_text()
    assert "| tau_a = 2 s |" in text and "(99)" in text and "8/8 test trials with identical rasters" in text
    runs = pd.read_csv(tmp_path / "table1_runs.csv")
    assert len(runs) == 2
    metrics = tmp_path / "runs" / "sfa-2-delay0.2s-s0" / "metrics.jsonl"
    before = metrics.read_text()
    # the command line reuses the finished runs: no new iteration is written
    assert main(["reproduce", "elife-table1", "--preset", "tiny", "--rows", "lif", "sfa-2", "--out", str(tmp_path), "--no-progress"]) == 0
    assert metrics.read_text() == before
    assert json.loads((tmp_path / "table1.json").read_text())["preset"] == "tiny"
    with pytest.raises(SystemExit, match="expected delays"):
        main(["reproduce", "elife-table1", "--preset", "tiny", "--delays", "3", "--out", str(tmp_path)])
