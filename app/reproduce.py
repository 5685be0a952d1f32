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

import functools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsnn.common.files import atomic_write_text
from lsnn.training.config import make_config
from lsnn.training.runs import reusable_validation, write_json
from lsnn.training.trainer import train

from . import published
from .executors import ExecutorOptions, Job, execute
from .outputs import save_csv

#: Table 1 of the paper (recall accuracy %), rows x expected delays (s): see :mod:`lsnn.app.published`.
TABLE1_PAPER = published.TABLE1


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


def run_cell(cfg, run_dir: Path, metric: str, validate_trials: int, progress: bool, device: str = "cpp_standalone") -> dict[str, Any]:
    """Train one run (or reuse it when finished; resume it when interrupted), validate ``validate_trials`` of
    its held-out trials in Brian2 on ``device`` (reusing a validation of exactly that), and return its record:
    the test ``metric`` in %, firing rate, training and wall time, validation counts and the Brian2 metric.
    ANN baselines (no spiking network) are trained and tested but not validated."""
    from lsnn.training.validate import validate_run

    reused = (run_dir / "test.json").exists()
    t0 = time.perf_counter()
    result = train(cfg, run_dir, resume=True, progress=progress)
    record = {"accuracy": 100 * result["test"][metric], "rate_hz": result["test"].get("rate_hz"),
              "train_s": result["test"].get("train_time_s"), "wall_s": round(time.perf_counter() - t0, 1),
              "validated_trials": 0, "identical_trials": 0, "brian2_accuracy": None, "reused": reused}
    if validate_trials and result["network"].endswith(".npz"):
        report = reusable_validation(run_dir, device, "float64", validate_trials)
        if report is None:
            t1 = time.perf_counter()
            report = validate_run(run_dir, device=device, n_trials=validate_trials, nwb=False, progress=progress)
            record["wall_s"] = round(record["wall_s"] + time.perf_counter() - t1, 1)
        record.update(validated_trials=report["n_trials"], identical_trials=report["n_identical_rasters"],
                      brian2_accuracy=100 * report["metric_brian2"][metric])
    return record


@dataclass(frozen=True)
class Cell:
    """One run of a reproduction: its labels in the tables, configuration, folder and the paper's number."""

    labels: dict[str, Any]
    cfg: Any  # TrainConfig
    run_dir: Path
    paper: float | None
    title: str
    paper_kind: str = "paper"  # how the progress line names ``paper``, e.g. "paper max" where that is the number


def cell_is_finished(cell: Cell, validate_trials: int, device: str) -> bool:
    """Whether :func:`run_cell` would only read ``cell``'s folder: trained and tested, and validated as asked (or an ANN
    baseline, which is never validated)."""
    run_dir = cell.run_dir
    if not (run_dir / "test.json").is_file():
        return False
    if not validate_trials or not (run_dir / "network.npz").is_file():
        return True
    return reusable_validation(run_dir, device, "float64", validate_trials) is not None


def train_elsewhere(runs: list[tuple[Any, Path]], executor: ExecutorOptions | None, folder: Path, progress: bool, log) -> None:
    """Train on a SLURM ``executor`` the ``(config, run folder)`` pairs not finished yet (reproductions whose per-run
    checks, such as neurips-l2l's and neurips-metarl's, then run here on the finished folders); nothing for ``local``."""
    if executor is None or executor.kind == "local":
        return
    todo = [(cfg, run_dir) for cfg, run_dir in runs if not (run_dir / "test.json").is_file()]
    log(f"[lsnn reproduce] {len(runs) - len(todo)} of {len(runs)} runs already trained; {len(todo)} to train on {executor.kind}")
    train_run = functools.partial(train, resume=True, progress=False)
    execute([Job(run_dir.name, run_dir, train_run, (cfg, run_dir)) for cfg, run_dir in todo], executor, folder, progress=progress, log=log)


