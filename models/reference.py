"""The discrete-time LSNN map in plain NumPy: the reference both Brian2 and PyTorch must reproduce.

For recurrent neuron j at step t (DESIGN.md; Bellec et al. 2018 NeurIPS suppl. eqs. 4-5;
Salaj et al. 2021 eLife Methods eqs. 3-5)::

    A_j(t)    = max(b0_j + beta_j a_j(t), A_min_j)
    z_j(t)    = 1 if V_j(t) > A_j(t) and t - s_j >= n_ref_j (s_j: step of j's last spike), else 0
    V_j(t+dt) = alpha_j V_j(t) + (1 - alpha_j) I_j(t) - A_j(t) z_j(t)
    a_j(t+dt) = rho_j a_j(t) + (1 - rho_j) z_j(t)
    I_j(t)    = sum_i W_in[j,i] x_i(t - d_in[j,i]) + sum_i W_rec[j,i] z_i(t - d_rec[j,i]) + I_ext_j(t)
    y_k(t)    = kappa_k y_k(t-1) + (1 - kappa_k) sum_j W_out[k,j] z_j(t);   o_k(t) = y_k(t) + b_out_k

with alpha = exp(-dt/tau_m), rho = exp(-dt/tau_a), kappa = exp(-dt/tau_out), V(0) = a(0) = y(-1) = 0.
With short-term plasticity (``spec.has_stp``; eLife Methods eqs. 6-10, see :mod:`lsnn.models.spec`)
the recurrent term becomes ``sum_i W_rec[j,i] e_i(t - d) z_i(t - d)`` with the efficacy
``e_i = (U_i + u_i)(1 - r_i)`` at the spike's emission, and u, r jump at each spike and relax with F, D.
It is deliberately a straightforward loop (slow, obviously correct) used by the tests as the golden
model; use :func:`lsnn.models.simulate` for real simulations.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .spec import NetworkSpec


class ReferenceResult(NamedTuple):
    spikes: np.ndarray  # (T, n_rec) 0/1
    outputs: np.ndarray  # (T, n_out) volts
    v: np.ndarray  # (T, n_rec) V(t) as tested against the threshold
    thresholds: np.ndarray  # (T, n_rec) A(t)


def delayed_input(W: np.ndarray, delays: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """``I[t, j] = sum_i W[j, i] * signal[t - delays[j, i], i]`` (zero before t = 0); signal (T, n_pre)."""
    T = signal.shape[0]
    out = np.zeros((T, W.shape[0]))
    for d in np.unique(delays):
        if d >= T:
            continue
        Wd = np.where(delays == d, W, 0.0)
        out[d:] += signal[: T - d] @ Wd.T
    return out


def simulate_reference(spec: NetworkSpec, x: np.ndarray, i_ext: np.ndarray | None = None) -> ReferenceResult:
    """Run the map for one trial: ``x`` (T, n_in), ``i_ext`` (T, n_rec) in volts."""
    x = np.asarray(x, dtype=np.float64)
    T = x.shape[0]
    alpha, rho = np.exp(-spec.dt / spec.tau_m), np.exp(-spec.dt / spec.tau_a)
    kappa = np.exp(-spec.dt / spec.tau_out)
    I_in = delayed_input(spec.W_in, spec.d_in, x)
    if i_ext is not None:
        I_in = I_in + i_ext
    n_rec = spec.n_rec
    z_hist = np.zeros((T, n_rec))
    V, a, y = np.zeros(n_rec), np.zeros(n_rec), np.zeros(spec.n_out)
    last_spike = np.full(n_rec, -(10**9))
    res = ReferenceResult(np.zeros((T, n_rec)), np.zeros((T, spec.n_out)), np.zeros((T, n_rec)), np.zeros((T, n_rec)))
    pre = np.arange(n_rec)[None, :]
    stp = spec.has_stp
    if stp:
        U, eF, eD = spec.stp_U, np.exp(-spec.dt / spec.stp_F), np.exp(-spec.dt / spec.stp_D)
        u, r = np.zeros(n_rec), np.zeros(n_rec)
    for t in range(T):
        A = np.maximum(spec.b0 + spec.beta * a, spec.A_min)
        z = ((V > A) & (t - last_spike >= spec.n_ref)).astype(np.float64)
        last_spike[z > 0] = t
        z_hist[t] = z * (U + u) * (1 - r) if stp else z  # what reaches the targets: efficacy x spike
        src = t - spec.d_rec
        z_delayed = np.where(src >= 0, z_hist[np.clip(src, 0, None), pre], 0.0)
        I = I_in[t] + np.sum(spec.W_rec * z_delayed, axis=1)
        y = kappa * y + (1 - kappa) * (spec.W_out @ z)
        res.spikes[t], res.v[t], res.thresholds[t], res.outputs[t] = z, V, A, y + spec.b_out
        V = alpha * V + (1 - alpha) * I - A * z
        a = rho * a + (1 - rho) * z
        if stp:
            u = eF * u + U * (1 - U - u) * z
            r = eD * r + (U + u) * (1 - r) * z
    return res
