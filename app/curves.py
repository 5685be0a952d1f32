"""Learning curves of trained runs: the held-out test metric against training iterations and time.

A run trained with ``eval_every`` logs a test on its first ``eval_trials`` held-out trials every ``eval_every``
iterations (``test_<metric>`` in ``metrics.jsonl``, with the cumulative training time ``time_s``, which
continues across ``--resume``); its final test on ``n_test`` trials is ``test.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from lsnn.training.runs import METRICS


def test_curve(run_dir: str | os.PathLike, metric: str = "accuracy") -> pd.DataFrame:
    """Held-out ``metric`` (%) of the run's periodic tests and, when finished, of its final test: columns
    ``iteration`` (iterations done), ``time_min`` (cumulative training time), ``metric`` and ``n_trials``;
    empty for a run without ``metrics.jsonl``."""
    run_dir = Path(run_dir)
    columns = ["iteration", "time_min", metric, "n_trials"]
    metrics_path = run_dir / METRICS
    if not metrics_path.is_file() or not metrics_path.stat().st_size:
        return pd.DataFrame(columns=columns)
    metrics = pd.read_json(metrics_path, lines=True)
    cfg = json.loads((run_dir / "config.json").read_text())
    curve = pd.DataFrame(columns=columns)
    if f"test_{metric}" in metrics.columns:
        tested = metrics.dropna(subset=[f"test_{metric}"])
        curve = pd.DataFrame({"iteration": tested["iteration"] + 1, "time_min": tested["time_s"] / 60,
                              metric: 100 * tested[f"test_{metric}"], "n_trials": min(cfg.get("eval_trials", 0), cfg["n_test"])})
    if (run_dir / "test.json").is_file():
        test = json.loads((run_dir / "test.json").read_text())
        if test.get("train_time_s") is not None and metric in test:
            final = {"iteration": cfg["n_iterations"], "time_min": test["train_time_s"] / 60, metric: 100 * test[metric],
                     "n_trials": test["n_trials"]}
            curve = pd.DataFrame([final]) if curve.empty else pd.concat([curve, pd.DataFrame([final])], ignore_index=True)
    return curve.reset_index(drop=True)
