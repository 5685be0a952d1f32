"""Duplication / reversal of symbol sequences (Salaj et al. 2021 eLife, Fig. 4; task specs §8).

An episode has 12 steps of 500 ms (6 s): five content symbols (31 possible: a-z, A-E, uniform,
repeats allowed), the end-of-sequence symbol ``*``, then six steps of the prompt ``?``. A task cue
(duplicate or reverse) is shown once, together with the first symbol. 35 input symbols (31 + ``*`` +
``?`` + 2 task cues) x 5 neurons = 175 input neurons, Poisson 200 Hz while their symbol is shown and
2 Hz otherwise. During the six prompt steps the network must output the five symbols in the same
(duplication) or reversed (reversal) order and then ``*``: 32 output classes read at the end of each
500 ms window (the last step of the window; readout low-pass 250 ms). ``success`` = fraction of
episodes with all six outputs right (paper: 95.88 +- 1.39 %; LIF-only 0 %).

:meth:`DuplicationReversal.selectivity_samples` turns a batch's spikes into the eLife selectivity
data set: the spike count of every neuron in one randomly chosen input step per episode, with the
factors Task x Position x Symbol.

Reduced variants (issue 21: the paper's 50,000 iterations of 6 s episodes are GPU-sized) keep the task's
structure with fewer content symbols (``n_content``: the first letters of the alphabet), shorter strings
(``n_symbols_seq``) or shorter steps (``step_duration``); :attr:`DuplicationReversal.variant` names the
departure, and every table, figure and summary that shows the run prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from torch import Tensor

from .base import SteppedTask, TaskBatch, symbol_stream_input, window_means

CONTENT = tuple("abcdefghijklmnopqrstuvwxyz") + tuple("ABCDE")
#: Indices of the non-content symbols in the paper's task (a variant with ``n_content`` symbols puts them at
#: ``n_content`` ... ``n_content + 3``: :attr:`DuplicationReversal.eos`).
EOS, PROMPT, CUE_DUPLICATE, CUE_REVERSE = len(CONTENT), len(CONTENT) + 1, len(CONTENT) + 2, len(CONTENT) + 3
N_INPUT_SYMBOLS = len(CONTENT) + 4
DUPLICATE, REVERSE = 0, 1


@dataclass(frozen=True)
class DuplicationReversal(SteppedTask):
    """Duplication / reversal with the eLife parameters (§8)."""

    n_symbols_seq: int = 5
    step_duration: float = 0.5
    n_content: int = len(CONTENT)
    n_per_symbol: int = 5
    rate_on: float = 200.0
    rate_off: float = 2.0
    name: str = field(default="duplication_reversal", init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 2 <= self.n_content <= len(CONTENT):
            raise ValueError(f"n_content {self.n_content} must be between 2 and {len(CONTENT)} content symbols.")
        if self.n_symbols_seq < 1:
            raise ValueError(f"n_symbols_seq {self.n_symbols_seq} must be at least 1.")

    @property
    def variant(self) -> str:
        """'' for the paper's task (eLife §8); otherwise what this reduced variant changes, e.g.
        ``"reduced: 3-symbol strings of 8 symbols, 250 ms steps"``."""
        paper = DuplicationReversal.__dataclass_fields__
        if all(getattr(self, k) == paper[k].default for k in ("n_symbols_seq", "step_duration", "n_content")):
            return ""
        return (f"reduced: {self.n_symbols_seq}-symbol strings of {self.n_content} symbols, "
                f"{self.step_duration * 1e3:g} ms steps (paper: 5 of 31, 500 ms)")

    @property
    def alphabet(self) -> tuple[str, ...]:
        """The content symbols of this variant (the first ``n_content`` of :data:`CONTENT`)."""
        return CONTENT[: self.n_content]

    @property
    def eos(self) -> int:
        """Index of the end-of-sequence symbol (input and output)."""
        return self.n_content

    @property
    def n_input_symbols(self) -> int:
        """Content symbols + ``*`` + ``?`` + the two task cues."""
        return self.n_content + 4

    @property
    def n_seq_steps(self) -> int:
        """Input symbols + EOS + (input symbols + 1) prompt steps (12 for five symbols)."""
        return 2 * self.n_symbols_seq + 2

    @property
    def n_in(self) -> int:
        return self.n_input_symbols * self.n_per_symbol

    @property
    def n_out(self) -> int:
        return self.n_content + 1

    @property
    def n_steps(self) -> int:
        return self.n_seq_steps * self.step_steps

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:  # noqa: D102
        task = rng.integers(0, 2, batch).astype(np.int8)
        symbols = rng.integers(0, self.n_content, (batch, self.n_symbols_seq)).astype(np.int8)
        return self.episodes(rng, task, symbols)

    def fixed_sequence(self, rng: np.random.Generator, word: str, task: int, n_episodes: int) -> TaskBatch:
        """``n_episodes`` episodes of one sequence ``word`` (e.g. ``"abcde"``, letters of :attr:`alphabet`) and one
        task (:data:`DUPLICATE` or :data:`REVERSE`), differing only in their Poisson input spikes (poster B)."""
        if len(word) != self.n_symbols_seq or any(c not in self.alphabet for c in word):
            raise ValueError(f"the sequence {word!r} must be {self.n_symbols_seq} symbols of {''.join(self.alphabet)!r}.")
        if task not in (DUPLICATE, REVERSE):
            raise ValueError(f"task must be {DUPLICATE} (duplication) or {REVERSE} (reversal); got {task!r}.")
        symbols = np.tile(np.array([self.alphabet.index(c) for c in word], dtype=np.int8), (n_episodes, 1))
        return self.episodes(rng, np.full(n_episodes, task, dtype=np.int8), symbols)

    def episodes(self, rng: np.random.Generator, task: np.ndarray, symbols: np.ndarray) -> TaskBatch:
        """The episodes of the given tasks (B,) and content symbols (B, n_symbols_seq), their input spikes drawn with ``rng``."""
        n, S, L = self.n_symbols_seq, self.n_seq_steps, self.step_steps
        batch = len(task)
        eos, prompt, cue_duplicate, cue_reverse = (self.n_content + k for k in range(4))
        shown = np.zeros((batch, S, self.n_input_symbols), dtype=bool)
        shown[np.arange(batch)[:, None], np.arange(n)[None, :], symbols] = True
        shown[:, n, eos] = True
        shown[:, n + 1 :, prompt] = True
        shown[np.arange(batch), 0, np.where(task == DUPLICATE, cue_duplicate, cue_reverse)] = True
        x = symbol_stream_input(rng, shown, L, self.n_per_symbol, self.rate_on, self.rate_off, self.dt)
        answer = np.where(task[:, None] == DUPLICATE, symbols, symbols[:, ::-1])
        labels = np.full((batch, S), -1, dtype=np.int64)
        labels[:, n + 1 : n + 1 + n] = answer
        labels[:, S - 1] = eos
        ends = (np.arange(S) + 1) * L
        windows = np.stack([ends - 1, ends], axis=1)  # the value at the end of each 500 ms window
        conditions = {"task": task, "symbols": symbols}
        phases = tuple(["input"] * n + ["eos"] + ["output"] * (n + 1))
        return TaskBatch(x, labels, windows, conditions, phases)

    def step_names(self, word: str) -> list[str]:
        """What each step shows for the sequence ``word``: its symbols, ``*``, then ``?`` per prompt step."""
        return list(word) + ["*"] + ["?"] * (self.n_symbols_seq + 1)

    def metrics(self, outputs: Tensor, batch: TaskBatch) -> dict[str, float]:
        """``accuracy`` per output step and ``success``: episodes with every output right."""
        predicted = window_means(outputs.detach(), batch.windows).argmax(-1).cpu().numpy()
        has = batch.labels >= 0
        correct = (predicted == batch.labels) | ~has
        return {"accuracy": float((predicted == batch.labels)[has].mean()), "success": float(correct.all(axis=1).mean())}

    def selectivity_samples(self, spikes: np.ndarray, batch: TaskBatch, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """eLife Fig. 4D data: per episode, the spike count of every neuron in one random input step.

        ``spikes`` (B, T, n) of ``batch``; returns counts (B, n) and factors ``Task`` (duplication /
        reversal), ``Position`` (1-5) and ``Symbol`` (the symbol shown there)."""
        spikes = np.asarray(spikes)
        B, L = batch.n_trials, self.step_steps
        if spikes.shape[:2] != (B, self.n_steps):
            raise ValueError(f"spikes must be (n_trials={B}, T={self.n_steps}, n); got {spikes.shape}.")
        position = rng.integers(0, self.n_symbols_seq, B)
        steps = position[:, None] * L + np.arange(L)[None, :]
        counts = np.take_along_axis(spikes, steps[:, :, None], axis=1).sum(axis=1)
        symbol = batch.conditions["symbols"][np.arange(B), position]
        factors = {"Task": np.where(batch.conditions["task"] == DUPLICATE, "duplication", "reversal"),
                   "Position": position + 1, "Symbol": np.asarray(self.alphabet)[symbol]}
        return counts, factors
