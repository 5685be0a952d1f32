"""Delayed-memory XOR (Salaj et al. 2021 eLife, Appendix 1 §4; after Huh & Sejnowski 2018).

Two analog input channels: a signal channel that carries one or two pulses of either sign and a
go-cue channel. Pulses are Gaussian bumps ``exp(-(t - c)^2 / (2 s^2))`` normalised to peak 1 and
``pulse_duration`` (30 ms) long (s = duration / 6). The first pulse starts between 20 and 100 ms;
the second follows after a delay of 0-170 ms in 10 ms steps (geometric, p = 10/170, capped); the go
cue starts at ``go_onset`` (500 ms) in a ``duration`` (600 ms) trial. The six configurations
(+, -, ++, --, +-, -+) are equally likely. After the go cue the network answers on three readouts
(softmax over a 60 ms window from the go-cue onset): 0 = the two pulses had the same sign,
1 = different signs, 2 = only one pulse.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import Task, TaskBatch

SAME, DIFFERENT, SINGLE = 0, 1, 2
CONFIGURATIONS = ((1,), (-1,), (1, 1), (-1, -1), (1, -1), (-1, 1))


@dataclass(frozen=True)
class DelayedXOR(Task):
    """Delayed XOR with the eLife parameters (30 ms pulses, 600 ms trials, 60 ms answer window)."""

    duration: float = 0.6
    pulse_duration: float = 0.03
    go_onset: float = 0.5
    answer_window: float = 0.06
    max_delay: float = 0.17
    name: str = field(default="delayed_xor", init=False)
    input_kind: str = field(default="analog", init=False)

    @property
    def n_in(self) -> int:
        return 2

    @property
    def n_out(self) -> int:
        return 3

    @property
    def n_steps(self) -> int:
        return int(round(self.duration / self.dt))

    def pulse(self) -> np.ndarray:
        """The pulse shape: a Gaussian bump over ``pulse_duration``, peak 1."""
        n = int(round(self.pulse_duration / self.dt))
        t = np.arange(n) + 0.5
        return np.exp(-((t - n / 2) ** 2) / (2 * (n / 6) ** 2)).astype(np.float32)

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:  # noqa: D102
        steps = lambda s: int(round(s / self.dt))  # noqa: E731
        shape = self.pulse()
        n = len(shape)
        config = rng.integers(0, len(CONFIGURATIONS), batch)
        onset1 = rng.integers(steps(0.02), steps(0.1), batch)
        k_max = int(round(self.max_delay / 0.01))
        gap = np.minimum(rng.geometric(10 / 170, batch) - 1, k_max) * steps(0.01)
        onset2 = onset1 + n + gap
        go = steps(self.go_onset)
        if onset2.max() + n > go:
            raise ValueError("pulses would overlap the go cue; increase go_onset.")
        x = np.zeros((batch, self.n_steps, 2), dtype=np.float32)
        signs = np.zeros((batch, 2), dtype=np.int8)
        labels = np.empty((batch, 1), dtype=np.int64)
        for b in range(batch):
            pulses = CONFIGURATIONS[config[b]]
            signs[b, : len(pulses)] = pulses
            x[b, onset1[b] : onset1[b] + n, 0] = pulses[0] * shape
            if len(pulses) == 2:
                x[b, onset2[b] : onset2[b] + n, 0] = pulses[1] * shape
                labels[b, 0] = SAME if pulses[0] == pulses[1] else DIFFERENT
            else:
                labels[b, 0] = SINGLE
        x[:, go : go + n, 1] = shape
        windows = np.array([[go, go + steps(self.answer_window)]])
        conditions = {
            "configuration": config.astype(np.int8),
            "signs": signs,
            "onset1": onset1 * self.dt,
            "onset2": np.where(signs[:, 1] != 0, onset2 * self.dt, np.nan),
            "delay": np.where(signs[:, 1] != 0, gap * self.dt, np.nan),
        }
        return TaskBatch(x, labels, windows, conditions, ("answer",))
