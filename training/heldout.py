"""Re-simulating a trained network on its held-out trials with PyTorch (the one helper for it).

The validation, the demo's example trial and threshold analysis, and the 12AX and duplication/reversal
figures all run a finished run's network on the trials of its held-out set
(:func:`lsnn.training.runs.held_out_batches`, drawn from ``test_seed`` in batches of ``test_batch``):
trial k here is trial k of the trainer's test evaluation and of ``lsnn validate``. float64 by default,
whose rasters are identical to Brian2's (``lsnn validate`` checks that for every run). A run trained with
``current_noise`` gets trial k's held-out noise current (:func:`lsnn.training.noise.held_out_noise`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np
import torch

from .model import LSNN, LSNNOutput
from .noise import held_out_noise
from .runs import TrainedRun, held_out_batches, load_run
from .tasks import TaskBatch


class HeldOutActivity(NamedTuple):
    """Held-out trials and the network's activity on them (numpy, batch-major)."""

    batch: TaskBatch
    spikes: np.ndarray  # (trials, T, n_rec)
    outputs: np.ndarray  # (trials, T, n_out)
    v: np.ndarray | None  # (trials, T, n_rec), with record_state
    thresholds: np.ndarray | None


def _as_run(run: TrainedRun | str | os.PathLike) -> TrainedRun:
    return run if isinstance(run, TrainedRun) else load_run(run)


def iter_held_out(run: TrainedRun | str | os.PathLike, n_trials: int, *, dtype: torch.dtype = torch.float64,
                  record_state: bool = True, batch: TaskBatch | None = None) -> Iterator[tuple[TaskBatch, LSNNOutput]]:
    """Yield (batch, network output) over the first ``n_trials`` held-out trials, one test batch at a
    time (memory stays that of one batch: for long episodes and many trials). ``batch``: the held-out
    trials already drawn (:func:`~lsnn.training.runs.held_out_set`), cut into the same test batches."""
    spec, cfg, task = _as_run(run)
    if int(n_trials) < 1:
        raise ValueError(f"n_trials must be at least 1; got {n_trials}.")
    net = LSNN.from_spec(spec, dtype=dtype)
    if batch is None:
        batches = held_out_batches(task, cfg.n_test, cfg.test_batch, cfg.test_seed)
    else:
        drawn = batch
        batches = (drawn.subset(slice(k, k + cfg.test_batch)) for k in range(0, drawn.n_trials, cfg.test_batch))
    done = 0
    with torch.no_grad():
        for part in batches:
            if done >= n_trials:
                return
            if part.n_trials > n_trials - done:
                part = part.subset(slice(0, n_trials - done))
            noise = held_out_noise(cfg.current_noise, cfg.test_seed, done, part.n_trials, part.x.shape[1], spec.n_rec)
            yield part, net(part.x, i_ext=noise, record_state=record_state)
            done += part.n_trials


def held_out_activity(run: TrainedRun | str | os.PathLike, n_trials: int, *, dtype: torch.dtype = torch.float64,
                      record_state: bool = True, first: int = 0) -> HeldOutActivity:
    """Held-out trials ``first .. n_trials - 1`` and the network's spikes, outputs (and V, A) on them."""
    parts = list(iter_held_out(run, n_trials, dtype=dtype, record_state=record_state))

    def cat(values):
        return None if values[0] is None else np.concatenate(values)[first:]

    batches = [b for b, _ in parts]
    batch = TaskBatch(np.concatenate([b.x for b in batches])[first:], np.concatenate([b.labels for b in batches])[first:],
                      batches[0].windows, {k: np.concatenate([b.conditions[k] for b in batches])[first:] for k in batches[0].conditions},
                      batches[0].phases)
    outs = [o for _, o in parts]
    return HeldOutActivity(batch, cat([o.spikes.numpy() for o in outs]), cat([o.outputs.numpy() for o in outs]),
                           cat([None if o.v is None else o.v.numpy() for o in outs]),
                           cat([None if o.thresholds is None else o.thresholds.numpy() for o in outs]))
