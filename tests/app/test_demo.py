"""`lsnn demo` end to end on the tiny preset: trained, validated, analysed, drawn, reported, reused."""

import json

from lsnn.training.runs import VALIDATION


def test_demo_writes_a_validated_report_and_reuses_finished_stages(tmp_path, cli):
    out = tmp_path / "demo"
    args = ["demo", "--preset", "tiny", "--out", out, "--device", "numpy", "--trials", "0", "--no-progress"]
    assert cli.run(*args)[0] == 0
    report = json.loads((out / "report.json").read_text())
    for model in ("sfa", "lif"):
        r = report["models"][model]
        assert r["validation"]["ok"] and r["validation"]["n_identical_rasters"] == r["validation"]["n_trials"] == 32
        assert r["example_trial_identical"]
        assert 0 <= r["test"]["accuracy"] <= 1 and r["analysis"]["rate_hz_mean"] > 0
        assert r["run_dir"] == f"runs/store_recall-{model}-tiny-s0"  # relative to the results folder: it can move
        assert (out / r["run_dir"] / "network.npz").is_file()
    assert report["models"]["sfa"]["thresholds"]["store"]["n_events"] > 10
    assert report["models"]["lif"]["thresholds"] == {"adaptive_neurons": 0}
    for fig in report["figures"]:
        assert (out / fig).stat().st_size > 5_000  # a drawn PNG, not an empty canvas
    assert "| SFA |" in (out / "report.md").read_text()
    run = out / "runs" / "store_recall-sfa-tiny-s0"
    metrics, validation = (run / "metrics.jsonl").stat().st_mtime_ns, (run / VALIDATION).stat().st_mtime_ns
    rc, stdout, _ = cli.run(*args)
    assert rc == 0 and "reusing" in stdout
    assert (run / "metrics.jsonl").stat().st_mtime_ns == metrics and (run / VALIDATION).stat().st_mtime_ns == validation
    # the validation is reused only for exactly what it validated: another device validates again
    rc, stdout, _ = cli.run(*[a if a != "numpy" else "cython" for a in args])
    assert rc == 0 and (run / VALIDATION).stat().st_mtime_ns != validation
    assert json.loads((run / VALIDATION).read_text())["device"] == "cython"
    # the figures command redraws the demo's figures from its results folder
    assert cli.run("figures", out, "--out", tmp_path / "redrawn")[0] == 0
    assert {p.name for p in (tmp_path / "redrawn").iterdir()} == set(report["figures"])
