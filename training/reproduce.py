"""Reproduction tables of Salaj et al. 2021 (eLife): train every cell, validate it in Brian2, tabulate.

``reproduce_table1`` rebuilds Table 1 (1-D STORE-RECALL recall accuracy, rows = adaptation time
constant, columns = expected STORE -> RECALL delay; ``../shared/papers/salaj2021-elife-task-specs.md``
§2): 60 neurons, beta 1, tau_a per row (constant 200 ms / 2 s / 4 s / 8 s, or power-law / uniform
spreads in [0, 8] s), and LIF (no SFA) as the first row; sequences of Table 1 per column (20/40/80/120
steps of 200 ms for 2/4/8/16 s, 12 steps of 50 ms for 200 ms). Every (row, delay, seed) is one run
of the trainer in ``OUT/runs/`` (resumable; finished runs are reused, never retrained), optionally
validated spike for spike in Brian2 on part of its test set, and the table ``OUT/table1.md`` /
``.csv`` / ``.json`` lists our mean +- std over seeds next to the paper's number, with wall times.

Presets: ``quick`` trains 150 iterations per run on the columns 200 ms, 2 s and 4 s (where the
paper's ordering -- SFA far above LIF beyond 200 ms -- already shows; about half an hour per seed on
2 CPU cores); ``paper`` uses the paper's 400 iterations and all five columns (a GPU-sized job);
``tiny`` is for tests.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .config import make_config
from .trainer import train, write_text_atomic

#: Table 1 of the paper (recall accuracy %), rows x expected delays (s).
TABLE1_PAPER: dict[str, dict[float, float]] = {
    "lif": {0.2: 96.7, 2.0: 51, 4.0: 50, 8.0: 49, 16.0: 51},
    "sfa-0.2": {0.2: 99.92, 2.0: 73.6, 4.0: 58, 8.0: 51, 16.0: 51},
    "sfa-2": {0.2: 99.0, 2.0: 99.6, 4.0: 98.8, 8.0: 92.2, 16.0: 75.2},
    "sfa-4": {0.2: 99.1, 2.0: 99.7, 4.0: 99.7, 8.0: 97.8, 16.0: 90.5},
    "sfa-8": {0.2: 99.6, 2.0: 99.8, 4.0: 99.7, 8.0: 97.7, 16.0: 97.1},
    "sfa-power-law-8": {0.2: 99.6, 2.0: 99.7, 4.0: 98.4, 8.0: 96.3, 16.0: 83.6},
    "sfa-uniform-8": {0.2: 96.2, 2.0: 99.9, 4.0: 98.6, 8.0: 92.1, 16.0: 92.6},
}


@dataclass(frozen=True)
class Row:
    """One row of Table 1: its label in the paper and the configuration it changes."""

    label: str
    model: str
    tau_a: float = 2.0
    tau_a_distribution: str = "constant"


TABLE1_ROWS: dict[str, Row] = {
    "lif": Row("without SFA (tau_a = 0)", "lif"),
    "sfa-0.2": Row("tau_a = 200 ms", "sfa", 0.2),
    "sfa-2": Row("tau_a = 2 s", "sfa", 2.0),
    "sfa-4": Row("tau_a = 4 s", "sfa", 4.0),
    "sfa-8": Row("tau_a = 8 s", "sfa", 8.0),
    "sfa-power-law-8": Row("tau_a power-law in [0, 8] s", "sfa", 8.0, "power_law"),
    "sfa-uniform-8": Row("tau_a uniform in [0, 8] s", "sfa", 8.0, "uniform"),
}

#: Columns, iterations and validation size per preset.
TABLE1_PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"delays": (0.2, 2.0, 4.0), "validate_trials": 64},
    "paper": {"delays": (0.2, 2.0, 4.0, 8.0, 16.0), "validate_trials": 256},
    "tiny": {"delays": (0.2,), "validate_trials": 4},
}


def table1_config(row: str, delay: float, preset: str, seed: int):
    """The training configuration of one cell (the STORE-RECALL preset with the row's neurons)."""
    if row not in TABLE1_ROWS:
        raise ValueError(f"unknown Table 1 row {row!r}; rows: {list(TABLE1_ROWS)}")
    if delay not in TABLE1_PAPER[row]:
        raise ValueError(f"Table 1 has expected delays {sorted(TABLE1_PAPER[row])} s; got {delay}.")
    r = TABLE1_ROWS[row]
    overrides = {"task_params": {"expected_delay": delay}, "tau_a": r.tau_a, "tau_a_distribution": r.tau_a_distribution}
    return make_config("store_recall", r.model, preset, overrides, seed=seed)


def _run_name(row: str, delay: float, seed: int) -> str:
    return f"{row}-delay{delay:g}s-s{seed}"


def run_cell(cfg, run_dir: Path, metric: str, validate_trials: int, progress: bool) -> dict[str, Any]:
    """Train one run (or reuse it when finished; resume it when interrupted), validate ``validate_trials`` of
    its test trials in Brian2 (reusing a matching ``validation.json``), and return its record: the test
    ``metric`` in %, firing rate, training and wall time, validation counts and the Brian2 metric."""
    from .validate import validate_run

    reused = (run_dir / "test.json").exists()
    t0 = time.perf_counter()
    result = train(cfg, run_dir, resume=True, progress=progress)
    record = {"accuracy": 100 * result["test"][metric], "rate_hz": result["test"].get("rate_hz"),
              "train_s": result["test"].get("train_time_s"), "wall_s": round(time.perf_counter() - t0, 1),
              "validated_trials": 0, "identical_trials": 0, "brian2_accuracy": None, "reused": reused}
    if validate_trials:
        val_path = run_dir / "validation.json"
        report = json.loads(val_path.read_text()) if val_path.exists() else None
        if report is None or report.get("n_trials") != validate_trials:
            t1 = time.perf_counter()
            report = validate_run(run_dir, n_trials=validate_trials, nwb=False, progress=progress)
            record["wall_s"] = round(record["wall_s"] + time.perf_counter() - t1, 1)
        record.update(validated_trials=report["n_trials"], identical_trials=report["n_identical_rasters"],
                      brian2_accuracy=100 * report["metric_brian2"][metric])
    return record


def _cell_line(record: dict[str, Any], validate_trials: int) -> str:
    paper = "" if record["paper"] is None else f" (paper {record['paper']:g} %)"
    return (f"[lsnn reproduce]   {record['accuracy']:.1f} %{paper}"
            + (f"; Brian2 {record['identical_trials']}/{record['validated_trials']} identical" if validate_trials else ""))


def reproduce_table1(out: str | os.PathLike, *, preset: str = "quick", seeds: int = 1, rows=None, delays=None,
                     validate_trials: int | None = None, progress: bool = True, log=print) -> pd.DataFrame:
    """Train (or reuse) and validate every cell of Table 1, write the tables, return the per-run frame.

    ``rows`` / ``delays`` restrict the grid (default: all rows, the preset's columns);
    ``validate_trials`` test trials per run simulated in Brian2 (0: no validation; default per preset).
    """
    if preset not in TABLE1_PRESETS:
        raise ValueError(f"unknown preset {preset!r}; available: {list(TABLE1_PRESETS)}")
    if seeds < 1:
        raise ValueError("seeds must be at least 1.")
    rows = list(rows) if rows else list(TABLE1_ROWS)
    delays = [float(d) for d in delays] if delays else list(TABLE1_PRESETS[preset]["delays"])
    for row in rows:
        for d in delays:
            table1_config(row, d, preset, 0)  # unknown rows/delays fail before any training
    validate_trials = TABLE1_PRESETS[preset]["validate_trials"] if validate_trials is None else validate_trials
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    records = []
    cells = [(row, d, s) for row in rows for d in delays for s in range(seeds)]
    for k, (row, delay, seed) in enumerate(cells, 1):
        run_dir = out / "runs" / _run_name(row, delay, seed)
        log(f"[lsnn reproduce] ({k}/{len(cells)}) {TABLE1_ROWS[row].label}, expected delay {delay:g} s, seed {seed} -> {run_dir}")
        record = {"row": row, "label": TABLE1_ROWS[row].label, "delay_s": delay, "seed": seed,
                  **run_cell(table1_config(row, delay, preset, seed), run_dir, "accuracy", validate_trials, progress),
                  "paper": TABLE1_PAPER[row][delay]}
        records.append(record)
        log(_cell_line(record, validate_trials))
    frame = pd.DataFrame(records)
    write_table1(frame, out, preset)
    return frame


def summarize_table1(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows x delays: ``ours mean +- std (n seeds) | paper`` strings, in the paper's row order."""
    cells = {}
    for (row, delay), part in frame.groupby(["row", "delay_s"], sort=False):
        acc = part["accuracy"].to_numpy()
        spread = f" +- {np.std(acc, ddof=1):.1f}" if len(acc) > 1 else ""
        cells.setdefault(TABLE1_ROWS[row].label, {})[f"{delay:g} s"] = f"{acc.mean():.1f}{spread} ({TABLE1_PAPER[row][delay]:g})"
    table = pd.DataFrame(cells).T
    table.index.name = "ours mean +- std (paper), %"
    return table


def write_table1(frame: pd.DataFrame, out: Path, preset: str) -> None:
    """``table1.csv`` (one line per run), ``table1.json`` and ``table1.md`` (the summary table)."""
    frame.to_csv(out / "table1_runs.csv", index=False)
    summary = summarize_table1(frame)
    validated = int(frame["validated_trials"].sum())
    identical = int(frame["identical_trials"].sum())
    lines = [
        f"# eLife Table 1 (1-D STORE-RECALL recall accuracy), preset `{preset}`",
        "",
        "Our mean +- std over seeds, the paper's value in parentheses; columns = expected STORE -> RECALL delay.",
        "",
        _markdown(summary),
        "",
        f"Runs: {len(frame)}; wall time of this invocation {frame['wall_s'].sum() / 60:.1f} min (training, testing and validation)"
        + (f"; {int(frame['reused'].sum())} finished runs reused from earlier invocations (their time not counted)." if frame["reused"].any() else "."),
        f"Brian2 validation (float64, C++ standalone): {identical}/{validated} test trials with identical rasters." if validated else
        "No Brian2 validation requested.",
    ]
    write_text_atomic(out / "table1.md", "\n".join(lines) + "\n")
    write_text_atomic(out / "table1.json", json.dumps({"preset": preset, "runs": frame.to_dict(orient="records"),
                                                   "summary": summary.to_dict(orient="index")}, indent=2) + "\n")


def _markdown(table: pd.DataFrame) -> str:
    """A pipe table of a small string DataFrame (index as the first column)."""
    header = [table.index.name or "", *map(str, table.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in table.iterrows():
        lines.append("| " + " | ".join([str(name), *("" if pd.isna(v) else str(v) for v in row)]) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Comparisons of network variants on one task (Fig. 2A/B, delayed XOR, 12AX, duplication/reversal)


@dataclass(frozen=True)
class Comparison:
    """A result of the paper that compares network variants on one task, and how to rebuild it.

    ``variants`` maps a model of :data:`lsnn.training.config.MODELS` to the paper's number (%, None where
    the paper gives only a bar); ``presets`` maps a preset to the configuration overrides on top of the
    task's own preset and the number of test trials validated in Brian2 per run.
    """

    name: str
    title: str
    task: str
    metric: str
    metric_label: str
    variants: dict[str, float | None]
    claim: str
    presets: dict[str, tuple[dict[str, Any], int]]


_VALIDATE = {"quick": 64, "paper": 256, "tiny": 4}

COMPARISONS: dict[str, Comparison] = {c.name: c for c in (
    Comparison("elife-fig2b", "Fig. 2B: 1-D STORE-RECALL (20 steps of 200 ms, expected delay 2 s), 60 neurons", "store_recall",
               "accuracy", "recall accuracy", {"sfa": None, "lif": None, "elif": None, "stp_d": None, "stp_f": None},
               "SNNs with SFA by far the best; STP-F much worse (mean of 10 runs; bar values not in the text)",
               {"quick": ({}, 64), "paper": ({"batch_size": 128}, 256), "tiny": ({}, 4)}),
    Comparison("elife-fig2a", "Fig. 2A: 20-D STORE-RECALL on unseen words, 500 neurons", "store_recall_20d", "accuracy",
               "words recalled entirely right", {"sfa": 99.09, "lif": 0.0},
               "SFA 99.09 +- 0.17 % (5 runs), LIF 0 % in all 5 runs", {p: ({}, n) for p, n in _VALIDATE.items()}),
    Comparison("elife-xor", "Appendix 1 §4: delayed-memory XOR, 80 neurons", "delayed_xor", "accuracy", "accuracy",
               {"sfa": 95.19, "lif": 61.30}, "SFA 95.19 %, LIF 61.30 % (10 runs)", {p: ({}, n) for p, n in _VALIDATE.items()}),
    Comparison("elife-12ax", "Fig. 3: 12AX, 200 neurons (100 SFA + 100 LIF)", "12ax", "success", "episodes entirely right",
               {"sfa": 97.79, "lif": 0.39}, "SFA 97.79 +- 0.42 % (5 runs, BPTT), no SFA 0.39 %",
               {p: ({}, n) for p, n in _VALIDATE.items()}),
    Comparison("elife-dup-rev", "Fig. 4: duplication/reversal of symbol sequences, 320 neurons (192 SFA + 128 LIF)",
               "duplication_reversal", "success", "sequences entirely right", {"sfa": 95.88, "lif": 0.0},
               "SFA 95.88 +- 1.39 % (5 runs), LIF-only 0.0 %", {p: ({}, n) for p, n in _VALIDATE.items()}),
)}


def comparison_config(comparison: Comparison, model: str, preset: str, seed: int):
    """The configuration of one run of ``comparison``: the task's preset for ``model`` plus the comparison's overrides."""
    if model not in comparison.variants:
        raise ValueError(f"{comparison.name} compares {list(comparison.variants)}; got {model!r}.")
    if preset not in comparison.presets:
        raise ValueError(f"unknown preset {preset!r}; available: {list(comparison.presets)}")
    return make_config(comparison.task, model, preset, comparison.presets[preset][0], seed=seed)


def reproduce_comparison(name: str, out: str | os.PathLike, *, preset: str = "quick", seeds: int = 1, models=None,
                         validate_trials: int | None = None, progress: bool = True, log=print) -> pd.DataFrame:
    """Train (or reuse) and validate every (model, seed) of the comparison ``name`` (:data:`COMPARISONS`),
    write ``OUT/<name>.md`` / ``.json`` / ``_runs.csv``, return the per-run frame (same run-folder
    semantics as :func:`reproduce_table1`)."""
    if name not in COMPARISONS:
        raise ValueError(f"unknown comparison {name!r}; available: {list(COMPARISONS)}")
    comparison = COMPARISONS[name]
    if seeds < 1:
        raise ValueError("seeds must be at least 1.")
    models = list(models) if models else list(comparison.variants)
    for model in models:
        comparison_config(comparison, model, preset, 0)  # unknown models/presets fail before any training
    validate_trials = comparison.presets[preset][1] if validate_trials is None else validate_trials
    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    records = []
    cells = [(model, seed) for model in models for seed in range(seeds)]
    for k, (model, seed) in enumerate(cells, 1):
        run_dir = out / "runs" / f"{model}-s{seed}"
        log(f"[lsnn reproduce] ({k}/{len(cells)}) {name}: {model}, seed {seed} -> {run_dir}")
        cfg = comparison_config(comparison, model, preset, seed)
        record = {"model": model, "seed": seed, **run_cell(cfg, run_dir, comparison.metric, validate_trials, progress),
                  "paper": comparison.variants[model]}
        records.append(record)
        log(_cell_line(record, validate_trials))
    frame = pd.DataFrame(records)
    write_comparison(frame, comparison, out, preset)
    return frame


def summarize_comparison(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per model, best first: mean, std and number of seeds of the metric, the paper's value, rate, validation."""
    rows = []
    for model, part in frame.groupby("model", sort=False):
        acc = part["accuracy"].to_numpy()
        rows.append({"model": model, "mean": acc.mean(), "std": np.std(acc, ddof=1) if len(acc) > 1 else np.nan, "n": len(acc),
                     "paper": part["paper"].iloc[0], "rate_hz": part["rate_hz"].mean(),
                     "identical": f"{int(part['identical_trials'].sum())}/{int(part['validated_trials'].sum())}"})
    return pd.DataFrame(rows).sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)


def write_comparison(frame: pd.DataFrame, comparison: Comparison, out: Path, preset: str) -> None:
    """``<name>_runs.csv`` (one line per run), ``<name>.json`` and ``<name>.md`` (summary, ordering, wall time)."""
    frame.to_csv(out / f"{comparison.name}_runs.csv", index=False)
    summary = summarize_comparison(frame)
    table = pd.DataFrame({
        f"{comparison.metric_label}, % (mean +- std, n)": [
            f"{r['mean']:.1f}" + ("" if np.isnan(r["std"]) else f" +- {r['std']:.1f}") + f" ({r['n']})" for _, r in summary.iterrows()],
        "paper, %": ["bar only" if pd.isna(r["paper"]) else f"{r['paper']:g}" for _, r in summary.iterrows()],
        "rate, Hz": [f"{r['rate_hz']:.1f}" for _, r in summary.iterrows()],
        "Brian2 identical trials": list(summary["identical"]),
    }, index=pd.Index(summary["model"], name="model"))
    lines = [
        f"# {comparison.title}, preset `{preset}`",
        "",
        _markdown(table),
        "",
        "Ours, best to worst: " + _ordering(summary) + ".",
        f"Paper: {comparison.claim}.",
        f"Runs: {len(frame)}; wall time of this invocation {frame['wall_s'].sum() / 60:.1f} min (training, testing and validation)"
        + (f"; {int(frame['reused'].sum())} finished runs reused from earlier invocations (their time not counted)." if frame["reused"].any() else "."),
    ]
    write_text_atomic(out / f"{comparison.name}.md", "\n".join(lines) + "\n")
    write_text_atomic(out / f"{comparison.name}.json", json.dumps(
        {"name": comparison.name, "title": comparison.title, "preset": preset, "metric": comparison.metric,
         "runs": frame.to_dict(orient="records"), "summary": summary.to_dict(orient="records")}, indent=2, default=_json_number) + "\n")


def _ordering(summary: pd.DataFrame) -> str:
    """``sfa > elif = lif`` from the summary's means (equal when they agree to 0.1 %)."""
    text = summary["model"].iloc[0]
    for k in range(1, len(summary)):
        same = round(summary["mean"].iloc[k - 1], 1) == round(summary["mean"].iloc[k], 1)
        text += (" = " if same else " > ") + summary["model"].iloc[k]
    return text


def _json_number(value: Any) -> Any:
    """NaN and numpy scalars in JSON: NaN as null."""
    value = float(value)
    return None if np.isnan(value) else value
