"""Losses and regularisers of the two papers, as plain functions of tensors.

Firing-rate regulariser (eLife Methods "Regularization"; NeurIPS suppl. "firing rate regularization")::

    L_rate = sum_j (r_j - r0)^2,   r_j = mean over trials and steps of z_j(t)

with rates in spikes per step (kHz at dt = 1 ms, as in the original code: 10 Hz -> 0.01), scaled by a
coefficient in the trainer (0.001 in the eLife text for STORE-RECALL, 50 for delayed XOR, 0.1 for
sMNIST). The window cross-entropy lives with the tasks (:mod:`lsnn.training.tasks.base`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.nn import functional as F


def firing_rates(spikes: Tensor, dt: float) -> Tensor:
    """Per-neuron rates in Hz of ``spikes`` (B, T, n): mean over trials and steps divided by dt."""
    return spikes.mean(dim=(0, 1)) / dt


def firing_rate_loss(spikes: Tensor, target_rate: float, dt: float) -> Tensor:
    """``sum_j (r_j - r0)^2`` with r_j, r0 in spikes per step (r0 = target_rate [Hz] * dt)."""
    return rate_deviation_loss(spikes.mean(dim=(0, 1)), target_rate, dt)


def rate_deviation_loss(rates: Tensor, target_rate: float, dt: float) -> Tensor:
    """``sum_j (r_j - r0)^2`` of given per-neuron rates r_j in spikes per step (e.g. averaged over data-parallel ranks)."""
    return ((rates - target_rate * dt) ** 2).sum()


def mse_loss(outputs: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
    """Mean squared error over the entries where ``mask`` (bool, broadcastable) is true."""
    err = (outputs - targets) ** 2
    if mask is None:
        return err.mean()
    mask = mask.expand_as(err)
    return err[mask].mean()


def bit_cross_entropy(logits: Tensor, bits: Tensor) -> Tensor:
    """Sigmoid cross-entropy of independent bits (20-D STORE-RECALL readouts; eLife §3)."""
    return F.binary_cross_entropy_with_logits(logits, bits.to(logits.dtype))


def bit_entropy(logits: Tensor) -> Tensor:
    """Mean entropy of the sigmoid outputs (the eLife 20-D loss adds 0.3 x this term)."""
    p = torch.sigmoid(logits)
    return F.binary_cross_entropy_with_logits(logits, p)


def step_decay(iteration: int, *, every: int, factor: float, ramp: int = 0, ramp_start: float = 1e-3) -> float:
    """Learning-rate multiplier: ``factor ** (iteration // every)``, after an optional linear ramp.

    The ramp goes from ``ramp_start`` to 1 over the first ``ramp`` iterations (eLife: lr 1e-5 -> 0.01
    over 200 iterations for 20-D STORE-RECALL, i.e. ramp_start = 1e-3). Use with
    ``torch.optim.lr_scheduler.LambdaLR``.
    """
    warm = 1.0 if ramp <= 0 or iteration >= ramp else ramp_start + (1 - ramp_start) * iteration / ramp
    return warm * math.pow(factor, iteration // max(every, 1))
