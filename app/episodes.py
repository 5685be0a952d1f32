"""The data of the papers' figures from trained runs: held-out trials re-simulated (PyTorch, float64,
:mod:`lsnn.training.heldout`) and, where a figure shows Brian2 too, simulated in Brian2.

- :func:`example_trial`: one STORE-RECALL trial in both implementations (eLife Fig. 1D-E style);
- :func:`threshold_dynamics`: adaptive thresholds around STORE and RECALL cues (Elephant's event-aligned average);
- :func:`twelve_ax_episode`: one 12AX episode (eLife Fig. 3B);
- :func:`episode_activity`: binned spikes and ANOVA samples of duplication/reversal episodes (eLife Fig. 4B-F).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import quantities as pq
from neo import AnalogSignal, SpikeTrain
from tqdm.auto import tqdm

from lsnn.analysis import event_aligned_average
from lsnn.figures.store_recall import TrialTraces
from lsnn.figures.twelve_ax import TwelveAXEpisode
from lsnn.models import simulate
from lsnn.training.heldout import held_out_activity, iter_held_out
from lsnn.training.runs import load_run
from lsnn.training.tasks import DuplicationReversal, TwelveAX, window_means
from lsnn.training.tasks.store_recall import RECALL, STORE
from lsnn.training.tasks.twelve_ax import SYMBOLS


def example_trial(run_dir: str | os.PathLike, label: str, trial: int = 0, device: str = "numpy") -> TrialTraces:
    """Held-out trial ``trial`` of a STORE-RECALL run through PyTorch (float64) and Brian2 (``device``), with thresholds."""
    run = load_run(run_dir)
    act = held_out_activity(run, trial + 1, first=trial)
    res = simulate(run.spec, act.batch.x[0], device=device, record_v=False, record_threshold=True, progress=False)
    return TrialTraces(
        x=act.batch.x[0], spikes=act.spikes[0], thresholds=act.thresholds[0], outputs=act.outputs[0],
        spikes_brian2=res.spikes, thresholds_brian2=res.thresholds, outputs_brian2=res.outputs,
        commands=act.batch.conditions["command"][0], step_duration=run.task.step_duration, dt=run.spec.dt, beta=run.spec.beta, label=label,
    )


def threshold_dynamics(run_dir: str | os.PathLike, n_trials: int = 64) -> dict[str, Any]:
    """Mean rise of the adaptive thresholds (A - b0, mV) of adaptive neurons around STORE and RECALL onsets."""
    run = load_run(run_dir)
    spec, task = run.spec, run.task
    adaptive = np.flatnonzero(spec.beta != 0)
    if adaptive.size == 0:
        return {"adaptive_neurons": 0}
    act = held_out_activity(run, n_trials)
    A = act.thresholds[:, :, adaptive] - spec.b0[adaptive]
    dt = spec.dt * pq.s
    signals = [AnalogSignal(A[k].mean(1, keepdims=True) * 1e3, units="mV", sampling_period=dt) for k in range(len(A))]
    duration = act.batch.x.shape[1] * spec.dt
    pre, post = min(0.2, 0.1 * duration), min(1.0, 0.4 * duration)  # seconds around each cue
    result: dict[str, Any] = {"adaptive_neurons": int(adaptive.size), "window_s": [-pre, post]}
    for name, code in (("store", STORE), ("recall", RECALL)):
        events = [SpikeTrain(np.flatnonzero(act.batch.conditions["command"][k] == code) * task.step_duration * pq.s, t_stop=duration * pq.s)
                  for k in range(len(A))]
        try:
            avg, n = event_aligned_average(signals, events, (-pre * pq.s, post * pq.s))
        except ValueError:  # no cue far enough from the trial edges
            result[name] = None
            continue
        trace = avg.magnitude[:, 0]
        result[name] = {"n_events": n, "mean_before_mV": float(trace[: max(1, int(pre / spec.dt))].mean()), "peak_after_mV": float(trace.max()),
                        "trace_mV": trace[:: max(1, int(0.02 / spec.dt))].round(4).tolist()}
    return result


def twelve_ax_episode(run_dir: str | os.PathLike, index: int = 0) -> TwelveAXEpisode:
    """Episode ``index`` of a 12AX run's held-out set through its trained network."""
    run = load_run(run_dir)
    if not isinstance(run.task, TwelveAX):
        raise ValueError(f"{run_dir} was trained on {run.cfg.task!r}, not 12ax.")
    act = held_out_activity(run, index + 1, first=index)
    import torch

    answers = window_means(torch.as_tensor(act.outputs), act.batch.windows).argmax(-1).numpy()[0]
    return TwelveAXEpisode(
        symbols=act.batch.conditions["symbols"][0], targets=act.batch.labels[0], answers=answers, x=np.asarray(act.batch.x[0]),
        spikes=act.spikes[0], thresholds=act.thresholds[0], adaptive=run.spec.beta > 0, dt=run.spec.dt,
        step_duration=run.task.step_duration, symbol_names=SYMBOLS,
    )


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
    variant: str = ""  # the task's reduced variant ('' for the paper's task)


def episode_activity(run_dir: str | os.PathLike, n_episodes: int, *, bin_size: float = 0.05, seed: int = 0,
                     progress: bool = False) -> EpisodeActivity:
    """Simulate ``n_episodes`` held-out episodes (the run's test set, batch by batch) and bin the spikes.

    Raises ``ValueError`` if the run is not a duplication/reversal run or ``bin_size`` does not divide
    the symbol duration into whole steps."""
    run = load_run(run_dir)
    task = run.task
    if not isinstance(task, DuplicationReversal):
        raise ValueError(f"{run_dir} was trained on {run.cfg.task!r}, not duplication_reversal.")
    bin_steps = int(round(bin_size / task.dt))
    if bin_steps < 1 or task.step_steps % bin_steps:
        raise ValueError(f"bin_size {bin_size} s must divide the symbol duration {task.step_duration} s into whole steps of {task.dt} s.")
    rng = np.random.default_rng(seed)
    counts, sel, factors, n_right, done = [], [], [], 0.0, 0
    with tqdm(total=n_episodes, desc="episodes", disable=not progress) as bar:
        for batch, out in iter_held_out(run, n_episodes, record_state=False):
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
        factors=factors, success=n_right / done, bin_size=bin_steps * task.dt, step_duration=task.step_duration,
        n_symbols_seq=task.n_symbols_seq, variant=task.variant,
    )
