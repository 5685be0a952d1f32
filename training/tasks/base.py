"""The task interface every task of both papers implements, and the window-readout losses.

A task is a seeded generator of batches: ``task.sample(rng, batch)`` returns a :class:`TaskBatch`
with the inputs (spike 0/1 per step or analog values), the targets as class labels per readout
window, and the per-trial conditions (stored values, delays, symbols, phases) that validation and
analysis need. The same ``numpy.random.Generator`` state always gives the same batch, so test sets
are reproducible from a seed. Readouts are evaluated on windows ``[start, stop)`` of time steps: the
network output averaged over a window gives the logits of that window (eLife Methods: "prediction =
mean over the RECALL step"); windows without a target carry the label -1.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F


@dataclass
class TaskBatch:
    """One batch of trials.

    x : (B, T, n_in) inputs; labels : (B, K) int class per readout window (-1: none);
    windows : (K, 2) int [start, stop) steps shared by all trials; conditions : per-trial arrays
    (first axis B) describing each trial; phases : names of the task phases per window (K,).
    """

    x: np.ndarray
    labels: np.ndarray
    windows: np.ndarray
    conditions: dict[str, np.ndarray] = field(default_factory=dict)
    phases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        B, T = self.x.shape[:2]
        if self.labels.shape[0] != B or self.labels.shape[1] != len(self.windows):
            raise ValueError(f"labels {self.labels.shape} do not match {B} trials and {len(self.windows)} windows.")
        if len(self.windows) and (self.windows.min() < 0 or self.windows.max() > T or np.any(self.windows[:, 1] <= self.windows[:, 0])):
            raise ValueError(f"readout windows must lie within [0, {T}) and be non-empty.")

    @property
    def n_trials(self) -> int:
        return int(self.x.shape[0])

    def subset(self, index) -> "TaskBatch":
        """The trials ``index`` (slice or integer array) of this batch."""
        return TaskBatch(self.x[index], self.labels[index], self.windows, {k: v[index] for k, v in self.conditions.items()}, self.phases)


def window_means(outputs: Tensor, windows: np.ndarray) -> Tensor:
    """Mean of ``outputs`` (B, T, n_out) over each window -> (B, K, n_out)."""
    starts, stops = windows[:, 0], windows[:, 1]
    if np.all(stops - starts == stops[0] - starts[0]) and np.all(np.diff(starts) == stops[0] - starts[0]):
        # contiguous equal windows (e.g. the 200 ms steps of STORE-RECALL): one reshape
        L = int(stops[0] - starts[0])
        seg = outputs[:, int(starts[0]) : int(stops[-1])]
        return seg.reshape(seg.shape[0], len(windows), L, seg.shape[-1]).mean(2)
    csum = torch.nn.functional.pad(outputs.cumsum(1), (0, 0, 1, 0))
    s, e = torch.as_tensor(starts), torch.as_tensor(stops)
    return (csum[:, e] - csum[:, s]) / (e - s).to(outputs.dtype)[None, :, None]


def window_cross_entropy(outputs: Tensor, batch: TaskBatch) -> Tensor:
    """Softmax cross-entropy of the window-averaged outputs, over the windows with a target."""
    logits = window_means(outputs, batch.windows)
    labels = torch.as_tensor(batch.labels, device=outputs.device)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-1)


def window_accuracy(outputs: Tensor, batch: TaskBatch) -> float:
    """Fraction of windows with a target where argmax of the window-averaged output is the label."""
    logits = window_means(outputs.detach(), batch.windows)
    labels = torch.as_tensor(batch.labels, device=outputs.device)
    has = labels >= 0
    if not bool(has.any()):
        return float("nan")
    return float((logits.argmax(-1)[has] == labels[has]).double().mean())


@dataclass(frozen=True)
class Task(ABC):
    """Base class: subclasses are frozen dataclasses of their parameters and implement :meth:`sample`."""

    dt: float = 1e-3

    name: str = field(default="task", init=False)
    input_kind: str = field(default="spike", init=False)

    @property
    @abstractmethod
    def n_in(self) -> int: ...

    @property
    @abstractmethod
    def n_out(self) -> int: ...

    @property
    @abstractmethod
    def n_steps(self) -> int: ...

    @abstractmethod
    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:
        """Draw ``batch`` trials with ``rng``."""

    @property
    def variant(self) -> str:
        """'' for the paper's task; a reduced variant says here what it changes (printed beside every result)."""
        return ""

    def check_data(self) -> None:
        """Raise a clear error if the task's data files are missing (checked before a run folder is written; cheap)."""

    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        """Task loss of the network outputs (B, T, n_out); softmax cross-entropy over windows by default."""
        return window_cross_entropy(outputs, batch)

    def loss_units(self, batch: TaskBatch) -> int:
        """How many terms :meth:`loss` averages over in ``batch`` (the windows with a target by default): the
        weight of a share of a batch in data-parallel training (:mod:`lsnn.training.distributed`)."""
        return int((batch.labels >= 0).sum())

    def metrics(self, outputs: Tensor, batch: TaskBatch) -> dict[str, float]:
        """Task metrics; ``accuracy`` (fraction of windows with a target answered correctly) by default."""
        return {"accuracy": window_accuracy(outputs, batch)}

    def held_out(self) -> "Task":
        """The task as the held-out test set draws it (the same by default; 20-D STORE-RECALL uses
        its dictionary of unseen test words)."""
        return self

    def held_out_batches(self, n_test: int, batch_size: int, seed: int) -> Iterator[TaskBatch]:
        """The held-out test set in batches of ``batch_size`` (the last one of the first ``n_test`` trials
        shorter; past ``n_test`` trials it goes on with full batches), drawn by :meth:`sample` from
        ``default_rng([seed, 2])``. Tasks with a fixed test set (sequential MNIST) override it."""
        rng = np.random.default_rng([seed, 2])
        drawn = 0
        while True:
            size = min(batch_size, n_test - drawn) if drawn < n_test else batch_size
            yield self.sample(rng, size)
            drawn += size

    @classmethod
    def from_params(cls, **params: Any) -> "Task":
        """The task from configuration parameters (``TrainConfig.task_params``)."""
        return cls(**params)

    def config(self) -> dict[str, Any]:
        """The task's parameters, JSON-serialisable (for run folders and provenance)."""
        return {"name": self.name, **asdict(self)}


