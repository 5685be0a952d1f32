"""Sequential MNIST (Bellec et al. 2018, NeurIPS, section 4 and suppl. "MNIST setup"; eLife Fig. 2C).

The 784 pixels of a digit are shown one after another, row by row, for ``ms_per_pixel`` steps each
(1 or 2 ms), followed by a cue period of 56 pixel steps in which an extra input neuron fires at every
step and the network must answer. Ten readouts; the logits are their mean over the last 28 steps (the
original code's ``tf_downsample(out, 30)[:, -1]``); softmax cross-entropy; accuracy on the 10,000 test
digits (held out in order, :meth:`SequentialMNIST.held_out_batches`).

Two input encodings of 80 neurons:

* ``threshold`` (the SNN results of Fig. 1B): 39 grey-value levels (41 equally spaced in [0, 1] without
  0 and 1), each with an "up" neuron that fires at a pixel whose value reached the level from below at
  the previous pixel and a "down" neuron for crossings downwards; a "touch" neuron that fires at pixels of
  value 1; the cue neuron. (The original code places a crossing's spike on the earlier of the two pixels
  and keeps two silent channels at level 0; here the spike is at the pixel reached, as the paper
  describes, and every channel carries information.)
* ``population`` (Fig. 1D top): 79 neurons fire independently with probability equal to the grey value
  of the current pixel (0..1) at each of its steps; the cue neuron.

With 2 ms per pixel, crossing spikes mark the first step of the pixel reached, population spikes are
drawn at both steps, and the cue period lasts 112 steps.

The non-spiking baselines (LSTM, tanh RNN) read the grey values directly (``grey``: one analog channel,
0 during the cue period), as in the paper ("The grey values of pixels were given directly to artificial
neural networks"); with 128 units this gives the paper's parameter counts up to the second bias vector of
PyTorch's cells (LSTM 67,850 + 512, RNN 17,930 + 128).

``readout_steps`` = 28 is the original code's readout; the paper's text says "averaging the readout
output over the 56 time steps following the presentation of the digit" (``readout_steps=56``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ..datasets import load_mnist
from .base import Task, TaskBatch

ENCODINGS = ("threshold", "population", "grey")
N_PIXELS, N_CUE_PIXELS, N_ANSWER_STEPS, N_INPUTS = 784, 56, 28, 80
#: Grey levels of the threshold-crossing code: 41 equally spaced in [0, 1], without 0 and 1.
LEVELS = np.linspace(0.0, 1.0, 41)[1:-1]


def threshold_crossing_events(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, 784) grey values in [0, 1] -> the spikes of the threshold-crossing code as ``(trial, pixel, channel)``
    index arrays: up/down crossings of the 39 levels (channels 2k, 2k + 1) and the touch channel (78), module
    docstring. With c(g) the number of levels <= g, a pixel whose value went from ``prev`` to ``g`` crosses the
    levels c(prev) .. c(g) - 1 upwards (g > prev) or c(g) .. c(prev) - 1 downwards: only the pixels where c
    changes (a few per row) are visited."""
    B = images.shape[0]
    prev = np.concatenate([np.zeros((B, 1)), images[:, :-1]], axis=1)  # the pixel before; 0 before the first
    c_now = np.searchsorted(LEVELS, images, side="right")
    c_prev = np.searchsorted(LEVELS, prev, side="right")
    trial, pixel = np.nonzero(c_now != c_prev)
    lo = np.minimum(c_now, c_prev)[trial, pixel]
    count = np.abs(c_now - c_prev)[trial, pixel]
    down = (c_now < c_prev)[trial, pixel]
    # one event per crossed level: level lo + 0, 1, ..., count - 1 of each changed pixel
    first = np.repeat(np.cumsum(count) - count, count)
    level = np.repeat(lo, count) + np.arange(int(count.sum())) - first
    touch_trial, touch_pixel = np.nonzero(images >= 1.0)
    return (np.concatenate([np.repeat(trial, count), touch_trial]), np.concatenate([np.repeat(pixel, count), touch_pixel]),
            np.concatenate([2 * level + np.repeat(down, count), np.full(len(touch_trial), 2 * len(LEVELS))]))