def run_cells(cells: list[Cell], metric: str, validate_trials: int, progress: bool, device: str, log,
              executor: ExecutorOptions | None = None) -> pd.DataFrame:
    """Train (or reuse) and validate every cell in order (:func:`run_cell`), logging each; one row per run.

    With a SLURM ``executor`` the unfinished cells first run as jobs (:func:`lsnn.app.executors.execute`, logs and
    job ids in ``OUT/slurm/``); the loop below then only reads their folders."""
    if executor is not None and executor.kind != "local" and cells:
        todo = [cell for cell in cells if not cell_is_finished(cell, validate_trials, device)]
        jobs = [Job(cell.run_dir.name, cell.run_dir, run_cell, (cell.cfg, cell.run_dir, metric, validate_trials, False, device))
                for cell in todo]
        log(f"[lsnn reproduce] {len(cells) - len(todo)} of {len(cells)} runs already finished; {len(todo)} to run on {executor.kind}")
        execute(jobs, executor, cells[0].run_dir.parent.parent / "slurm", progress=progress, log=log)
    records = []
    for k, cell in enumerate(cells, 1):
        log(f"[lsnn reproduce] ({k}/{len(cells)}) {cell.title} -> {cell.run_dir}")
        record = {**cell.labels, **run_cell(cell.cfg, cell.run_dir, metric, validate_trials, progress, device), "paper": cell.paper}
        records.append(record)
        log(_cell_line(record, validate_trials, cell.paper_kind))
    return pd.DataFrame(records)


def _cell_line(record: dict[str, Any], validate_trials: int, paper_kind: str = "paper") -> str:
    paper = "" if record["paper"] is None else f" ({paper_kind} {record['paper']:g} %)"
    validation = ""
    if validate_trials:
        validation = (f"; Brian2 {record['identical_trials']}/{record['validated_trials']} identical" if record["validated_trials"]
                      else "; not validated (an ANN baseline has no spikes)")
    return f"[lsnn reproduce]   {record['accuracy']:.2f} %{paper}{validation}"


