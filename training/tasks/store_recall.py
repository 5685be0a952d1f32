"""1-D STORE-RECALL (Salaj et al. 2021 eLife, Fig. 1D-E, Fig. 2B, Table 1; task specs §2).

The input is a sequence of ``n_steps`` steps of ``step_duration`` (200 ms). Forty input neurons form
four populations of ten: value bit 0, value bit 1, STORE, RECALL; the active populations of a step
fire Poisson spikes at 50 Hz. Every step carries a STORE or RECALL command with probability
``p = 1 / (1 + expected_delay / step_duration)`` (0.09 = 1/11 for the 2 s delay of Fig. 2B), STORE
and RECALL alternating, STORE first. Every step except RECALL steps shows a random bit (the stored
value on STORE steps, a distractor elsewhere). At a RECALL step the network must report the bit of
the most recent STORE: two readouts (softmax over the mean of the 20 ms low-pass output during the
RECALL step); the loss is the cross-entropy on RECALL steps only, the metric the recall accuracy.
Sequences without any RECALL are redrawn, so every trial has at least one target.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import SteppedTask, TaskBatch, poisson_spikes

NONE, STORE, RECALL = 0, 1, 2
#: Table 1 of the eLife paper: expected delay (s) -> (number of steps, step duration in s).
TABLE1_SEQUENCES = {0.2: (12, 0.05), 2.0: (20, 0.2), 4.0: (40, 0.2), 8.0: (80, 0.2), 16.0: (120, 0.2)}


def alternating_commands(rng: np.random.Generator, batch: int, n_steps: int, p_command: float) -> np.ndarray:
    """(batch, n_steps) commands: each step a command with probability ``p_command``, STORE and RECALL
    alternating, STORE first; sequences without a RECALL are redrawn."""
    out = np.empty((0, n_steps), dtype=np.int8)
    while len(out) < batch:
        events = rng.random((2 * batch, n_steps)) < p_command
        count = np.cumsum(events, axis=1)
        cmd = np.where(events, np.where(count % 2 == 1, STORE, RECALL), NONE).astype(np.int8)
        out = np.concatenate([out, cmd[(cmd == RECALL).any(axis=1)]])
    return out[:batch]


@dataclass(frozen=True)
class StoreRecall(SteppedTask):
    """1-D STORE-RECALL; parameters as in the eLife specs (§2)."""

    expected_delay: float = 2.0  # s, expected STORE -> RECALL delay
    n_steps_seq: int = 20  # steps per sequence
    step_duration: float = 0.2  # s
    n_per_population: int = 10
    rate: float = 50.0  # Hz of an active population
    name: str = field(default="store_recall", init=False)
    input_kind: str = field(default="spike", init=False)

    @classmethod
    def for_delay(cls, expected_delay: float, **kwargs) -> "StoreRecall":
        """The sequence length and step duration of Table 1 for an expected delay of 0.2, 2, 4, 8 or 16 s."""
        if expected_delay not in TABLE1_SEQUENCES:
            raise ValueError(f"Table 1 has expected delays {sorted(TABLE1_SEQUENCES)} s; got {expected_delay}.")
        n, step = TABLE1_SEQUENCES[expected_delay]
        return cls(expected_delay=expected_delay, n_steps_seq=n, step_duration=step, **kwargs)

    @classmethod
    def from_params(cls, **params) -> "StoreRecall":
        """Parameters of a config; ``{"expected_delay": d}`` alone means Table 1's sequence for d."""
        if set(params) == {"expected_delay"}:
            return cls.for_delay(params["expected_delay"])
        return cls(**params)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.expected_delay < self.step_duration:
            raise ValueError("expected_delay must be at least one step_duration.")

    @property
    def p_command(self) -> float:
        return 1.0 / (1.0 + self.expected_delay / self.step_duration)

    @property
    def n_in(self) -> int:
        return 4 * self.n_per_population

    @property
    def n_out(self) -> int:
        return 2

    @property
    def n_steps(self) -> int:
        return self.n_steps_seq * self.step_steps

    def sample_commands(self, rng: np.random.Generator, batch: int) -> np.ndarray:
        """(batch, n_steps_seq) commands NONE/STORE/RECALL, each sequence with at least one RECALL."""
        return alternating_commands(rng, batch, self.n_steps_seq, self.p_command)

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:  # noqa: D102
        cmd = self.sample_commands(rng, batch)
        bits = rng.integers(0, 2, cmd.shape).astype(np.int8)
        shown = np.where(cmd == RECALL, -1, bits)  # value shown per step, -1: none
        # target at RECALL steps: the bit shown at the most recent STORE
        last_store = np.maximum.accumulate(np.where(cmd == STORE, np.arange(self.n_steps_seq), -1), axis=1)
        stored = np.take_along_axis(bits, np.maximum(last_store, 0), axis=1)
        labels = np.where(cmd == RECALL, stored, -1).astype(np.int64)
        delay_steps = np.where(cmd == RECALL, np.arange(self.n_steps_seq) - last_store, 0)
        # populations active per sequence step: (B, n_steps_seq, 4) = bit0, bit1, STORE, RECALL
        active = np.stack([shown == 0, shown == 1, cmd == STORE, cmd == RECALL], axis=-1)
        active = np.repeat(np.repeat(active, self.step_steps, axis=1), self.n_per_population, axis=2)
        x = poisson_spikes(rng, active, self.rate, self.dt)
        L = self.step_steps
        windows = np.stack([np.arange(self.n_steps_seq) * L, np.arange(1, self.n_steps_seq + 1) * L], axis=1)
        conditions = {
            "command": cmd,
            "value_shown": shown.astype(np.int8),
            "stored_value": np.where(cmd == RECALL, stored, -1).astype(np.int8),
            "delay": delay_steps * self.step_duration,  # s from STORE to RECALL, at RECALL steps
        }
        phases = tuple(f"step{k}" for k in range(self.n_steps_seq))
        return TaskBatch(x, labels, windows, conditions, phases)
