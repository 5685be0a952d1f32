"""Learning-to-learn from a teacher (Bellec et al. 2018, NeurIPS §5 and supplement "Learning to learn").

Every episode draws a new function from a family, and the network sees ``n_steps_seq`` steps of
``step_duration`` (500 x 20 ms): in step k the input x_k and the target of the *previous* step
C(x_{k-1}) (0 in the first step); its answer for step k is the mean over the step of a readout that sees
each neuron's spikes without filtering (the supplement's "number of spikes divided by 20" per neuron,
weighted by trained readout weights). The loss is the mean squared error over all steps of all episodes.

Families:

* ``l2l_target_nets`` (Fig. 2B): target networks (TN) 2-10-1 of sigmoidal neurons with weights and
  biases U[-1, 1]; inputs x in [-1, 1]^2; each TN's output is scaled to [0, 1] by its minimum and
  maximum over a 101 x 101 grid of the input square (the issue's "outputs scaled to [0, 1]").
* ``l2l_sines`` (Fig. 2I): A sin(phi + x), A ~ U[0.1, 5], phi ~ U[0, pi], x ~ U[-5, 5].

Input coding (supplement "Input encoding"): every input component and the previous target is coded by
``n_per_dim`` (100) Poisson neurons with Gaussian tuning, preferred values m_i evenly spaced over the
component's range, peak rate 200 Hz: r_i = 200 exp(-(m_i - z)^2 / (2 sigma^2)). Departure: sigma is the
spacing of the preferred values, (max - min) / (n_per_dim - 1); the printed sigma = (max - min) / 1000 leaves
most values between two neurons with no input at all (the nearest neuron would fire at 200 e^-12.8 Hz).

Conditions per episode: the targets (``target``, (B, S)), the inputs (``x``, (B, S, d)) and the
function's parameters (``params``), for the baselines and figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from .base import SteppedTask, TaskBatch, window_means

#: Hidden units of the target networks.
TN_HIDDEN = 10
#: Points per axis of the grid on which a TN's output is scaled to [0, 1].
TN_GRID = 101


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def target_network_params(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """``n`` target networks: W1 (n, 10, 2), b1 (n, 10), w2 (n, 10), b2 (n,), all U[-1, 1], and the
    minimum and maximum of each one's output over the input grid (for the scaling to [0, 1])."""
    p = {"W1": rng.uniform(-1, 1, (n, TN_HIDDEN, 2)), "b1": rng.uniform(-1, 1, (n, TN_HIDDEN)),
         "w2": rng.uniform(-1, 1, (n, TN_HIDDEN)), "b2": rng.uniform(-1, 1, n)}
    axis = np.linspace(-1, 1, TN_GRID)
    grid = np.stack(np.meshgrid(axis, axis, indexing="ij"), -1).reshape(-1, 2)
    raw = _raw_target_network(p, np.broadcast_to(grid, (n, *grid.shape)))
    p["lo"], p["hi"] = raw.min(axis=1), raw.max(axis=1)
    return p


