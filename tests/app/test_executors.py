"""Runs on a real SLURM cluster (a one-node cluster started on this machine, ``tests/slurm_cluster.py``):
a reproduction trained and validated by SLURM jobs equals the same run trained here; a failing run is
resubmitted once and then reported in one line; a second driver re-attaches to the jobs of a killed one.
Plus the sweep grid and the executor options, which need no cluster."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from lsnn.app.executors import ExecutorOptions
from lsnn.app.sweep import parse_grid, point_name

FAST_POLL = {"LSNN_SLURM_POLL_S": "0.5"}


def test_parse_grid_and_point_names():
    grid = parse_grid(["lr=0.001,0.003", "n_rec=[20, 40]", "task_params.encoding=rate,threshold"])
    assert grid == {"lr": [0.001, 0.003], "n_rec": [20, 40], "task_params.encoding": ["rate", "threshold"]}
    assert point_name({"lr": 0.001, "task_params.encoding": "rate"}) == "lr=0.001_task_params.encoding=rate"
    for bad in (["lr"], ["lr="], ["lr=[1,"], ["lr=1", "lr=2"]):
        with pytest.raises(ValueError, match="--grid"):
            parse_grid(bad)


def test_executor_options_are_checked_and_slurm_needs_sbatch(cli, tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="executor 'pbs'"):
        ExecutorOptions(kind="pbs")
    assert ExecutorOptions(kind="slurm", partition="gpu", gpus=2, mem_gb=16).submitit_parameters()["gpus_per_node"] == 2
    cli.error("sweep", "--task", "store_recall", "--preset", "tiny", "--executor", "slurm", "--cpus-per-run", "0",
              "--out", tmp_path, match="--cpus must be at least 1")
    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch anywhere
    cli.error("sweep", "--task", "store_recall", "--preset", "tiny", "--executor", "slurm", "--out", tmp_path / "s", "--no-progress",
              match="no sbatch or squeue on PATH")
    cli.error("sweep", "--task", "metarl_navigation", "--preset", "tiny", "--out", tmp_path / "m", match="lsnn reproduce")


def test_sweep_runs_every_grid_point_locally(cli, tmp_path):
    rc, out, _ = cli.run("sweep", "--task", "store_recall", "--preset", "tiny", "--grid", "n_rec=20,24", "--seeds", "2",
                         "--set", "eval_every=2", "--set", "eval_trials=16", "--out", tmp_path, "--no-progress")
    assert rc == 0, out
    # learning curves: the periodic tests of every run (iterations 2 and 4 on 16 trials) and its final test (6, 32 trials)
    from lsnn.app.curves import test_curve

    run = tmp_path / "runs" / "n_rec=20-s0"
    curve = test_curve(run, "accuracy")
    logged = pd.read_json(run / "metrics.jsonl", lines=True).dropna(subset=["test_accuracy"])
    assert curve["iteration"].tolist() == [2, 4, 6] and curve["n_trials"].tolist() == [16, 16, 32]
    assert curve["accuracy"].iloc[:2].tolist() == (100 * logged["test_accuracy"]).tolist()
    assert curve["accuracy"].iloc[2] == 100 * json.loads((run / "test.json").read_text())["accuracy"]
    assert (tmp_path / "sweep_curves.png").stat().st_size > 10_000
    runs = pd.read_csv(tmp_path / "sweep_runs.csv")
    assert sorted(runs["point"].unique()) == ["n_rec=20", "n_rec=24"] and len(runs) == 4
    for point, part in runs.groupby("point"):
        network_sizes = {json.loads((tmp_path / "runs" / f"{point}-s{s}" / "config.json").read_text())["n_rec"] for s in part["seed"]}
        assert network_sizes == {int(point.split("=")[1])}
    summary = json.loads((tmp_path / "sweep.json").read_text())["summary"]
    assert [s["runs"] for s in summary] == [2, 2]
    assert abs(summary[0]["mean"] - runs[runs["point"] == "n_rec=20"]["accuracy"].mean()) < 1e-12
    table = (tmp_path / "sweep.md").read_text()  # every column of the table filled: the grid value, max, runs, rate, validation
    first = runs[runs["point"] == "n_rec=20"]
    row = f"| n_rec=20 | 20 | {first['accuracy'].mean():.1f} +- {first['accuracy'].std(ddof=0):.1f} | {first['accuracy'].max():.1f} | 2 | "
    assert row in table, table


def test_reproduction_on_slurm_equals_the_same_run_here(cli, tmp_path, monkeypatch, slurm_cluster):
    monkeypatch.setenv("LSNN_SLURM_POLL_S", "0.5")
    out = tmp_path / "slurm"
    rc, stdout, err = cli.run("reproduce", "elife-table1", "--preset", "tiny", "--rows", "lif", "--validate-trials", "2", "--device", "numpy",
                              "--executor", "slurm", "--cpus-per-run", "1", "--out", out, "--no-progress")
    assert rc == 0, stdout + err
    assert "1 to run on slurm" in stdout and "submitted 1 run(s) as array job" in stdout
    record = json.loads((out / "slurm" / "jobs.json").read_text())
    (name, job), = record.items()
    assert job["state"] == "done" and job["attempts"] == 1 and Path(job["stderr"]).is_file()
    run = out / "runs" / name
    assert (run / "validation.json").is_file()
    table = pd.read_csv(out / "table1_runs.csv")
    assert table["reused"].all() and (table["identical_trials"] == table["validated_trials"]).all()  # trained by the job, read here
    rc, stdout, _ = cli.run("reproduce", "elife-table1", "--preset", "tiny", "--rows", "lif", "--validate-trials", "2", "--device", "numpy",
                            "--out", tmp_path / "here", "--no-progress")
    assert rc == 0
    here = json.loads(next((tmp_path / "here" / "runs").glob("*/test.json")).read_text())
    there = json.loads((run / "test.json").read_text())
    assert {k: there[k] for k in ("accuracy", "rate_hz")} == {k: here[k] for k in ("accuracy", "rate_hz")}


def test_a_failing_run_is_resubmitted_once_then_reported(cli, tmp_path, monkeypatch, slurm_cluster):
    monkeypatch.setenv("LSNN_SLURM_POLL_S", "0.5")
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "n_rec=20-s0").write_text("a file where the run folder should be")  # the job cannot create it
    line = cli.error("sweep", "--task", "store_recall", "--preset", "tiny", "--grid", "n_rec=20", "--executor", "slurm",
                     "--cpus-per-run", "1", "--out", tmp_path, "--no-progress", match="failed on SLURM after 2 attempt")
    assert "n_rec=20-s0" in line and "log " in line
    job = json.loads((tmp_path / "slurm" / "jobs.json").read_text())["n_rec=20-s0"]
    assert job["attempts"] == 2 and job["state"] == "failed"
    assert "is a file, not a run folder" in Path(job["stderr"]).read_text()


def test_a_second_driver_follows_the_jobs_of_a_killed_one(cli, tmp_path, slurm_cluster):
    args = ["sweep", "--task", "store_recall", "--preset", "tiny", "--set", "n_iterations=400", "--set", "checkpoint_every=400",
            "--executor", "slurm", "--cpus-per-run", "1", "--out", str(tmp_path), "--no-progress"]
    env = {**os.environ, **FAST_POLL}
    driver = subprocess.Popen([sys.executable, "-m", "lsnn.app.cli", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    record = tmp_path / "slurm" / "jobs.json"
    deadline = time.monotonic() + 120
    while not record.exists() and time.monotonic() < deadline and driver.poll() is None:
        time.sleep(0.2)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver dies; its job runs on
    driver.wait()
    first = json.loads(record.read_text())["base-s0"]
    assert first["state"] == "submitted"
    os.environ.update(FAST_POLL)
    try:
        rc, stdout, err = cli.run(*args)
    finally:
        os.environ.pop("LSNN_SLURM_POLL_S")
    assert rc == 0, stdout + err
    again = json.loads(record.read_text())["base-s0"]
    if "following job" in stdout:  # still running when the second driver looked: followed, not resubmitted
        assert again["job_id"] == first["job_id"] and again["attempts"] == 1 and again["state"] == "done"
    else:  # it had already finished: nothing to submit
        assert "0 to run on slurm" in stdout
    assert (tmp_path / "runs" / "base-s0" / "test.json").is_file() and (tmp_path / "sweep.md").is_file()
