"""``lsnn sweep``: every combination of a grid of configuration values x seeds, trained (locally or on SLURM),
tested, optionally validated in Brian2, and tabulated by grid point.

A sweep is a reproduction without a paper column: one run folder per (grid point, seed) under ``OUT/runs/``
(resumable; rerunning the command reuses finished runs), run through the same cells as the reproductions
(:func:`lsnn.app.reproduce.run_cells`, so ``--executor slurm`` submits them as jobs), and ``OUT/sweep.md`` /
``sweep.json`` / ``sweep_runs.csv`` with mean +- std over seeds per grid point.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from lsnn.common.files import atomic_write_text
from lsnn.training.config import RL_TASKS, make_config
from lsnn.training.runs import write_json

from .executors import ExecutorOptions
from .outputs import save_csv, save_figure
from .reproduce import Cell, markdown_table, run_cells

NAME = "sweep"
#: The metric tabulated by default: the one the paper reports for the task (else the accuracy).
DEFAULT_METRICS = {"12ax": "success", "duplication_reversal": "success", "store_recall_20d": "accuracy"}
#: Tasks that a sweep cannot run: their evaluation is not one test metric of a held-out set.
NOT_SWEEPABLE = tuple(RL_TASKS) + ("l2l_sines", "l2l_target_nets")


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """``["lr=0.001,0.003", "n_rec=[100, 200]"]`` -> ``{"lr": [0.001, 0.003], "n_rec": [100, 200]}``: a JSON list, or
    comma-separated JSON values (plain words are strings). Raises ``ValueError`` naming the bad item."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        if "=" not in item:
            raise ValueError(f"--grid {item!r} must look like key=v1,v2 or key=[v1, v2].")
        key, raw = (part.strip() for part in item.split("=", 1))
        if raw.startswith("["):
            try:
                values = json.loads(raw)
            except json.JSONDecodeError:
                raise ValueError(f"--grid {item!r}: {raw!r} is not a JSON list.") from None
        else:
            values = [_json_or_text(v.strip()) for v in raw.split(",") if v.strip()]
        if not key or not isinstance(values, list) or not values:
            raise ValueError(f"--grid {item!r} needs a key and at least one value.")
        if key in grid:
            raise ValueError(f"--grid names {key!r} twice.")
        grid[key] = values
    return grid


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def point_name(point: dict[str, Any]) -> str:
    """A folder-safe name of a grid point: ``lr=0.001_n_rec=100`` (``base`` for an empty grid)."""
    if not point:
        return "base"
    text = "_".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in point.items())
    return re.sub(r"[^A-Za-z0-9=._+-]", "-", text)[:150]


def sweep(task: str, out: str | os.PathLike, *, model: str = "sfa", preset: str = "quick", fixed: dict[str, Any] | None = None,
          grid: dict[str, list[Any]] | None = None, seeds: int = 1, metric: str | None = None, validate_trials: int = 0,
          device: str = "cpp_standalone", progress: bool = True, log=print, executor: ExecutorOptions | None = None) -> pd.DataFrame:
    """Train (or reuse) every (grid point, seed) of ``task`` / ``model`` / ``preset`` with ``fixed`` overrides, validate
    ``validate_trials`` test trials of each in Brian2, write the tables; returns the per-run frame. Every configuration is
    checked before anything runs."""
    if task in NOT_SWEEPABLE:
        raise ValueError(f"lsnn sweep runs tasks with one held-out test metric; {task} is reproduced with lsnn reproduce.")
    if seeds < 1:
        raise ValueError("--seeds must be at least 1.")
    fixed, grid = dict(fixed or {}), dict(grid or {})
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ValueError(f"{', '.join(both)} is both fixed (--set) and swept (--grid); give it once.")
    metric = metric or DEFAULT_METRICS.get(task, "accuracy")
    points = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    out = Path(out)
    cells = [Cell({**{k: json.dumps(v) if not isinstance(v, str) else v for k, v in point.items()}, "point": point_name(point), "seed": seed},
                  make_config(task, model, preset, {**fixed, **point}, seed=seed), out / "runs" / f"{point_name(point)}-s{seed}", None,
                  f"sweep {task}/{model}: {point_name(point)}, seed {seed}")
             for point in points for seed in range(seeds)]
    if len({c.run_dir for c in cells}) != len(cells):
        raise ValueError("two grid points have the same folder name; shorten or distinguish the values.")
    frame = run_cells(cells, metric, validate_trials, progress, device, log, executor)
    write_sweep(frame, out, task=task, model=model, preset=preset, fixed=fixed, grid=grid, metric=metric, device=device)
    return frame


