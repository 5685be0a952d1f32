"""eLife Fig. 4B-F (poster panels A-C) from a trained duplication/reversal network.

:func:`episode_activity` runs held-out episodes of a ``lsnn train --task duplication_reversal`` run through
the trained network and keeps what the analyses need: spike counts in time bins (sequence sorting,
Fig. 4B/C) and, per episode, the spike counts of one randomly chosen input step with its Task x Position
x Symbol labels (the 3-way ANOVA of Fig. 4D-F, :meth:`DuplicationReversal.selectivity_samples`).
The network is simulated with the PyTorch implementation in float64, whose rasters are identical to
Brian2's (``lsnn validate`` checks this for every run); the analyses are those of :mod:`lsnn.analysis`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from lsnn.training import LSNN
from lsnn.training.tasks import DuplicationReversal
from lsnn.training.trainer import test_batches
from lsnn.training.validate import load_run


@dataclass
class EpisodeActivity:
    """Activity of a trained duplication/reversal network on held-out episodes."""

    counts: np.ndarray  # (episodes, bins, neurons) spike counts in bins of ``bin_size``
    task: np.ndarray  # (episodes,) "duplication" / "reversal" (the Task factor)
    selectivity_counts: np.ndarray  # (episodes, neurons) spikes in one random input step per episode
    factors: dict[str, np.ndarray]  # Task, Position (1-5), Symbol of that step
    success: float  # fraction of episodes with every output right
    bin_size: float  # s
    step_duration: float  # s, one symbol
    n_symbols_seq: int


def episode_activity(run_dir: str | os.PathLike, n_episodes: int, *, bin_size: float = 0.05, seed: int = 0,
                     progress: bool = False) -> EpisodeActivity:
    """Simulate ``n_episodes`` held-out episodes (the run's test set, in its batches) and bin the spikes.

    Raises ``ValueError`` if the run is not a duplication/reversal run or ``bin_size`` does not divide
    the symbol duration into whole steps."""
    spec, cfg, task = load_run(run_dir)
    if not isinstance(task, DuplicationReversal):
        raise ValueError(f"{run_dir} was trained on {cfg.task!r}, not duplication_reversal.")
    bin_steps = int(round(bin_size / task.dt))
    if bin_steps < 1 or task.step_steps % bin_steps:
        raise ValueError(f"bin_size {bin_size} s must divide the symbol duration {task.step_duration} s into whole steps of {task.dt} s.")
    net = LSNN.from_spec(spec)
    rng = np.random.default_rng(seed)
    counts, sel, factors, n_right = [], [], [], 0.0
    batches = test_batches(task, n_episodes, cfg.test_batch, cfg.test_seed)
    done = 0
    with torch.no_grad(), tqdm(total=n_episodes, desc="episodes", disable=not progress) as bar:
        while done < n_episodes:
            batch = next(batches)
            batch = batch.subset(np.arange(min(batch.n_trials, n_episodes - done)))
            out = net(batch.x, record_state=False)
            spikes = out.spikes.numpy()
            B, T, n = spikes.shape
            counts.append(spikes[:, : T // bin_steps * bin_steps].reshape(B, T // bin_steps, bin_steps, n).sum(axis=2).astype(np.int32))
            c, f = task.selectivity_samples(spikes, batch, rng)
            sel.append(c)
            factors.append(f)
            n_right += task.metrics(out.outputs, batch)["success"] * B
            done += B
            bar.update(B)
    factors = {k: np.concatenate([f[k] for f in factors]) for k in factors[0]}
    return EpisodeActivity(
        counts=np.concatenate(counts), task=factors["Task"], selectivity_counts=np.concatenate(sel),
        factors=factors, success=n_right / done,
        bin_size=bin_steps * task.dt, step_duration=task.step_duration, n_symbols_seq=task.n_symbols_seq,
    )