def _raw_target_network(p: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    hidden = _sigmoid(np.einsum("nhd,nsd->nsh", p["W1"], x) + p["b1"][:, None, :])
    return _sigmoid(np.einsum("nh,nsh->ns", p["w2"], hidden) + p["b2"][:, None])


def target_network(p: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Outputs (n, S) in [0, 1] of the target networks ``p`` at inputs ``x`` (n, S, 2) in [-1, 1]^2."""
    span = np.maximum(p["hi"] - p["lo"], 1e-12)
    return (_raw_target_network(p, x) - p["lo"][:, None]) / span[:, None]


def gaussian_population_rates(values: np.ndarray, lo: float, hi: float, n: int, peak: float) -> np.ndarray:
    """Rates (Hz) of ``n`` Gaussian-tuned neurons with preferred values evenly spaced in [lo, hi] (module
    docstring) for ``values`` (any shape) -> (*values.shape, n)."""
    preferred = np.linspace(lo, hi, n)
    sigma = (hi - lo) / (n - 1)
    return peak * np.exp(-((preferred - values[..., None]) ** 2) / (2 * sigma**2))


@dataclass(frozen=True)
class L2LRegression(SteppedTask):
    """Base of the two families (module docstring); subclasses set the input and target ranges."""

    n_steps_seq: int = 500
    step_duration: float = 0.02
    n_per_dim: int = 100
    rate: float = 200.0

    x_range: tuple[float, float] = field(default=(-1.0, 1.0), init=False)
    target_range: tuple[float, float] = field(default=(0.0, 1.0), init=False)
    n_dims: int = field(default=2, init=False)

    @property
    def n_in(self) -> int:
        return (self.n_dims + 1) * self.n_per_dim

    @property
    def n_out(self) -> int:
        return 1

    @property
    def n_steps(self) -> int:
        return self.n_steps_seq * self.step_steps

    def functions(self, rng: np.random.Generator, batch: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """Draw ``batch`` functions and their inputs: (parameters, x (B, S, d), targets (B, S))."""
        raise NotImplementedError

    def encode(self, rng: np.random.Generator, x: np.ndarray, previous: np.ndarray) -> np.ndarray:
        """Input spikes (B, S * L, n_in) of steps with inputs ``x`` (B, S, d) and previous targets (B, S):
        each component by its Gaussian-tuned Poisson population, L time steps per step (module docstring)."""
        rates = np.concatenate([gaussian_population_rates(x[..., d], *self.x_range, self.n_per_dim, self.rate) for d in range(self.n_dims)]
                               + [gaussian_population_rates(previous, *self.target_range, self.n_per_dim, self.rate)], axis=-1)
        p = np.repeat((rates * self.dt).astype(np.float32), self.step_steps, axis=1)  # spike probability per time step
        return (rng.random(p.shape, dtype=np.float32) < p).astype(np.float32)

    def sample(self, rng: np.random.Generator, batch: int) -> TaskBatch:  # noqa: D102
        params, x, target = self.functions(rng, batch)
        previous = np.concatenate([np.zeros((batch, 1)), target[:, :-1]], axis=1)
        spikes = self.encode(rng, x, previous)
        L = self.step_steps
        starts = np.arange(self.n_steps_seq) * L
        windows = np.stack([starts, starts + L], axis=1)
        labels = np.zeros((batch, self.n_steps_seq), dtype=np.int64)  # every step has a (regression) target
        conditions = {"target": target.astype(np.float64), "x": x.astype(np.float64), **{f"param_{k}": v for k, v in params.items()}}
        return TaskBatch(spikes, labels, windows, conditions, tuple(f"step{k}" for k in range(self.n_steps_seq)))

    def predictions(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        """The network's answer per step (B, S): the readout averaged over the step."""
        return window_means(outputs, batch.windows)[..., 0]

    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        """Mean squared error over all steps of all episodes."""
        target = torch.as_tensor(batch.conditions["target"], dtype=outputs.dtype, device=outputs.device)
        return ((self.predictions(outputs, batch) - target) ** 2).mean()

    def metrics(self, outputs: Tensor, batch: TaskBatch) -> dict[str, float]:
        """``mse`` over all steps and ``mse_late`` over the second half of the episode (after learning)."""
        target = torch.as_tensor(batch.conditions["target"], dtype=outputs.dtype, device=outputs.device)
        err = (self.predictions(outputs.detach(), batch) - target) ** 2
        return {"mse": float(err.mean()), "mse_late": float(err[:, err.shape[1] // 2:].mean())}


@dataclass(frozen=True)
class L2LTargetNets(L2LRegression):
    """New 2-10-1 target network per episode (Fig. 2B-H)."""

    name: str = field(default="l2l_target_nets", init=False)

    def functions(self, rng, batch):  # noqa: D102
        params = target_network_params(rng, batch)
        x = rng.uniform(-1, 1, (batch, self.n_steps_seq, 2))
        return params, x, target_network(params, x)


@dataclass(frozen=True)
class L2LSines(L2LRegression):
    """New sine A sin(phi + x) per episode (Fig. 2I)."""

    x_range: tuple[float, float] = field(default=(-5.0, 5.0), init=False)
    target_range: tuple[float, float] = field(default=(-5.0, 5.0), init=False)
    n_dims: int = field(default=1, init=False)
    name: str = field(default="l2l_sines", init=False)

    def functions(self, rng, batch):  # noqa: D102
        amplitude, phase = rng.uniform(0.1, 5.0, batch), rng.uniform(0.0, np.pi, batch)
        x = rng.uniform(-5, 5, (batch, self.n_steps_seq, 1))
        return {"amplitude": amplitude, "phase": phase}, x, amplitude[:, None] * np.sin(phase[:, None] + x[..., 0])
