"""Non-spiking baselines of the eLife comparisons: LSTM and tanh-RNN networks with as many trainable
parameters as the LSNN they are compared with.

The LSNN of a configuration has ``n_in n + n^2 + n n_out + n_out`` parameters (input, recurrent and
readout weights, readout bias). A baseline gets the hidden size ``h`` whose parameter count
(``torch.nn.LSTM`` / ``torch.nn.RNN`` with biases, plus a linear readout) comes closest to it. It
reads the same inputs at the same 1 ms steps and answers through a linear readout at every step, so
the tasks' window losses and metrics apply unchanged; it returns no spikes.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .model import LSNNOutput

KINDS = ("lstm", "rnn")


def lsnn_parameter_count(n_in: int, n_rec: int, n_out: int) -> int:
    """Trainable parameters of a fully connected LSNN: W_in, W_rec, W_out and b_out."""
    return n_in * n_rec + n_rec * n_rec + n_rec * n_out + n_out


def baseline_parameter_count(kind: str, n_in: int, n_hidden: int, n_out: int) -> int:
    """Parameters of an LSTM (4 gates) or tanh-RNN with both bias vectors, plus a linear readout."""
    gates = {"lstm": 4, "rnn": 1}[kind]
    return gates * (n_hidden * (n_in + n_hidden) + 2 * n_hidden) + n_hidden * n_out + n_out


def matched_hidden_size(kind: str, n_in: int, n_out: int, target: int) -> int:
    """The hidden size whose parameter count is closest to ``target``."""
    if kind not in KINDS:
        raise ValueError(f"baseline kind must be one of {KINDS}; got {kind!r}.")
    return min(range(1, 4096), key=lambda h: abs(baseline_parameter_count(kind, n_in, h, n_out) - target))


class ANNBaseline(nn.Module):
    """An LSTM or tanh-RNN with a linear readout at every step; ``forward`` returns an
    :class:`~lsnn.training.model.LSNNOutput` with ``outputs`` only (no spikes, potentials or thresholds)."""

    def __init__(self, kind: str, n_in: int, n_hidden: int, n_out: int, dt: float = 1e-3, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"baseline kind must be one of {KINDS}; got {kind!r}.")
        self.kind, self.dt = kind, dt
        cell = nn.LSTM if kind == "lstm" else nn.RNN
        self.recurrent = cell(n_in, n_hidden, batch_first=True, dtype=dtype)
        self.readout = nn.Linear(n_hidden, n_out, dtype=dtype)

    @classmethod
    def matched(cls, kind: str, n_in: int, n_rec: int, n_out: int, **kwargs) -> "ANNBaseline":
        """The baseline with about the parameter count of an ``n_rec``-neuron LSNN."""
        target = lsnn_parameter_count(n_in, n_rec, n_out)
        return cls(kind, n_in, matched_hidden_size(kind, n_in, n_out, target), n_out, **kwargs)

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, x: Tensor, i_ext: Tensor | None = None, record_state: bool = False, record_spikes: bool = True) -> LSNNOutput:
        """``x`` (B, T, n_in) -> outputs (B, T, n_out). ``i_ext`` is not supported (no membrane); there are no
        spikes (``spikes`` and ``spike_counts`` are None)."""
        if i_ext is not None:
            raise ValueError("ANN baselines take no injected current (i_ext).")
        x = torch.as_tensor(x, dtype=self.readout.weight.dtype)
        if x.ndim != 3 or not torch.isfinite(x).all():
            raise ValueError(f"x must be a finite (batch, T, n_in) array; got shape {tuple(x.shape)}.")
        hidden, _ = self.recurrent(x)
        return LSNNOutput(None, self.readout(hidden), None, None)