def reproduce_table1(out: str | os.PathLike, *, preset: str = "quick", seeds: int = 1, rows=None, delays=None,
                     validate_trials: int | None = None, device: str = "cpp_standalone", progress: bool = True, log=print,
                     executor: ExecutorOptions | None = None) -> pd.DataFrame:
    """Train (or reuse) and validate every cell of Table 1, write the tables, return the per-run frame.

    ``rows`` / ``delays`` restrict the grid (default: all rows, the preset's columns);
    ``validate_trials`` test trials per run simulated in Brian2 on ``device`` (0: no validation; default per preset).
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
    cells = [Cell({"row": row, "label": TABLE1_ROWS[row].label, "delay_s": delay, "seed": seed}, table1_config(row, delay, preset, seed),
                  out / "runs" / _run_name(row, delay, seed), TABLE1_PAPER[row][delay],
                  f"{TABLE1_ROWS[row].label}, expected delay {delay:g} s, seed {seed}")
             for row in rows for delay in delays for seed in range(seeds)]
    frame = run_cells(cells, "accuracy", validate_trials, progress, device, log, executor)
    write_table1(frame, out, preset, device)
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


def write_table1(frame: pd.DataFrame, out: Path, preset: str, device: str = "cpp_standalone") -> None:
    """``table1.csv`` (one line per run), ``table1.json`` and ``table1.md`` (the summary table)."""
    save_csv(frame, out / "table1_runs.csv")
    summary = summarize_table1(frame)
    validated = int(frame["validated_trials"].sum())
    identical = int(frame["identical_trials"].sum())
    lines = [
        f"# eLife Table 1 (1-D STORE-RECALL recall accuracy), preset `{preset}`",
        "",
        "Our mean +- std over seeds, the paper's value in parentheses; columns = expected STORE -> RECALL delay.",
        "",
        markdown_table(summary),
        "",
        f"Runs: {len(frame)}; wall time of this invocation {frame['wall_s'].sum() / 60:.1f} min (training, testing and validation)"
        + (f"; {int(frame['reused'].sum())} finished runs reused from earlier invocations (their time not counted)." if frame["reused"].any() else "."),
        f"Brian2 validation (float64, {device}): {identical}/{validated} test trials with identical rasters." if validated else
        "No Brian2 validation requested.",
    ]
    atomic_write_text(out / "table1.md", "\n".join(lines) + "\n")
    write_json(out / "table1.json", {"preset": preset, "device": device, "runs": frame.to_dict(orient="records"),
                                     "summary": summary.to_dict(orient="index")})


def markdown_table(table: pd.DataFrame) -> str:
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
    paper_shows_bars: bool = True  # a variant without a number: a bar of a figure (True) or not reported at all (False)


_VALIDATE = {"quick": 64, "paper": 256, "tiny": 4}
#: The reduced 12AX variant that a 2-core CPU trains (README "12AX, reduced variant"; the shipped network
#: ``notebooks/data/twelve_ax_reduced``): episodes of 30 symbols of 200 ms instead of 90 of 500 ms, the paper's network,
#: grammar and learning rate, 4,000 iterations of 20 episodes, tested on 1,000 held-out episodes (and on 100 every 250
#: iterations). Applied on top of the trainer's ``quick`` preset (:data:`TRAINING_PRESET`).
REDUCED_12AX: dict[str, Any] = {"n_iterations": 4000, "task_params.n_symbols": 30, "task_params.step_duration": 0.2,
                                "checkpoint_every": 50, "n_test": 1000, "eval_every": 250, "eval_trials": 100}
#: Presets of the comparisons that are not presets of the trainer, and the trainer's preset each starts from.
TRAINING_PRESET = {"reduced": "quick"}
_VALIDATE_12AX = {**{p: ({}, n) for p, n in _VALIDATE.items()}, "reduced": (REDUCED_12AX, 64)}
#: Non-spiking baselines every comparison may include (``--models ... lstm rnn``): trained and tested on the
#: same task with the parameter count of the LSNN, not validated in Brian2 (no spikes).
ANN_BASELINES = ("lstm", "rnn")

COMPARISONS: dict[str, Comparison] = {c.name: c for c in (
    Comparison("elife-fig2b", "Fig. 2B: 1-D STORE-RECALL (20 steps of 200 ms, expected delay 2 s), 60 neurons", "store_recall",
               "accuracy", "recall accuracy", *published.COMPARISONS["elife-fig2b"],
               {"quick": ({}, 64), "paper": ({"batch_size": 128}, 256), "tiny": ({}, 4)}),
    Comparison("elife-fig2a", "Fig. 2A: 20-D STORE-RECALL on unseen words, 500 neurons", "store_recall_20d", "accuracy",
               "words recalled entirely right", *published.COMPARISONS["elife-fig2a"], {p: ({}, n) for p, n in _VALIDATE.items()}),
    Comparison("elife-xor", "Appendix 1 §4: delayed-memory XOR, 80 neurons", "delayed_xor", "accuracy", "accuracy",
               *published.COMPARISONS["elife-xor"], {p: ({}, n) for p, n in _VALIDATE.items()}),
    Comparison("elife-12ax", "Fig. 3: 12AX, 200 neurons (100 SFA + 100 LIF)", "12ax", "success", "episodes entirely right",
               *published.COMPARISONS["elife-12ax"], _VALIDATE_12AX),
    Comparison("elife-dup-rev", "Fig. 4: duplication/reversal of symbol sequences, 320 neurons (192 SFA + 128 LIF)",
               "duplication_reversal", "success", "sequences entirely right", *published.COMPARISONS["elife-dup-rev"],
               {p: ({}, n) for p, n in _VALIDATE.items()}),
    Comparison("elife-12ax-sfa-fraction", "Fig. 3 control: 12AX with 50 %, 100 %, 10 % and no SFA neurons, 200 neurons", "12ax",
               "success", "episodes entirely right", *published.COMPARISONS["elife-12ax-sfa-fraction"], _VALIDATE_12AX),
    Comparison("elife-12ax-noise", "Fig. 3 control: 12AX under Gaussian current noise (sigma, V per ms), 200 neurons", "12ax",
               "success", "episodes entirely right", *published.COMPARISONS["elife-12ax-noise"], _VALIDATE_12AX),
    Comparison("neurips-timit", "NeurIPS §4: TIMIT frame-wise phone classification (paper: 400 neurons, DEEP R 20 %)", "timit", "accuracy_39",
               "frame accuracy, 39 phones", *published.COMPARISONS["neurips-timit"], {"quick": ({}, 8), "paper": ({}, 32), "tiny": ({}, 2)},
               paper_shows_bars=False),
    Comparison("elife-gsc", "Appendix 1 §3: Google Speech Commands, 12 classes (paper: 2048 neurons)", "gsc", "accuracy", "test accuracy",
               *published.COMPARISONS["elife-gsc"], {"quick": ({}, 32), "paper": ({}, 256), "tiny": ({}, 2)}),
)}


def comparison_config(comparison: Comparison, variant: str, preset: str, seed: int, overrides: dict[str, Any] | None = None):
    """The configuration of one run of ``comparison``: the task's preset for the variant's model (the trainer's
    preset that a comparison preset such as ``reduced`` starts from, :data:`TRAINING_PRESET`) plus the comparison
    preset's, the variant's (:data:`lsnn.app.published.VARIANTS`, e.g. ``sfa-10pct``) and the user's ``overrides``
    (``lsnn reproduce --set``), later ones winning."""
    if variant not in comparison.variants and variant not in ANN_BASELINES:
        raise ValueError(f"{comparison.name} compares {list(comparison.variants)} (and the ANN baselines {', '.join(ANN_BASELINES)}); got {variant!r}.")
    if preset not in comparison.presets:
        raise ValueError(f"unknown preset {preset!r}; available: {list(comparison.presets)}")
    model, changes = published.VARIANTS.get(variant, (variant, {}))
    return make_config(comparison.task, model, TRAINING_PRESET.get(preset, preset),
                       {**comparison.presets[preset][0], **changes, **(overrides or {})}, seed=seed)


def reproduce_comparison(name: str, out: str | os.PathLike, *, preset: str = "quick", seeds: int = 1, models=None,
                         overrides: dict[str, Any] | None = None, validate_trials: int | None = None,
                         device: str = "cpp_standalone", progress: bool = True, log=print,
                         executor: ExecutorOptions | None = None) -> pd.DataFrame:
    """Train (or reuse) and validate every (model, seed) of the comparison ``name`` (:data:`COMPARISONS`),
    write ``OUT/<name>.md`` / ``.json`` / ``_runs.csv``, return the per-run frame (same run-folder
    semantics as :func:`reproduce_table1`). ``overrides``: configuration values changed in every run (e.g.
    ``{"n_iterations": 2000}``), named in the table."""
    if name not in COMPARISONS:
        raise ValueError(f"unknown comparison {name!r}; available: {list(COMPARISONS)}")
    comparison = COMPARISONS[name]
    if seeds < 1:
        raise ValueError("seeds must be at least 1.")
    models = list(models) if models else list(comparison.variants)
    for model in models:
        comparison_config(comparison, model, preset, 0, overrides)  # unknown models/presets/values fail before any training
    validate_trials = comparison.presets[preset][1] if validate_trials is None else validate_trials
    out = Path(out)
    cells = [Cell({"model": model, "seed": seed}, comparison_config(comparison, model, preset, seed, overrides), out / "runs" / f"{model}-s{seed}",
                  comparison.variants.get(model), f"{name}: {model}, seed {seed}")
             for model in models for seed in range(seeds)]
    frame = run_cells(cells, comparison.metric, validate_trials, progress, device, log, executor)
    cfg = cells[0].cfg
    changed = f"; changed with --set: {', '.join(f'{k}={json.dumps(v)}' for k, v in overrides.items())}" if overrides else ""
    write_comparison(frame, comparison, out, preset, data=_data_label(cfg), n_iterations=cfg.n_iterations,
                     network=f"{cfg.n_rec} neurons, {cfg.n_iterations} iterations of batch {cfg.batch_size} ({cells[0].labels['model']}){changed}")
    return frame


def _data_label(cfg) -> str:
    """What data a task read, for the tables: the corpus (labelled SYNTHETIC where it is) and its folder; '' otherwise."""
    from lsnn.training.trainer import build_task

    task = build_task(cfg)
    root = getattr(task, "root", None)
    if root is None:
        return task.variant
    return f"{task.variant or 'the corpus'} in {root}"


def summarize_comparison(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per model, best first: mean, std and number of seeds of the metric, the paper's value, rate, validation."""
    rows = []
    for model, part in frame.groupby("model", sort=False):
        acc = part["accuracy"].to_numpy()
        rows.append({"model": model, "mean": acc.mean(), "std": np.std(acc, ddof=1) if len(acc) > 1 else np.nan, "n": len(acc),
                     "paper": part["paper"].iloc[0], "rate_hz": part["rate_hz"].mean(),
                     "identical": f"{int(part['identical_trials'].sum())}/{int(part['validated_trials'].sum())}"})
    return pd.DataFrame(rows).sort_values("mean", ascending=False, kind="stable").reset_index(drop=True)


