"""Input and output coding of the meta-RL agent (NeurIPS supplement section 6, "Input encoding",
"Output decoding").

Input (160 channels): each coordinate xi in [-1, 1] of the position by 40 neurons with preferred values
xi_i evenly spaced in [-1, 1] firing at ``r_max exp(-100 (xi_i - xi)^2)`` (r_max = 500 Hz; one Bernoulli
draw per 1 ms step with probability rate x dt), then two groups of 40 neurons that all spike together
in the step after a reward of +1 (goal) and after -0.02 (wall).

Output (five readouts y_1..y_5): the action a = (a_x, a_y) is drawn from a Gaussian with means
``tanh(y_1), tanh(y_2)`` and variances ``sigmoid(y_3), sigmoid(y_4)``; y_5 is the value V(t), the
predicted discounted return.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

N_PER_COORDINATE = 40
N_PER_REWARD = 40
N_INPUTS = 2 * N_PER_COORDINATE + 2 * N_PER_REWARD
N_READOUTS = 5
RATE_MAX = 500.0
TUNING_WIDTH = 100.0  # the 100 of exp(-100 (xi_i - xi)^2)
PREFERRED = np.linspace(-1.0, 1.0, N_PER_COORDINATE)


def position_rates(positions: np.ndarray) -> np.ndarray:
    """Rates (Hz) of the 80 position neurons for positions (K, 2): x neurons first, then y."""
    positions = np.asarray(positions, dtype=np.float64)
    tuning = np.exp(-TUNING_WIDTH * (PREFERRED[None, None, :] - positions[:, :, None]) ** 2)  # (K, 2, 40)
    return RATE_MAX * tuning.reshape(len(positions), 2 * N_PER_COORDINATE)


def encode(rng: np.random.Generator, positions: np.ndarray, last_rewards: np.ndarray, dt: float) -> np.ndarray:
    """One step of input spikes (K, 160) for positions (K, 2) and the rewards of the last step (K,)."""
    spikes = np.zeros((len(positions), N_INPUTS))
    spikes[:, : 2 * N_PER_COORDINATE] = rng.uniform(size=(len(positions), 2 * N_PER_COORDINATE)) < position_rates(positions) * dt
    spikes[last_rewards > 0, 2 * N_PER_COORDINATE : 2 * N_PER_COORDINATE + N_PER_REWARD] = 1.0
    spikes[last_rewards < 0, 2 * N_PER_COORDINATE + N_PER_REWARD :] = 1.0
    return spikes


def policy(readouts: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Means (..., 2), variances (..., 2) and value (...) from the readouts (..., 5)."""
    return torch.tanh(readouts[..., 0:2]), torch.sigmoid(readouts[..., 2:4]), readouts[..., 4]


def log_probability(actions: Tensor, means: Tensor, variances: Tensor) -> Tensor:
    """log pi(a) of actions (..., 2) under independent Gaussians, summed over the two coordinates."""
    return (-0.5 * (actions - means) ** 2 / variances - 0.5 * torch.log(2 * math.pi * variances)).sum(-1)


def entropy(variances: Tensor) -> Tensor:
    """Entropy of the Gaussian policy (...): sum over the coordinates of 0.5 log(2 pi e phi)."""
    return (0.5 * torch.log(2 * math.pi * math.e * variances)).sum(-1)
