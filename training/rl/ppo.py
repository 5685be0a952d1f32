"""Proximal policy optimisation as the NeurIPS supplement uses it (section 6, eqs. 8-9; Schulman et al. 2017).

For K episodes of T steps generated with the parameters theta_old::

    L(theta) = -1/(KT) sum_{k,t} O_PPO(theta_old, theta, t, k) + mu_v (R(t, k) - V_theta(t, k))^2
               - mu_e H(pi_theta(k, t)) + mu_firing 1/n sum_j (1/(KT) sum_{k,t} z_j(t, k) - f0)^2

with the clipped surrogate ``O_PPO = min(r A, clip(r, 1 - eps, 1 + eps) A)``, the probability ratio
``r = pi_theta(a) / pi_theta_old(a)``, the advantage ``A = R - V_theta_old`` and the discounted return
``R(t) = sum_{t' >= t} eta^(t' - t) r(t')`` (eta = 0.99; r(t') the reward that followed the action of step
t'). The value and entropy terms are averaged over k and t like the surrogate. Rates in spikes per step
(f0 = 10 Hz x dt).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.signal import lfilter
from torch import Tensor


@dataclass(frozen=True)
class PPOSettings:
    """The supplement's values: eps 0.2, mu_v 1, mu_e 1e-3, mu_firing 100, f0 10 Hz, eta 0.99."""

    clip: float = 0.2
    value_coefficient: float = 1.0
    entropy_coefficient: float = 1e-3
    rate_coefficient: float = 100.0
    rate_target_hz: float = 10.0
    discount: float = 0.99


def discounted_returns(rewards: np.ndarray, discount: float) -> np.ndarray:
    """``R(t) = sum_{t' >= t} discount^(t' - t) r(t')`` along the last axis (no bootstrap after the end).

    >>> discounted_returns(np.array([[0.0, 0.0, 1.0]]), 0.5).tolist()
    [[0.25, 0.5, 1.0]]
    """
    rewards = np.asarray(rewards, dtype=np.float64)
    return lfilter([1.0], [1.0, -discount], rewards[..., ::-1], axis=-1)[..., ::-1].copy()


def clipped_surrogate(log_prob: Tensor, old_log_prob: Tensor, advantages: Tensor, clip: float) -> Tensor:
    """``min(r A, clip(r, 1 - clip, 1 + clip) A)`` per step, ``r = exp(log_prob - old_log_prob)``."""
    ratio = torch.exp(log_prob - old_log_prob)
    return torch.minimum(ratio * advantages, torch.clamp(ratio, 1 - clip, 1 + clip) * advantages)


def ppo_loss(log_prob: Tensor, old_log_prob: Tensor, advantages: Tensor, values: Tensor, returns: Tensor, entropy: Tensor,
             settings: PPOSettings, spikes: Tensor | None = None, dt: float = 1e-3) -> tuple[Tensor, dict[str, float]]:
    """Eqs. 8-9 of the supplement: the loss and its terms (means over episodes and steps; see module
    docstring). ``spikes`` (K, T, n) adds the firing-rate term; None leaves it out (a non-spiking policy)."""
    surrogate = clipped_surrogate(log_prob, old_log_prob, advantages, settings.clip).mean()
    value_error = ((returns - values) ** 2).mean()
    mean_entropy = entropy.mean()
    loss = -surrogate + settings.value_coefficient * value_error - settings.entropy_coefficient * mean_entropy
    terms = {"surrogate": surrogate.item(), "value_error": value_error.item(), "entropy": mean_entropy.item()}
    if spikes is not None:
        rate_error = ((spikes.mean(dim=(0, 1)) - settings.rate_target_hz * dt) ** 2).mean()
        loss = loss + settings.rate_coefficient * rate_error
        terms["rate_error"] = rate_error.item()
    with torch.no_grad():
        ratio = torch.exp(log_prob - old_log_prob)
        terms["clipped_fraction"] = float(((ratio - 1).abs() > settings.clip).to(torch.float64).mean())
    terms["loss"] = loss.item()
    return loss, terms