def write_comparison(frame: pd.DataFrame, comparison: Comparison, out: Path, preset: str, data: str = "", network: str = "",
                     n_iterations: int | None = None) -> None:
    """``<name>_runs.csv`` (one line per run), ``<name>.json`` and ``<name>.md`` (summary, ordering, wall time)."""
    save_csv(frame, out / f"{comparison.name}_runs.csv")
    summary = summarize_comparison(frame)
    table = pd.DataFrame({
        f"{comparison.metric_label}, % (mean +- std, n)": [
            f"{r['mean']:.1f}" + ("" if np.isnan(r["std"]) else f" +- {r['std']:.1f}") + f" ({r['n']})" for _, r in summary.iterrows()],
        "paper, %": [("bar only" if r["model"] in comparison.variants and comparison.paper_shows_bars else "not reported")
                     if pd.isna(r["paper"]) else f"{r['paper']:g}"
                     for _, r in summary.iterrows()],
        "rate, Hz": ["-" if pd.isna(r["rate_hz"]) else f"{r['rate_hz']:.1f}" for _, r in summary.iterrows()],
        "Brian2 identical trials": ["- (no spikes)" if r["model"] in ANN_BASELINES else r["identical"] for _, r in summary.iterrows()],
    }, index=pd.Index(summary["model"], name="model"))
    lines = [
        f"# {comparison.title}, preset `{preset}`",
        "",
        markdown_table(table),
        "",
        "Ours, best to worst: " + _ordering(summary) + ".",
        f"Paper: {comparison.claim}.",
        *([f"Data: {data}."] if data else []),
        *([f"This preset: {network}."] if network else []),
        f"Runs: {len(frame)}; wall time of this invocation {frame['wall_s'].sum() / 60:.1f} min (training, testing and validation)"
        + (f"; {int(frame['reused'].sum())} finished runs reused from earlier invocations (their time not counted)." if frame["reused"].any() else "."),
    ]
    atomic_write_text(out / f"{comparison.name}.md", "\n".join(lines) + "\n")
    write_json(out / f"{comparison.name}.json", {"name": comparison.name, "title": comparison.title, "preset": preset, "data": data,
                                                "network": network, "n_iterations": n_iterations,
                                                "metric": comparison.metric, "metric_label": comparison.metric_label,
                                                "runs": frame.to_dict(orient="records"),
                                                "summary": summary.to_dict(orient="records")})


