"""`lsnn demo` end to end on the tiny preset: trained, validated, analysed, drawn, reported, reused."""

import json
from pathlib import Path

from lsnn.figures.cli import main


def test_demo_writes_a_validated_report_and_reuses_finished_stages(tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["demo", "--preset", "tiny", "--out", str(out), "--device", "numpy", "--trials", "0", "--no-progress"]
    main(args)
    report = json.loads((out / "report.json").read_text())
    for model in ("sfa", "lif"):
        r = report["models"][model]
        assert r["validation"]["ok"] and r["validation"]["n_identical_rasters"] == r["validation"]["n_trials"] == 32
        assert r["example_trial_identical"]
        assert 0 <= r["test"]["accuracy"] <= 1 and r["analysis"]["rate_hz_mean"] > 0
    assert report["models"]["sfa"]["thresholds"]["store"]["n_events"] > 10
    assert report["models"]["lif"]["thresholds"] == {"adaptive_neurons": 0}
    for fig in report["figures"]:
        assert Path(fig).stat().st_size > 5_000  # a drawn PNG, not an empty canvas
    assert "| SFA |" in (out / "report.md").read_text()
    metrics = (out / "runs" / "store_recall-sfa-tiny-s0" / "metrics.jsonl").stat().st_mtime_ns
    capsys.readouterr()
    main(args)
    assert "reusing" in capsys.readouterr().out
    assert (out / "runs" / "store_recall-sfa-tiny-s0" / "metrics.jsonl").stat().st_mtime_ns == metrics
