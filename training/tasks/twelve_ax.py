"""12AX (Salaj et al. 2021 eLife, Fig. 3 and Methods; specs §7).

An episode is a stream of 90 symbols from {1, 2, A, B, C, X, Y, Z}, 500 ms each (45 s), made by
concatenating random matches of the grammar

    [12] [ABCXYZ]{1,10} ( (A [CZ]{0,6} X | B [CZ]{0,6} Y) | ([ABC][XYZ]) ){1,2}

(digit, 1-10 random letters, then one or two target-like or distractor pairs) and truncating to 90
symbols. Every random choice is uniform: the digit, the counts in {1..10}, {0..6} and {1, 2}, each
letter in its class, and each alternative of an alternation. The answer to each symbol is ``R`` (1)
when it is an X, the last digit is 1 and the last A or B was an A, or a Y after digit 2 and a last B;
``L`` (0) otherwise (the original code's rule: last digit + last A/B + X/Y in {1AX, 2BY}; the A/B
memory is cleared by each digit, an inference: the paper does not say). Inputs: 5 neurons per
symbol, Poisson 200 Hz while their symbol is shown and 2 Hz otherwise. The readout answers every
500 ms window (window mean -> softmax); ``success`` = fraction of episodes with all 90 answers correct
(the paper's metric: 97.79 +- 0.42 % with BPTT).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .base import SteppedTask, TaskBatch, symbol_stream_input, window_means

SYMBOLS = ("1", "2", "A", "B", "C", "X", "Y", "Z")
L, R = 0, 1


def grammar_sequence(rng: np.random.Generator, n_symbols: int) -> str:
    """``n_symbols`` symbols of concatenated random matches of the 12AX grammar (module docstring)."""
    out: list[str] = []
    while len(out) < n_symbols:
        out.append(rng.choice(["1", "2"]))
        out.extend(rng.choice(list("ABCXYZ"), rng.integers(1, 11)))
        for _ in range(rng.integers(1, 3)):
            if rng.random() < 0.5:  # a target-like pair, possibly with C/Z distractors between
                first, last = ("A", "X") if rng.random() < 0.5 else ("B", "Y")
                out.extend([first, *rng.choice(["C", "Z"], rng.integers(0, 7)), last])
            else:
                out.extend([rng.choice(list("ABC")), rng.choice(list("XYZ"))])
    return "".join(str(s) for s in out[:n_symbols])


def targets(sequence: str) -> np.ndarray:
    """The answer (L = 0, R = 1) to every symbol of ``sequence``."""
    answer = np.zeros(len(sequence), dtype=np.int64)
    digit, last_ab = None, None
    for k, s in enumerate(sequence):
        if s in "12":
            digit, last_ab = s, None
        elif s in "AB":
            last_ab = s
        elif (s, digit, last_ab) in (("X", "1", "A"), ("Y", "2", "B")):
            answer[k] = R
    return answer


@dataclass(frozen=True)
class TwelveAX(SteppedTask):
    """12AX with the eLife parameters (90 symbols of 500 ms, 5 input neurons per symbol)."""

    n_symbols: int = 90
    step_duration: float = 0.5
    n_per_symbol: int = 5
    rate_on: float = 200.0
    rate_off: float = 2.0
    name: str = field(default="12ax", init=False)

    def __post_init__(self) -> None:
        if self.n_symbols < 2:
            raise ValueError(f"12AX needs at least 2 symbols per episode; got {self.n_symbols}.")
        super().__post_init__()

    @property
    def variant(self) -> str:
        """'' for the paper's task (eLife §7); otherwise what this reduced variant changes, e.g.
        ``"reduced: 30 symbols of 200 ms per episode"``."""
        paper = TwelveAX.__dataclass_fields__
        if all(getattr(self, k) == paper[k].default for k in ("n_symbols", "step_duration")):
            return ""
        return f"reduced: {self.n_symbols} symbols of {self.step_duration * 1e3:g} ms per episode (paper: 90 of 500 ms)"

    @property
    def n_in(self) -> int:
        return len(SYMBOLS) * self.n_per_symbol

    @property
    def n_out(self) -> int:
        return 2

    @property
    def n_steps(self) -> int:
        return self.n_symbols * self.step_steps

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:  # noqa: D102
        sequences = [grammar_sequence(rng, self.n_symbols) for _ in range(batch)]
        codes = np.array([[SYMBOLS.index(s) for s in seq] for seq in sequences], dtype=np.int8)
        labels = np.stack([targets(seq) for seq in sequences])
        shown = codes[:, :, None] == np.arange(len(SYMBOLS))[None, None, :]  # (B, S, symbols)
        x = symbol_stream_input(rng, shown, self.step_steps, self.n_per_symbol, self.rate_on, self.rate_off, self.dt)
        starts = np.arange(self.n_symbols) * self.step_steps
        windows = np.stack([starts, starts + self.step_steps], axis=1)
        return TaskBatch(x, labels, windows, {"symbols": codes, "targets": labels.astype(np.int8)}, tuple(["symbol"] * self.n_symbols))

    def metrics(self, outputs, batch: TaskBatch) -> dict[str, float]:
        """``accuracy`` per symbol and ``success``: episodes with every answer correct."""
        predicted = window_means(outputs.detach(), batch.windows).argmax(-1).cpu().numpy()
        correct = predicted == batch.labels
        return {"accuracy": float(correct.mean()), "success": float(correct.all(axis=1).mean())}
