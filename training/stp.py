"""BPTT through the LSNN map with short-term plasticity (STP) on the recurrent synapses.

Salaj et al. 2021 (eLife), Methods eqs. 6-10 (Mongillo et al. 2008), in the discretisation of the
authors' code (``../shared/papers`` §9.2) and of :mod:`lsnn.models.spec`: presynaptic neuron i has a
facilitation variable u_i and a depression variable r_i (u', r' of the paper, 0 at t = 0); its spike
reaches the targets scaled by the efficacy at emission, and the variables jump at the spike::

    e_i(t)    = (U_i + u_i(t)) (1 - r_i(t))
    I_j(t)    = I_in,j(t) + sum_d sum_i W_d[j,i] e_i(t - d) z_i(t - d)
    u_i(t+dt) = exp(-dt/F_i) u_i(t) + U_i (1 - U_i - u_i(t)) z_i(t)
    r_i(t+dt) = exp(-dt/D_i) r_i(t) + (U_i + u_i(t+dt)) (1 - r_i(t)) z_i(t)

with the neuron map of :mod:`lsnn.training.model` otherwise unchanged. The recursion is written step by
step with ordinary tensor operations and autograd differentiates it (the papers' STP networks are small:
60-220 neurons); gradients flow through the efficacies too (z carries the pseudo-derivative, as in the
authors' TensorFlow code). The independent check is :func:`lsnn.training.reference.reference_forward`,
which gathers every synapse's delayed input separately, and the NumPy map of :mod:`lsnn.models.reference`.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from .reference import SpikeFunction


def stp_recurrence(
    I_in: Tensor,
    W_stack: Tensor,
    delays: Sequence[int],
    alpha: Tensor,
    rho: Tensor,
    beta: Tensor,
    b0: Tensor,
    A_min: Tensor,
    n_ref: Tensor,
    gamma: float,
    U: Tensor,
    F_decay: Tensor,
    D_decay: Tensor,
) -> tuple[Tensor, Tensor, Tensor]:
    """Run the map with STP on time-major input currents ``I_in`` (T, B, n); returns (Z, V, A), each (T, B, n).

    ``W_stack[k]`` holds the recurrent weights with delay ``delays[k]`` steps; ``F_decay = exp(-dt/F)`` and
    ``D_decay = exp(-dt/D)`` per presynaptic neuron; the other arguments are those of
    :class:`~lsnn.training.bptt.LSNNRecurrence`.
    """
    T, B, n = I_in.shape
    zeros = torch.zeros(B, n, dtype=I_in.dtype, device=I_in.device)
    V, a, u, r = zeros, zeros, zeros, zeros
    last = torch.full((B, n), -(10**9), dtype=torch.int64, device=I_in.device)
    W_T = [W_stack[k].T for k in range(len(delays))]
    currents = I_in.unbind(0)  # one backward node for all steps (indexing I_in[t] would cost O(T) per step)
    sent: list[Tensor] = []  # e(t) z(t): what each neuron's spike delivers
    Z, Vs, As = [], [], []
    adaptive = bool((beta != 0).any())  # the papers' STP networks are LIF: constant thresholds, no a(t)
    A = torch.maximum(b0, A_min).expand(B, n)
    leak_in = 1 - alpha
    for t in range(T):
        if adaptive:
            A = torch.maximum(b0 + beta * a, A_min)
        gate = ((t - last) >= n_ref).to(I_in.dtype)
        z = SpikeFunction.apply((V - A) / A, gamma) * gate
        last = torch.where(z.detach() > 0, t, last)
        sent.append(z * (U + u) * (1 - r))
        I = currents[t]
        for d, W in zip(delays, W_T):
            if t - d >= 0:
                I = I + sent[t - d] @ W
        Z.append(z)
        Vs.append(V)
        As.append(A)
        V = alpha * V + leak_in * I - A * z
        if adaptive:
            a = rho * a + (1 - rho) * z
        u = F_decay * u + U * (1 - U - u) * z
        r = D_decay * r + (U + u) * (1 - r) * z
    return torch.stack(Z), torch.stack(Vs), torch.stack(As)
