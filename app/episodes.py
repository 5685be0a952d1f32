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
        step_duration=run.task.step_duration, symbol_names=SYMBOLS, variant=run.task.variant,
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


@dataclass
class TaskSequences:
    """Average activity of a duplication/reversal network for one sequence under both tasks (poster B)."""

    word: str  # the sequence, e.g. "abcde"
    duplication: np.ndarray  # (bins, neurons) normalised rates of the duplication episodes' display half, sorted
    reversal: np.ndarray  # (bins, neurons) normalised rates of the reversal episodes, same neuron order
    order: np.ndarray  # neuron indices, sorted by peak time in (the sorting half of) the duplication episodes
    reliability: float  # Spearman r of peak bins between the two halves of the duplication episodes
    changed: float  # fraction of active neurons whose peak lies in another step under reversal than under duplication
    changed_control: float  # the same between the two halves of the duplication episodes (what noise alone changes)
    changed_loading: float  # ... among neurons whose duplication peak lies in the loading (input) steps
    n_active: int  # neurons firing in both tasks
    n_episodes: int  # per task
    success: dict[str, float]  # per task, fraction of these episodes entirely right
    bin_size: float
    step_duration: float
    step_names: list[str]
    variant: str = ""


def task_sequences(run_dir: str | os.PathLike, word: str | None = None, n_episodes: int = 200, *, bin_size: float = 0.05,
                   seed: int = 12345) -> TaskSequences:
    """Simulate ``n_episodes`` episodes of one sequence ``word`` (default: the first letters of the alphabet, "abcde") under
    duplication and under reversal (PyTorch, float64; fresh input spikes drawn from ``seed``) and compare the averaged,
    peak-sorted activity (Salaj et al. 2020 poster, panel B: "neurons change their preference depending on the task, as
    early as during the loading of the input sequence")."""
    import torch

    from lsnn.analysis.sequences import cross_validated_sequence, normalized_traces, peak_bins
    from lsnn.training.tasks.duplication_reversal import DUPLICATE, REVERSE

    run = load_run(run_dir)
    task = run.task
    if not isinstance(task, DuplicationReversal):
        raise ValueError(f"{run_dir} was trained on {run.cfg.task!r}, not duplication_reversal.")
    word = word or "".join(task.alphabet[: task.n_symbols_seq])
    bin_steps = int(round(bin_size / task.dt))
    if bin_steps < 1 or task.step_steps % bin_steps:
        raise ValueError(f"bin_size {bin_size} s must divide the symbol duration {task.step_duration} s into whole steps of {task.dt} s.")
    if n_episodes < 4:
        raise ValueError(f"n_episodes must be at least 4 (the duplication episodes are split in halves); got {n_episodes}.")
    rng = np.random.default_rng(seed)
    counts, success = {}, {}
    for name, kind in (("duplication", DUPLICATE), ("reversal", REVERSE)):
        batch = task.fixed_sequence(rng, word, kind, n_episodes)
        binned, right = [], 0.0
        for part, out in iter_held_out(run, n_episodes, batch=batch, record_state=False):
            spikes = out.spikes.numpy()
            B, T, n = spikes.shape
            binned.append(spikes.reshape(B, T // bin_steps, bin_steps, n).sum(axis=2))
            right += task.metrics(torch.as_tensor(out.outputs), part)["success"] * B
        counts[name], success[name] = np.concatenate(binned), right / n_episodes
    dup, rev = counts["duplication"], counts["reversal"]
    seq = cross_validated_sequence(dup, rng)
    active = (dup.sum(axis=(0, 1)) > 0) & (rev.sum(axis=(0, 1)) > 0)
    bins_per_step = task.step_steps // bin_steps
    step_dup, step_rev = peak_bins(dup) // bins_per_step, peak_bins(rev) // bins_per_step
    step_a, step_b = peak_bins(dup[seq.sort_trials]) // bins_per_step, peak_bins(dup[seq.display_trials]) // bins_per_step
    loading = active & (step_dup < task.n_symbols_seq)
    fraction = lambda mask: float(mask[active].mean()) if active.any() else float("nan")  # noqa: E731
    return TaskSequences(
        word=word, duplication=seq.traces, reversal=normalized_traces(rev)[:, seq.order], order=seq.order, reliability=seq.reliability,
        changed=fraction(step_dup != step_rev), changed_control=fraction(step_a != step_b),
        changed_loading=float((step_dup != step_rev)[loading].mean()) if loading.any() else float("nan"),
        n_active=int(active.sum()), n_episodes=n_episodes, success=success, bin_size=bin_steps * task.dt,
        step_duration=task.step_duration, step_names=task.step_names(word), variant=task.variant,
    )