def summarize_sweep(frame: pd.DataFrame, grid_keys: list[str]) -> pd.DataFrame:
    """Mean +- std (over seeds), number of runs, firing rate and Brian2 validation per grid point."""
    rows = []
    for point, part in frame.groupby("point", sort=False):
        values = part["accuracy"]
        rows.append({"point": point, **{k: part[k].iloc[0] for k in grid_keys},
                     "mean": values.mean(), "std": values.std(ddof=0), "max": values.max(), "runs": len(part),
                     "rate_hz": part["rate_hz"].mean() if part["rate_hz"].notna().any() else None,
                     "identical": f"{int(part['identical_trials'].sum())}/{int(part['validated_trials'].sum())}"})
    return pd.DataFrame(rows)


def write_sweep(frame: pd.DataFrame, out: Path, *, task: str, model: str, preset: str, fixed: dict, grid: dict, metric: str,
                device: str) -> None:
    """``sweep.md`` / ``sweep.json`` / ``sweep_runs.csv`` in ``out``."""
    save_csv(frame, out / "sweep_runs.csv")
    summary = summarize_sweep(frame, list(grid))
    shown = pd.DataFrame({**{k: summary[k] for k in grid},
                          metric: [f"{m:.1f} +- {s:.1f}" for m, s in zip(summary["mean"], summary["std"])],
                          "max": summary["max"].map(lambda v: f"{v:.1f}"), "runs": summary["runs"],
                          "rate (Hz)": summary["rate_hz"].map(lambda v: "-" if v is None or pd.isna(v) else f"{v:.1f}"),
                          "Brian2 identical": summary["identical"]})
    shown.index = summary["point"].to_numpy()  # set after building: an index given to the constructor would realign the columns
    shown.index.name = "grid point"
    lines = [f"# Sweep: {task} / {model}, preset `{preset}`", "",
             f"Test {metric} in % (mean +- std over seeds); fixed: {json.dumps(fixed) if fixed else 'nothing'}.", "",
             markdown_table(shown), "",
             f"Runs: {len(frame)}; wall time of this invocation {frame['wall_s'].sum() / 60:.1f} min"
             + (f"; {int(frame['reused'].sum())} finished runs reused." if frame["reused"].any() else ".")]
    atomic_write_text(out / "sweep.md", "\n".join(lines) + "\n")
    _draw_test_curves(frame, out, task, model, metric)
    write_json(out / "sweep.json", {"task": task, "model": model, "preset": preset, "fixed": fixed, "grid": grid, "metric": metric,
                                    "device": device, "runs": frame.to_dict(orient="records"),
                                    "summary": summary.to_dict(orient="records")})


def _draw_test_curves(frame: pd.DataFrame, out: Path, task: str, model: str, metric: str) -> None:
    """``sweep_curves.png``: the held-out metric of every run's periodic tests (``eval_every``) against the iteration,
    one line per (grid point, seed); nothing when no run tested periodically."""
    from lsnn.figures.runs import figure_test_curves

    from .curves import test_curve

    curves = {f"{row.point}, seed {row.seed}": test_curve(out / "runs" / f"{row.point}-s{row.seed}", metric) for row in frame.itertuples()}
    if any(len(curve) > 1 for curve in curves.values()):
        save_figure(figure_test_curves(curves, metric, f"Sweep: {task} / {model}"), out / "sweep_curves.png")
