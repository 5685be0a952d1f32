"""20-dimensional STORE-RECALL with generalisation to unseen words (Salaj et al. 2021 eLife, Fig. 2A;
task specs §3).

Sequences of ``n_steps_seq`` = 10 steps of 200 ms. Every step shows a 20-bit word (distractors),
except RECALL steps, where the bit populations are silent; each step carries a STORE or RECALL
command with probability 0.2, STORE and RECALL alternating (delays 200-1600 ms). 88 input neurons,
2 per channel: STORE, RECALL, the 20 bits and the 20 inverted bits (a bit of value 1 drives its bit
channel, a 0 its inverted channel), Poisson 400 Hz when active. At a RECALL step 20 sigmoid readouts
(value at the middle ms of the step of the 20 ms low-pass output) must give the word of the most
recent STORE; the loss is the per-bit sigmoid cross-entropy plus 0.3 x the mean output entropy on
RECALL steps; the metric ``accuracy`` counts whole words (all 20 bits), ``bit_accuracy`` single bits.

Generalisation: the test set draws words from a fixed dictionary of 20 words with at most 4 active
bits and pairwise Hamming distance >= 5 (``dictionary_seed``); every training batch draws from a
fresh dictionary of 40 random non-zero words, each at Hamming distance >= 5 from every test word.
So no test word is ever seen in training.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from ..regularizers import bit_cross_entropy, bit_entropy
from .base import SteppedTask, TaskBatch, poisson_spikes, window_means
from .store_recall import RECALL, STORE, alternating_commands


def _hamming(words: np.ndarray, word: np.ndarray) -> np.ndarray:
    return np.count_nonzero(words != word, axis=-1)


@lru_cache(maxsize=8)
def test_dictionary(n_words: int, n_bits: int, min_hamming: int, max_active: int, seed: int) -> np.ndarray:
    """``n_words`` distinct words with at most ``max_active`` active bits, pairwise Hamming >= ``min_hamming``."""
    rng = np.random.default_rng(seed)
    words: list[np.ndarray] = []
    for _ in range(100_000):
        word = (rng.random(n_bits) < max_active / n_bits).astype(np.int8)
        if 0 < word.sum() <= max_active and all(_hamming(w, word) >= min_hamming for w in words):
            words.append(word)
            if len(words) == n_words:
                return np.stack(words)
    raise ValueError(f"could not find {n_words} words with <= {max_active} active bits at Hamming >= {min_hamming}.")


def training_dictionary(rng: np.random.Generator, n_words: int, test_words: np.ndarray, min_hamming: int) -> np.ndarray:
    """``n_words`` random non-zero words, each at Hamming >= ``min_hamming`` from every test word."""
    out = np.empty((0, test_words.shape[1]), dtype=np.int8)
    while len(out) < n_words:
        cand = rng.integers(0, 2, (4 * n_words, test_words.shape[1])).astype(np.int8)
        far = (np.count_nonzero(cand[:, None, :] != test_words[None], axis=-1) >= min_hamming).all(axis=1)
        out = np.concatenate([out, cand[far & (cand.sum(axis=1) > 0)]])
    return out[:n_words]


@dataclass(frozen=True)
class StoreRecall20D(SteppedTask):
    """20-D STORE-RECALL; parameters of the eLife specs (§3)."""

    n_bits: int = 20
    n_steps_seq: int = 10
    step_duration: float = 0.2
    p_command: float = 0.2
    n_per_channel: int = 2
    rate: float = 400.0
    n_test_words: int = 20
    n_train_words: int = 40
    min_hamming: int = 5
    max_test_active: int = 4
    dictionary_seed: int = 20
    entropy_coefficient: float = 0.3
    split: str = "train"
    name: str = field(default="store_recall_20d", init=False)

    def __post_init__(self) -> None:
        if self.split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test'; got {self.split!r}.")
        super().__post_init__()

    @property
    def n_in(self) -> int:
        return (4 + 2 * self.n_bits) * self.n_per_channel  # channels: 2 STORE, 2 RECALL, bits, inverted bits

    @property
    def n_out(self) -> int:
        return self.n_bits

    @property
    def n_steps(self) -> int:
        return self.n_steps_seq * self.step_steps

    def held_out(self) -> "StoreRecall20D":
        return replace(self, split="test")

    def test_words(self) -> np.ndarray:
        return test_dictionary(self.n_test_words, self.n_bits, self.min_hamming, self.max_test_active, self.dictionary_seed)

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:  # noqa: D102
        test_words = self.test_words()
        dictionary = test_words if self.split == "test" else training_dictionary(rng, self.n_train_words, test_words, self.min_hamming)
        cmd = alternating_commands(rng, batch, self.n_steps_seq, self.p_command)
        word_index = rng.integers(0, len(dictionary), cmd.shape)
        words = dictionary[word_index]  # (B, S, n_bits)
        shown = cmd != RECALL
        last_store = np.maximum.accumulate(np.where(cmd == STORE, np.arange(self.n_steps_seq), -1), axis=1)
        target = np.take_along_axis(words, np.maximum(last_store, 0)[:, :, None], axis=1)
        recall = cmd == RECALL
        # channels per step: 2 x STORE, 2 x RECALL, bits == 1, bits == 0 (bit populations silent at RECALL)
        store = np.repeat((cmd == STORE)[..., None], 2, axis=-1)
        channels = np.concatenate([store, np.repeat(recall[..., None], 2, axis=-1), (words == 1) & shown[..., None],
                                   (words == 0) & shown[..., None]], axis=-1)
        active = np.repeat(np.repeat(channels, self.step_steps, axis=1), self.n_per_channel, axis=2)
        x = poisson_spikes(rng, active, self.rate, self.dt)
        L = self.step_steps
        middle = np.arange(self.n_steps_seq) * L + L // 2
        windows = np.stack([middle, middle + 1], axis=1)
        labels = np.where(recall, 0, -1).astype(np.int64)  # class labels unused: targets are the bits below
        conditions = {
            "command": cmd,
            "target_bits": np.where(recall[..., None], target, 0).astype(np.int8),
            "word_shown": np.where(shown, word_index, -1).astype(np.int16),
            "recall_delay": np.where(recall, np.arange(self.n_steps_seq) - last_store, 0) * self.step_duration,
        }
        return TaskBatch(x, labels, windows, conditions, tuple(f"step{k}" for k in range(self.n_steps_seq)))

    def _recall_logits(self, outputs: Tensor, batch: TaskBatch) -> tuple[Tensor, Tensor]:
        logits = window_means(outputs, batch.windows)  # (B, S, n_bits)
        mask = batch.labels >= 0
        bits = np.asarray(batch.conditions["target_bits"])[mask]
        return logits[torch.as_tensor(mask, device=outputs.device)], torch.as_tensor(bits, device=outputs.device)

    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        """Per-bit sigmoid cross-entropy + ``entropy_coefficient`` x mean output entropy, RECALL steps."""
        logits, bits = self._recall_logits(outputs, batch)
        return bit_cross_entropy(logits, bits) + self.entropy_coefficient * bit_entropy(logits)

    def metrics(self, outputs: Tensor, batch: TaskBatch) -> dict[str, float]:
        """``accuracy``: words with all bits right; ``bit_accuracy``: single bits (RECALL steps)."""
        logits, bits = self._recall_logits(outputs.detach(), batch)
        correct = (logits > 0).to(bits.dtype) == bits
        return {"accuracy": float(correct.all(dim=-1).double().mean()), "bit_accuracy": float(correct.double().mean())}
