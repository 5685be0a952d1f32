"""Initialisation recipes of the NeurIPS supplement ("Rewiring and weight initialization") and the
eLife Methods (adaptation time constants).

* Free signs: ``W_ji ~ w0 / sqrt(n_in) N(0, 1)`` with w0 = 1 V (``w0 = 1 Volt / R_m * dt`` in the
  papers' units), n_in the number of columns.
* Excitatory/inhibitory networks: a sign kappa_i per presynaptic neuron, ``W_ji ~ kappa_i |N(0, 1)|``
  drawn as a large enough square matrix, balanced so that the input onto each neuron sums to zero,
  divided by the modulus of its largest eigenvalue (spectral radius 1), the required rows/columns
  selected at random, scaled by w0, and multiplied by a sparse mask of uniformly drawn connections.
  The supplement balances by "adding a constant to each weight"; here the inhibitory weights of
  each row are rescaled instead, which reaches the same zero sum without ever flipping a sign
  (a flipped sign would break Dale's law that DEEP R then preserves).
* Adaptation time constants (eLife Table 1): constant, ``uniform`` (U(0, 1) tau_a) or ``power_law``
  (tau_a (1 - X), X ~ power(2.5), the original code's ``--tau_a_power``).
"""

from __future__ import annotations

import numpy as np


def gaussian_weights(rng: np.random.Generator, n_post: int, n_pre: int, w0: float = 1.0) -> np.ndarray:
    """``w0 / sqrt(n_pre) * N(0, 1)`` of shape (n_post, n_pre), volts."""
    return rng.standard_normal((n_post, n_pre)) * (w0 / np.sqrt(n_pre))


def random_signs(rng: np.random.Generator, n: int, frac_excitatory: float) -> np.ndarray:
    """+1/-1 per neuron, exactly ``round(frac_excitatory * n)`` of them +1, in random order."""
    n_exc = int(round(frac_excitatory * n))
    return rng.permutation(np.r_[np.ones(n_exc, dtype=np.int64), -np.ones(n - n_exc, dtype=np.int64)])


def sparse_mask(rng: np.random.Generator, shape: tuple[int, int], p_connect: float, forbid_diagonal: bool = False) -> np.ndarray:
    """Boolean mask with exactly ``round(p_connect * allowed)`` connections drawn uniformly."""
    allowed = np.ones(shape, dtype=bool)
    if forbid_diagonal:
        np.fill_diagonal(allowed, False)
    idx = np.flatnonzero(allowed)
    chosen = rng.choice(idx, size=int(round(p_connect * idx.size)), replace=False)
    mask = np.zeros(shape, dtype=bool)
    mask.flat[chosen] = True
    return mask


def ei_weights(rng: np.random.Generator, n_post: int, n_pre: int, sign_pre: np.ndarray, w0: float = 1.0) -> np.ndarray:
    """Dale's-law weights (n_post, n_pre): column i has the sign of ``sign_pre[i]``; balanced, spectral radius w0."""
    sign_pre = np.asarray(sign_pre)
    if sign_pre.shape != (n_pre,) or not np.all(np.isin(sign_pre, (-1, 1))):
        raise ValueError(f"sign_pre must be (n_pre={n_pre},) of +1/-1.")
    n = max(n_post, n_pre)
    cols = np.sort(rng.choice(n, n_pre, replace=False)) if n > n_pre else np.arange(n)
    kappa = np.ones(n)
    kappa[cols] = sign_pre
    others = np.setdiff1d(np.arange(n), cols)
    if others.size:  # signs of the unused columns of the square matrix, drawn with the same E fraction
        kappa[others] = np.where(rng.random(others.size) < np.mean(sign_pre > 0), 1.0, -1.0)
    W = kappa[None, :] * np.abs(rng.standard_normal((n, n)))
    exc, inh = W.clip(min=0).sum(1), -W.clip(max=0).sum(1)
    both = (exc > 0) & (inh > 0)
    W[both] = np.where(W[both] < 0, W[both] * (exc[both] / inh[both])[:, None], W[both])
    radius = np.max(np.abs(np.linalg.eigvals(W)))
    if radius > 0:
        W = W / radius
    rows = np.sort(rng.choice(n, n_post, replace=False)) if n > n_post else np.arange(n)
    return w0 * W[np.ix_(rows, cols)]


def adaptation_time_constants(rng: np.random.Generator, n: int, tau_a: float, distribution: str = "constant", floor: float = 1e-6) -> np.ndarray:
    """Per-neuron tau_a (s): ``constant``, ``uniform`` = U(0,1) tau_a, ``power_law`` = tau_a (1 - power(2.5))."""
    if distribution == "constant":
        tau = np.full(n, float(tau_a))
    elif distribution == "uniform":
        tau = rng.random(n) * tau_a
    elif distribution == "power_law":
        tau = tau_a * (1 - rng.power(2.5, n))
    else:
        raise ValueError(f"tau_a distribution must be constant, uniform or power_law; got {distribution!r}.")
    return np.maximum(tau, floor)
