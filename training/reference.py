"""A straightforward autograd implementation of the LSNN map: the independent check of :mod:`.bptt`.

It follows the equations step by step with ordinary PyTorch operations and lets autograd build the
graph; per-synapse delays are read from a history of spikes one synapse at a time (a gather), so it
shares no code with the grouped-by-delay, hand-written-backward implementation of :class:`LSNN`.
It is slow and memory-hungry on purpose (obviously correct); the tests and the speed benchmark use it.
With short-term plasticity (``net.stp_U`` set) a spike delivers ``z (U + u)(1 - r)`` (eLife eqs. 6-10,
see :mod:`lsnn.training.stp`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .pseudo_derivative import SpikeFunction


def reference_forward(net, x: Tensor, i_ext: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Run ``net`` (an :class:`~lsnn.training.LSNN`) with plain autograd; returns (spikes, outputs, v, thresholds), batch-major."""
    x = torch.as_tensor(x, dtype=net.dtype)
    B, T, _ = x.shape
    n = net.n_rec
    dt = net.dt
    alpha, rho, kappa = torch.exp(-dt / net.tau_m), torch.exp(-dt / net.tau_a), torch.exp(-dt / net.tau_out)
    W_in, W_rec, W_out = net.W_in * net.mask_in, net.W_rec * net.mask_rec, net.W_out * net.mask_out
    V = torch.zeros(B, n, dtype=net.dtype)
    a = torch.zeros(B, n, dtype=net.dtype)
    y = torch.zeros(B, net.n_out, dtype=net.dtype)
    last = torch.full((B, n), -(10**9), dtype=torch.int64)
    zs, sent, vs, As, outs = [], [], [], [], []
    stp = net.stp_U is not None
    if stp:
        U, eF, eD = net.stp_U, torch.exp(-dt / net.stp_F), torch.exp(-dt / net.stp_D)
        u = torch.zeros(B, n, dtype=net.dtype)
        r = torch.zeros(B, n, dtype=net.dtype)
    cols_in = torch.arange(net.n_in)[None, :]
    cols_rec = torch.arange(n)[None, :]
    for t in range(T):
        A = torch.clamp(net.b0 + net.beta * a, min=net.A_min)
        ok = (t - last) >= net.n_ref
        z = SpikeFunction.apply((V - A) / A, net.gamma) * ok
        last = torch.where(z > 0, t, last)
        zs.append(z)
        sent.append(z * (U + u) * (1 - r) if stp else z)
        # per-synapse delays: x_i(t - d_in[j, i]) and z_i(t - d_rec[j, i]) gathered for every (j, i)
        src_in = t - net.d_in
        x_del = torch.where(src_in >= 0, x[:, src_in.clamp(min=0), cols_in.expand(n, -1)], torch.zeros((), dtype=net.dtype))
        I = (W_in * x_del).sum(-1)
        src_rec = t - net.d_rec
        Z_hist = torch.stack(sent, dim=1)  # (B, t+1, n)
        z_del = torch.where(src_rec >= 0, Z_hist[:, src_rec.clamp(min=0), cols_rec.expand(n, -1)], torch.zeros((), dtype=net.dtype))
        I = I + (W_rec * z_del).sum(-1)
        if i_ext is not None:
            I = I + i_ext[:, t]
        y = kappa * y + (1 - kappa) * (z @ W_out.T)
        vs.append(V)
        As.append(A)
        outs.append(y + net.b_out)
        V = alpha * V + (1 - alpha) * I - A * z
        a = rho * a + (1 - rho) * z
        if stp:
            u = eF * u + U * (1 - U - u) * z
            r = eD * r + (U + u) * (1 - r) * z
    return torch.stack(zs, 1), torch.stack(outs, 1), torch.stack(vs, 1), torch.stack(As, 1)
