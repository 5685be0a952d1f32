"""Gaussian current noise injected into every recurrent neuron (eLife §7, the 12AX noise test: "Gaussian
current added to I_j each ms", sigma 0.05-0.5).

The noise enters as the injected current ``i_ext`` (volts, the units of R_m I), so in the membrane update
of DESIGN.md's map it is scaled by (1 - alpha) like every other input current. Its standard deviation is
``sigma`` volts per time step, independent across neurons, steps and trials.

* In training, iteration ``it`` of seed ``s`` draws its noise from its own stream (so a resumed run sees
  the same noise as an uninterrupted one).
* On the held-out set, trial ``k`` has its own stream keyed by the run's ``test_seed`` and ``k``: the
  PyTorch evaluation, the re-simulations and Brian2's validation all see the same noise, whatever their
  batch sizes, and Brian2's rasters can be compared spike for spike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # torch only where training needs it: Brian2's torch-free validation imports this module
    import torch

#: Stream tag that keeps the noise apart from every other random draw keyed by the same seed.
NOISE_STREAM = 0x6E6F6973


def training_noise(sigma: float, shape: tuple[int, int, int], seed: int, iteration: int, dtype: "torch.dtype") -> "torch.Tensor | None":
    """Noise current (batch, T, n_rec) of training iteration ``iteration``; None when ``sigma`` is 0."""
    if sigma == 0:
        return None
    import torch

    state = int(np.random.SeedSequence([int(seed), NOISE_STREAM, int(iteration)]).generate_state(1, np.uint64)[0])
    return sigma * torch.randn(shape, generator=torch.Generator().manual_seed(state), dtype=dtype)


def held_out_noise(sigma: float, test_seed: int, first_trial: int, n_trials: int, n_steps: int, n_rec: int) -> np.ndarray | None:
    """Noise current (n_trials, n_steps, n_rec) of held-out trials ``first_trial ..``; None when ``sigma`` is 0."""
    if sigma == 0:
        return None
    out = np.empty((n_trials, n_steps, n_rec))
    for k in range(n_trials):
        out[k] = np.random.default_rng([int(test_seed), NOISE_STREAM, first_trial + k]).standard_normal((n_steps, n_rec))
    return sigma * out