def _ordering(summary: pd.DataFrame) -> str:
    """``sfa > elif = lif`` from the summary's means (equal when they agree to 0.1 %)."""
    text = summary["model"].iloc[0]
    for k in range(1, len(summary)):
        same = round(summary["mean"].iloc[k - 1], 1) == round(summary["mean"].iloc[k], 1)
        text += (" = " if same else " > ") + summary["model"].iloc[k]
    return text


def reproduce(name: str, out: str | os.PathLike, *, preset: str = "quick", seeds: int = 1, rows=None, delays=None, models=None,
              setups=None, overrides: dict[str, Any] | None = None, validate_trials: int | None = None, device: str = "cpp_standalone",
              progress: bool = True, log=print, executor: ExecutorOptions | None = None) -> tuple[pd.DataFrame, str]:
    """Run the reproduction ``name`` (``elife-table1``, ``neurips-smnist``, ``neurips-l2l``, ``neurips-metarl`` or a name of :data:`COMPARISONS`);
    returns the per-run frame and the stem of the tables written into ``out``. Options that do not apply
    to ``name`` are refused."""
    if overrides and name not in COMPARISONS:
        raise ValueError(f"--set applies to the comparisons ({', '.join(COMPARISONS)}); {name} has its own grid "
                         "(for other values of one task, use lsnn sweep --task ... --set ...).")
    if validate_trials is not None and validate_trials < 0:
        raise ValueError(f"--validate-trials must be 0 (no validation) or positive; got {validate_trials}.")
    if setups and name != "neurips-smnist":
        raise ValueError("--setups applies to neurips-smnist only.")
    if name == "elife-table1":
        if models:
            raise ValueError("--models applies to the figures; Table 1 is selected with --rows and --delays.")
        return reproduce_table1(out, preset=preset, seeds=seeds, rows=rows, delays=delays, validate_trials=validate_trials,
                                device=device, progress=progress, log=log, executor=executor), "table1"
    if name == "neurips-smnist":
        from .smnist import NAME, reproduce_smnist

        if rows and set(rows) & {"target_nets", "sines"}:
            raise ValueError("target_nets and sines are rows of neurips-l2l; neurips-smnist has deep-r-lsnn, lsnn, lif, lstm, rnn.")
        if models or delays:
            raise ValueError("neurips-smnist is selected with --rows (deep-r-lsnn, lsnn, lif, lstm, rnn) and --setups (1ms, 2ms).")
        return reproduce_smnist(out, preset=preset, seeds=seeds, rows=rows, setups=setups, validate_trials=validate_trials,
                                device=device, progress=progress, log=log, executor=executor), NAME
    if name == "neurips-l2l":
        from .l2l import NAME as L2L, reproduce_l2l

        if models or delays:
            raise ValueError("neurips-l2l is selected with --rows target_nets sines (the function families); --models and --delays do not apply.")
        return reproduce_l2l(out, preset=preset, seeds=seeds, families=rows, validate_trials=validate_trials, device=device,
                             progress=progress, log=log, executor=executor), L2L
    if name == "neurips-metarl":
        from .metarl import NAME as METARL, reproduce_metarl

        if models or delays or validate_trials:
            raise ValueError("neurips-metarl is selected with --rows lsnn lif; --models, --delays and --validate-trials do not apply "
                             "(the Brian2 check replays one recorded episode per run).")
        return reproduce_metarl(out, preset=preset, seeds=seeds, rows=rows, device=device, progress=progress, log=log,
                                executor=executor), METARL
    if rows or delays:
        raise ValueError("--rows and --delays apply to elife-table1, neurips-smnist, neurips-l2l and neurips-metarl only; use --models.")
    return reproduce_comparison(name, out, preset=preset, seeds=seeds, models=models, overrides=overrides, validate_trials=validate_trials,
                                device=device, progress=progress, log=log, executor=executor), name
