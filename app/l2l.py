"""Learning-to-learn analyses of a trained run (NeurIPS 2018 Fig. 2C/E/F and supplement "Analysis and
comparison"): the network's errors on new functions next to its two baselines.

* :func:`l2l_errors`: the network runs ``n_episodes`` held-out episodes (new functions, PyTorch float64, the
  map Brian2 reproduces); per episode and step the squared error of its answer.
* :func:`linear_baselines`: the linear predictor on the network's own spikes -- 20 ms exponential traces
  (Elephant), their mean per step, ridge regression with penalty 100 (:mod:`lsnn.analysis.regression`):
  Fig. 2C fits a random 450 of the 500 steps and tests on the other 50; Fig. 2E fits the steps before k and
  tests on step k.
* :func:`backprop_errors` (Fig. 2F, target networks only): the target-network architecture itself (2-10-1,
  sigmoid units, Xavier normal initialisation) learns each episode's examples online by backprop -- at step k
  it has made one Adam step (AMSGrad, lr 0.1, betas 0.7 / 0.9, weight decay 1e-5) on each of the examples
  0..k-1, and its squared error on example k is recorded. (The supplement states the optimiser and the prior
  for small weights but not the number of updates per example; one per example is the online protocol the
  LSNN itself follows.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EpisodeErrors:
    """Squared errors (episodes, steps) of the network on held-out episodes, with the episodes' data."""

    squared_error: np.ndarray
    predictions: np.ndarray  # (episodes, steps)
    targets: np.ndarray  # (episodes, steps)
    x: np.ndarray  # (episodes, steps, d)
    spikes: np.ndarray  # (episodes, T, n_rec)
    step_duration: float  # s
    conditions: dict


def l2l_errors(run: str | os.PathLike, n_episodes: int = 10) -> EpisodeErrors:
    """The network's squared error per step on the first ``n_episodes`` held-out episodes of ``run``."""
    import torch

    from lsnn.training.heldout import held_out_activity
    from lsnn.training.runs import load_run

    trained = load_run(run)
    if not trained.cfg.task.startswith("l2l_"):
        raise ValueError(f"{run} is a {trained.cfg.task} run; the learning-to-learn analyses read l2l_target_nets / l2l_sines runs.")
    act = held_out_activity(trained, n_episodes, record_state=False)
    predictions = trained.task.predictions(torch.as_tensor(act.outputs), act.batch).numpy()
    targets = act.batch.conditions["target"]
    return EpisodeErrors((predictions - targets) ** 2, predictions, targets, act.batch.conditions["x"], act.spikes,
                         trained.task.step_duration, act.batch.conditions)


def mean_step_traces(spikes: np.ndarray, dt: float, step_duration: float) -> np.ndarray:
    """Mean 20 ms exponential trace per step and neuron, (steps, neurons), of one episode's raster (T, neurons)."""
    import neo
    import quantities as pq

    from lsnn.analysis import exponential_traces, step_means

    t_stop = spikes.shape[0] * dt
    trains = [neo.SpikeTrain(np.nonzero(spikes[:, j])[0] * dt, t_stop=t_stop, units="s") for j in range(spikes.shape[1])]
    return step_means(exponential_traces(trains, 20 * pq.ms, dt * pq.s), step_duration * pq.s)


@dataclass(frozen=True)
class LinearBaselines:
    """Per episode: the Fig. 2C test MSE of the linear predictor and of the network on the same 50 test steps;
    the Fig. 2E online errors (episodes, steps - 1) of the linear predictor."""

    split_mse: np.ndarray
    network_split_mse: np.ndarray
    online_squared_error: np.ndarray


def linear_baselines(errors: EpisodeErrors, dt: float, alpha: float = 100.0, n_test_steps: int = 50, seed: int = 0) -> LinearBaselines:
    """The linear predictor of the module docstring on the network's spikes of each episode in ``errors``."""
    from lsnn.analysis import online_ridge_errors, ridge_baseline

    rng = np.random.default_rng(seed)
    n_steps = errors.targets.shape[1]
    if not 2 <= n_test_steps < n_steps - 1:
        raise ValueError(f"n_test_steps must leave at least two training steps of the {n_steps}; got {n_test_steps}.")
    split, network, online = [], [], []
    for k in range(len(errors.targets)):
        features = mean_step_traces(errors.spikes[k], dt, errors.step_duration)
        order = rng.permutation(n_steps)
        test, train = np.sort(order[:n_test_steps]), np.sort(order[n_test_steps:])
        split.append(ridge_baseline(features, errors.targets[k], train, test, alphas=(alpha,)).mse)
        network.append(float(errors.squared_error[k, test].mean()))
        online.append(online_ridge_errors(features, errors.targets[k], alpha))
    return LinearBaselines(np.array(split), np.array(network), np.array(online))


def backprop_errors(errors: EpisodeErrors, seed: int = 0) -> np.ndarray:
    """Squared error (episodes, steps) of the 2-10-1 network learning each episode's examples online (module
    docstring); the episodes must be target-network episodes (two input dimensions, targets in [0, 1])."""
    import torch

    if errors.x.shape[-1] != 2:
        raise ValueError("backprop on the target-network architecture needs target-network episodes (2 inputs).")
    out = np.empty(errors.targets.shape)
    for k in range(len(errors.targets)):
        generator = torch.Generator().manual_seed(seed * 100_003 + k)
        hidden, output = torch.nn.Linear(2, 10, dtype=torch.float64), torch.nn.Linear(10, 1, dtype=torch.float64)
        for layer in (hidden, output):
            torch.nn.init.xavier_normal_(layer.weight, generator=generator)
            torch.nn.init.zeros_(layer.bias)
        net = torch.nn.Sequential(hidden, torch.nn.Sigmoid(), output, torch.nn.Sigmoid())
        optimizer = torch.optim.Adam(net.parameters(), lr=0.1, betas=(0.7, 0.9), weight_decay=1e-5, amsgrad=True)
        x = torch.as_tensor(errors.x[k], dtype=torch.float64)
        y = torch.as_tensor(errors.targets[k], dtype=torch.float64)
        for step in range(len(y)):
            prediction = net(x[step : step + 1])[0, 0]
            loss = (prediction - y[step]) ** 2
            out[k, step] = loss.item()  # tested before it learns from this example
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return out