def threshold_crossing_spikes(images: np.ndarray, ms_per_pixel: int = 1) -> np.ndarray:
    """(B, 784) grey values in [0, 1] -> (B, 784 * ms_per_pixel, 79) spikes of the threshold-crossing code
    (:func:`threshold_crossing_events`); with 2 ms per pixel the spike is at the first step of the pixel."""
    spikes = np.zeros((images.shape[0], N_PIXELS * ms_per_pixel, 2 * len(LEVELS) + 1), dtype=np.float32)
    trial, pixel, channel = threshold_crossing_events(images)
    spikes[trial, pixel * ms_per_pixel, channel] = 1.0
    return spikes


@dataclass(frozen=True)
class SequentialMNIST(Task):
    """Sequential MNIST: pixels one by one, a cue period, ten readouts (module docstring)."""

    encoding: str = "threshold"
    ms_per_pixel: int = 1
    readout_steps: int = N_ANSWER_STEPS  # the last steps of the cue period whose mean readout are the logits
    data_dir: str = ""  # "": $LSNN_MNIST_DIR or ../shared/data/mnist (lsnn.training.datasets)
    check_files: bool = True  # MD5 of the canonical files (off for small fixtures in the same format)
    name: str = field(default="smnist", init=False)
    input_kind: str = field(default="spike", init=False)

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {ENCODINGS}; got {self.encoding!r}.")
        if self.ms_per_pixel not in (1, 2):
            raise ValueError(f"ms_per_pixel must be 1 or 2 (the paper's two setups); got {self.ms_per_pixel!r}.")
        if not isinstance(self.readout_steps, int) or not 1 <= self.readout_steps <= N_CUE_PIXELS * self.ms_per_pixel:
            raise ValueError(f"readout_steps must be a whole number from 1 to the {N_CUE_PIXELS * self.ms_per_pixel} cue steps; "
                             f"got {self.readout_steps!r}.")
        object.__setattr__(self, "input_kind", "analog" if self.encoding == "grey" else "spike")

    @property
    def data(self):
        return load_mnist(self.data_dir or None, self.check_files)

    @property
    def n_in(self) -> int:
        return 1 if self.encoding == "grey" else N_INPUTS

    @property
    def n_out(self) -> int:
        return 10

    @property
    def n_steps(self) -> int:
        return (N_PIXELS + N_CUE_PIXELS) * self.ms_per_pixel

    @property
    def answer_window(self) -> np.ndarray:
        """The one readout window: the last ``readout_steps`` steps of the cue period."""
        return np.array([[self.n_steps - self.readout_steps, self.n_steps]])

    def encode(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """(B, 28, 28) uint8 digits -> (B, n_steps, n_in) inputs: 80 spike channels, or the grey value (module docstring)."""
        grey = images.reshape(len(images), N_PIXELS).astype(np.float64) / 255.0
        B, m = len(images), self.ms_per_pixel
        x = np.zeros((B, self.n_steps, self.n_in), dtype=np.float32)
        if self.encoding == "grey":
            x[:, : N_PIXELS * m, 0] = np.repeat(grey, m, axis=1)
            return x
        if self.encoding == "threshold":
            trial, pixel, channel = threshold_crossing_events(grey)
            x[trial, pixel * m, channel] = 1.0
        else:
            p = np.repeat(grey, m, axis=1)[:, :, None]
            x[:, : N_PIXELS * m, :-1] = rng.random((B, N_PIXELS * m, N_INPUTS - 1), dtype=np.float32) < p
        x[:, N_PIXELS * m:, -1] = 1.0  # the cue neuron fires throughout the cue period
        return x

    def _batch(self, images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, index: np.ndarray) -> TaskBatch:
        return TaskBatch(self.encode(images, rng), labels.astype(np.int64)[:, None], self.answer_window,
                         {"label": labels.astype(np.int64), "digit_index": index.astype(np.int64)}, ("answer",))

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:
        """``batch`` training digits drawn uniformly (with replacement across batches)."""
        data = self.data
        index = rng.integers(0, len(data.train_labels), batch)
        return self._batch(data.train_images[index], data.train_labels[index], rng, index)

    def held_out_batches(self, n_test: int, batch_size: int, seed: int) -> Iterator[TaskBatch]:
        """The test digits in their order (0, 1, ..., cycling past 10,000), in batches; a population code
        draws its spikes from ``default_rng([seed, 2])``."""
        data = self.data
        rng = np.random.default_rng([seed, 2])
        n_all = len(data.test_labels)
        start = 0
        while True:
            size = min(batch_size, n_test - start) if start < n_test else batch_size
            index = np.arange(start, start + size) % n_all
            yield self._batch(data.test_images[index], data.test_labels[index], rng, index)
            start += size
