"""Scoring a finished run on its held-out set (``lsnn evaluate RUN``).

The trained model is rebuilt from the run folder alone: a spiking network from ``network.npz``
(:meth:`LSNN.from_spec`, in the precision asked for), an LSTM / tanh-RNN baseline from its
configuration and ``baseline.pt``. It is tested on the first ``n_trials`` trials of the run's held-out
set (:func:`lsnn.training.runs.held_out_batches`; for sequential MNIST the test digits in order), with
progress, and the result -- metrics, firing rate, and which trials were answered right -- is written as
``evaluation_<dtype>.json``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .runs import BASELINE, NETWORK, RunError, load_checkpoint, load_run, read_config, write_json

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def load_trained_model(run_dir: str | os.PathLike, dtype: str = "float32"):
    """``(model, config, task)`` of a finished run: the LSNN of ``network.npz`` or the ANN baseline of ``baseline.pt``."""
    from .model import LSNN
    from .trainer import build_model, build_task

    run_dir = Path(run_dir)
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {tuple(DTYPES)}; got {dtype!r}.")
    if (run_dir / BASELINE).is_file():
        cfg = read_config(run_dir).replace(dtype=dtype)
        task = build_task(cfg)
        net = build_model(cfg, task)
        state = load_checkpoint(run_dir / BASELINE, required=("model",))
        try:
            net.load_state_dict({k: v.to(DTYPES[dtype]) for k, v in state["model"].items()})
        except (RuntimeError, KeyError) as exc:
            raise RunError(f"{run_dir / BASELINE} does not fit the run's configuration ({exc}).") from None
        return net, cfg, task
    if not (run_dir / NETWORK).is_file():
        raise FileNotFoundError(f"{run_dir / NETWORK} does not exist; train the run to completion first (lsnn train ... --resume).")
    run = load_run(run_dir)
    return LSNN.from_spec(run.spec, gamma=run.cfg.gamma, dtype=DTYPES[dtype]), run.cfg, run.task


def evaluate_run(run_dir: str | os.PathLike, n_trials: int | None = None, dtype: str = "float32", batch_size: int | None = None,
                 progress: bool = True, out: str | os.PathLike | None = None, current_noise: float | None = None) -> dict[str, Any]:
    """Test the run on the first ``n_trials`` held-out trials (default: its test set, ``n_test``) and write
    ``evaluation_<dtype>.json`` into ``out`` (default: the run folder). Returns the report.

    ``current_noise`` (V per step): test with this Gaussian current noise instead of the run's own
    (``cfg.current_noise``, 0 unless trained with noise) -- the eLife 12AX noise test of a network trained
    without it; the report is then ``evaluation_<dtype>_noise<sigma>.json``."""
    from .trainer import evaluate

    run_dir = Path(run_dir)
    net, cfg, task = load_trained_model(run_dir, dtype)
    n_trials = cfg.n_test if n_trials is None else int(n_trials)
    batch_size = cfg.test_batch if batch_size is None else int(batch_size)
    if n_trials < 1 or batch_size < 1:
        raise ValueError(f"the number of trials and the batch size must be at least 1; got {n_trials} and {batch_size}.")
    noise = cfg.current_noise if current_noise is None else float(current_noise)
    if not (np.isfinite(noise) and 0 <= noise <= 10):
        raise ValueError(f"current_noise must be in [0, 10] V per step; got {current_noise}.")
    if noise and cfg.model in ("lstm", "rnn"):
        raise ValueError(f"current noise is injected into spiking neurons; the {cfg.model} baseline has none.")
    with torch.no_grad():
        result = evaluate(net, task, n_trials, batch_size, cfg.test_seed, progress=progress, per_trial=True, current_noise=noise)
    report = {"run_dir": str(run_dir), "task": cfg.task, "model": cfg.model, "dtype": dtype, "test_seed": cfg.test_seed,
              "current_noise": noise, **result}
    suffix = "" if current_noise is None else f"_noise{noise:g}"
    path = Path(out or run_dir) / f"evaluation_{dtype}{suffix}.json"
    write_json(path, report)
    report["report"] = str(path)
    return report