def poisson_spikes(rng: np.random.Generator, active: np.ndarray, rate: float, dt: float) -> np.ndarray:
    """0/1 spikes (float32) where ``active`` (bool, any shape) with probability rate*dt per step."""
    return ((rng.random(active.shape, dtype=np.float32) < rate * dt) & active).astype(np.float32)


@dataclass(frozen=True)
class SteppedTask(Task):
    """A task made of steps of ``step_duration`` seconds (a field of the subclass), each a whole,
    positive number of time steps (checked on construction)."""

    def __post_init__(self) -> None:
        whole_steps(self.step_duration, self.dt)

    @property
    def step_steps(self) -> int:
        """Time steps per task step."""
        return whole_steps(self.step_duration, self.dt)


def whole_steps(duration: float, dt: float, name: str = "step_duration") -> int:
    """``duration / dt`` as a positive whole number of steps; a clear error otherwise."""
    steps = int(round(duration / dt))
    if steps < 1 or abs(steps * dt - duration) > 1e-9:
        raise ValueError(f"{name} {duration} s must be a whole, positive number of dt = {dt} s.")
    return steps


def symbol_stream_input(rng: np.random.Generator, shown: np.ndarray, step_steps: int, n_per_symbol: int,
                        rate_on: float, rate_off: float, dt: float) -> np.ndarray:
    """Spike input of a stream of symbols (12AX, duplication/reversal): ``shown`` (B, S, n_symbols)
    marks the symbols of each step; each symbol has ``n_per_symbol`` neurons firing Poisson at
    ``rate_on`` while it is shown and ``rate_off`` otherwise. Returns (B, S * step_steps, n_symbols * n_per_symbol)."""
    active = np.repeat(np.repeat(shown, step_steps, axis=1), n_per_symbol, axis=2)
    return np.maximum(poisson_spikes(rng, active, rate_on, dt), poisson_spikes(rng, ~active, rate_off, dt))
