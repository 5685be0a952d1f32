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


def reproduce_table1(out: str | os.PathLike, *, preset: str = "quick", seeds: int = 1, rows=None, delays=None,
                     validate_trials: int | None = None, progress: bool = True, log=print) -> pd.DataFrame:
    """Train (or reuse) and validate every cell of Table 1, write the tables, return the per-run frame.

    ``rows`` / ``delays`` restrict the grid (default: all rows, the preset's columns);
    ``validate_trials`` test trials per run simulated in Brian2 (0: no validation; default per preset).
    """
    from .validate import validate_run

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
        reused = (run_dir / "test.json").exists()
        t0 = time.perf_counter()
        result = train(table1_config(row, delay, preset, seed), run_dir, resume=True, progress=progress)
        train_wall = time.perf_counter() - t0
        record = {"row": row, "label": TABLE1_ROWS[row].label, "delay_s": delay, "seed": seed,
                  "accuracy": 100 * result["test"]["accuracy"], "rate_hz": result["test"].get("rate_hz"),
                  "train_s": result["test"].get("train_time_s"), "wall_s": round(train_wall, 1), "paper": TABLE1_PAPER[row][delay],
                  "validated_trials": 0, "identical_trials": 0, "brian2_accuracy": None, "reused": reused}
        if validate_trials:
            val_path = run_dir / "validation.json"
            report = json.loads(val_path.read_text()) if val_path.exists() else None
            if report is None or report.get("n_trials") != validate_trials:
                t1 = time.perf_counter()
                report = validate_run(run_dir, n_trials=validate_trials, nwb=False, progress=progress)
                record["wall_s"] = round(record["wall_s"] + time.perf_counter() - t1, 1)
            record.update(validated_trials=report["n_trials"], identical_trials=report["n_identical_rasters"],
                          brian2_accuracy=100 * report["metric_brian2"]["accuracy"])
        records.append(record)
        log(f"[lsnn reproduce]   accuracy {record['accuracy']:.1f} % (paper {record['paper']} %)"
            + (f"; Brian2 {record['identical_trials']}/{record['validated_trials']} identical" if validate_trials else ""))
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
