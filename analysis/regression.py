"""Linear-regression baselines of the learning-to-learn section (Bellec et al. 2018, Fig. 2C/E and
supplement "Analysis and comparison").

The baseline asks how much of a target a *linear* readout of the network's activity explains without
any learning inside the network. Per neuron, spikes are filtered with a causal exponential kernel
(time constant 20 ms, Elephant's ``instantaneous_rate`` with ``ExponentialKernel``)::

    r_j(t) = sum_{t_s <= t <= t_s + 5 tau} exp(-(t - t_s)/tau) / tau

(Elephant evaluates the kernel on [0, 5 tau]; the cut tail holds exp(-5) = 0.7 % of its area),

the *mean spiking trace* of a step is the mean of r_j over the step, and a ridge regression (L2
penalty; the paper found 100 by grid search) maps these features to the target of each step:

* :func:`ridge_baseline` -- Fig. 2C: fit on a random subset of the steps (450 of 500), test on the rest;
* :func:`online_ridge_errors` -- Fig. 2E: after every step k, fit on steps ``0..k-1`` and test on step k.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import neo
import numpy as np
import quantities as pq

from . import _elephant


def exponential_traces(spiketrains: Sequence[neo.SpikeTrain], tau: pq.Quantity = 20 * pq.ms, sampling_period: pq.Quantity = 1 * pq.ms) -> neo.AnalogSignal:
    """Causally filtered spike trains ``r_j(t)`` (module docstring), ``(n_samples, n_neurons)`` in Hz."""
    if len(spiketrains) == 0:
        raise ValueError("no spike trains given.")
    _elephant.load()
    from elephant.kernels import ExponentialKernel
    from elephant.statistics import instantaneous_rate

    return instantaneous_rate(list(spiketrains), sampling_period=sampling_period, kernel=ExponentialKernel(sigma=tau),
                              center_kernel=False, trim=False, border_correction=False)


def step_means(traces: neo.AnalogSignal, step_duration: pq.Quantity) -> np.ndarray:
    """Mean of each trace over consecutive steps of ``step_duration``: ``(n_steps, n_neurons)`` (Hz).

    A final partial step is dropped."""
    per_step = int(round(float((step_duration / traces.sampling_period).simplified)))
    if per_step < 1:
        raise ValueError(f"step_duration {step_duration} is shorter than the sampling period {traces.sampling_period}.")
    n_steps = traces.shape[0] // per_step
    if n_steps == 0:
        raise ValueError(f"the traces ({traces.shape[0]} samples) are shorter than one step ({per_step} samples).")
    values = np.asarray(traces.rescale(pq.Hz).magnitude)[: n_steps * per_step]
    return values.reshape(n_steps, per_step, -1).mean(axis=1)


def _check_xy(features, targets) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(features, dtype=float)
    y = np.asarray(targets, dtype=float)
    if X.ndim != 2 or y.ndim not in (1, 2) or len(X) != len(y):
        raise ValueError(f"features must be (n_steps, n_neurons) and targets (n_steps[, n_outputs]) with the same n_steps; got {X.shape} and {y.shape}.")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("features or targets contain NaN or infinite values.")
    return X, y


class RidgeBaseline(NamedTuple):
    mse: float  # mean squared error on the test steps
    alpha: float  # L2 penalty chosen by cross-validation on the training steps
    predictions: np.ndarray  # on the test steps


def ridge_baseline(features, targets, train: np.ndarray, test: np.ndarray,
                   alphas: Sequence[float] = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)) -> RidgeBaseline:
    """Ridge regression from mean spiking traces to targets, penalty chosen by (leave-one-out) grid
    search on the training steps only (scikit-learn ``RidgeCV``), tested on ``test`` (Fig. 2C)."""
    from sklearn.linear_model import RidgeCV

    X, y = _check_xy(features, targets)
    train, test = np.asarray(train), np.asarray(test)
    if len(train) < 2 or len(test) < 1 or np.intersect1d(train, test).size:
        raise ValueError("give at least two training steps, at least one test step, and disjoint train/test indices.")
    model = RidgeCV(alphas=list(alphas)).fit(X[train], y[train])
    predictions = model.predict(X[test])
    return RidgeBaseline(float(np.mean((predictions - y[test]) ** 2)), float(model.alpha_), predictions)


def online_ridge_errors(features, targets, alpha: float = 100.0) -> np.ndarray:
    """Squared error at step k of a ridge regression fitted on steps ``0..k-1`` (Fig. 2E), k = 1..n-1.

    Returns ``(n_steps - 1,)`` errors (averaged over outputs when targets are 2-D)."""
    from sklearn.linear_model import Ridge

    X, y = _check_xy(features, targets)
    if alpha <= 0:
        raise ValueError(f"alpha must be positive; got {alpha}.")
    errors = np.empty(len(X) - 1)
    for k in range(1, len(X)):
        model = Ridge(alpha=alpha).fit(X[:k], y[:k])
        errors[k - 1] = float(np.mean((model.predict(X[k : k + 1]) - y[k : k + 1]) ** 2))
    return errors
