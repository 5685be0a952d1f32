"""BPTT through the LSNN map with short-term plasticity (STP) on the recurrent synapses.

Salaj et al. 2021 (eLife), Methods eqs. 6-10 (Mongillo et al. 2008), in the discretisation of the
authors' code (``../shared/papers`` §9.2) and of :mod:`lsnn.models.spec`: presynaptic neuron i has a
facilitation variable u_i and a depression variable r_i (u', r' of the paper, 0 at t = 0); its spike
reaches the targets scaled by the efficacy at emission, and the variables jump at the spike::

    e_i(t)    = (U_i + u_i(t)) (1 - r_i(t))
    I_j(t)    = I_in,j(t) + sum_d sum_i W_d[j,i] e_i(t - d) z_i(t - d)
    u_i(t+dt) = exp(-dt/F_i) u_i(t) + U_i (1 - U_i - u_i(t)) z_i(t)
    r_i(t+dt) = exp(-dt/D_i) r_i(t) + (U_i + u_i(t+dt)) (1 - r_i(t)) z_i(t)

with the neuron map of :mod:`lsnn.training.model` otherwise unchanged. Gradients flow through the
efficacies too (z carries the pseudo-derivative, as in the authors' TensorFlow code); U, F and D are not
trained. Two implementations, chosen by :func:`stp_recurrence`:

- on CPU with the compiled kernel, :class:`CompiledSTPRecurrence`: the kernel's forward and adjoint loops
  of :mod:`lsnn.training.bptt` with the STP state added (``lsnn_kernel.cpp``: ``stp_step`` and the
  ``sbar``/``ubar``/``rbar`` adjoints of the backward), the hand-derived gradient of the same map;
- elsewhere, the per-step loop of :func:`stp_recurrence`: the recursion step by step with ordinary tensor
  operations, differentiated by autograd (single graph nodes per step for the STP state, the spike and the
  membrane).

Training (``LSNN.forward(record_state=False)`` with one input delay, on CPU with the kernel) takes neither: it
runs STP on the memory-lean fused path, :class:`lsnn.training.bptt.LSNNLean` with ``stp`` (u, r kept only at
the compact record's entries). This module's implementations serve ``record_state=True``, several input
delays and devices without the kernel.

The independent checks are :func:`lsnn.training.reference.reference_forward`, which gathers every
synapse's delayed input separately, and the NumPy map of :mod:`lsnn.models.reference`; the tests hold
both implementations to them.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor

from .bptt import _compiled_kernel, backward_compiled, forward_compiled
from .kernel import load as load_kernel
from .pseudo_derivative import pseudo_derivative


class PresynapticSTP(torch.autograd.Function):
    """One step of the presynaptic STP state, as a single graph node (the elementwise chain below costs
    a dozen autograd nodes per step otherwise)::

        s     = z (U + u) (1 - r)                         what the spike delivers
        u_new = F u + U (1 - U - u) z                      F = exp(-dt/F), D = exp(-dt/D)
        r_new = D r + (U + u_new) (1 - r) z
    """

    @staticmethod
    def forward(ctx, z, u, r, U, F, D):  # noqa: D102
        Uu, omr = U + u, 1 - r
        u_new = F * u + U * (1 - U - u) * z
        Uun = U + u_new
        ctx.save_for_backward(z, u, Uu, omr, Uun, U, F, D)
        return z * Uu * omr, u_new, D * r + Uun * omr * z

    @staticmethod
    def backward(ctx, gs, gu_new, gr_new):  # noqa: D102
        z, u, Uu, omr, Uun, U, F, D = ctx.saved_tensors
        gs, gu_new, gr_new = (torch.zeros_like(z) if g is None else g for g in (gs, gu_new, gr_new))
        gu_total = gu_new + gr_new * omr * z  # r_new depends on u_new
        gz = gs * Uu * omr + gr_new * Uun * omr + gu_total * U * (1 - U - u)
        gu = gs * z * omr + gu_total * (F - U * z)
        gr = -gs * z * Uu + gr_new * (D - Uun * z)
        return gz, gu, gr, None, None, None


class GatedSpike(torch.autograd.Function):
    """``z = H((V - A)/A) * gate`` with the dampened pseudo-derivative of
    :mod:`lsnn.training.pseudo_derivative` (zero while refractory, ``gate`` = 0), as one graph node."""

    @staticmethod
    def forward(ctx, V, A, gate, gamma):  # noqa: D102
        v = (V - A) / A
        ctx.save_for_backward(V, A, v, gate)
        ctx.gamma = gamma
        return (v > 0).to(V.dtype) * gate

    @staticmethod
    def backward(ctx, gz):  # noqa: D102
        V, A, v, gate = ctx.saved_tensors
        g_v = gz * pseudo_derivative(v, ctx.gamma) * gate  # dL/dv
        return g_v / A, (-g_v * V / (A * A) if ctx.needs_input_grad[1] else None), None, None


class MembraneStep(torch.autograd.Function):
    """``V_new = alpha V + (1 - alpha) I - A z`` (leak, input, reset by the threshold) as one graph node."""

    @staticmethod
    def forward(ctx, V, I, A, z, alpha):  # noqa: D102
        ctx.save_for_backward(A, z, alpha)
        return alpha * V + (1 - alpha) * I - A * z

    @staticmethod
    def backward(ctx, g):  # noqa: D102
        A, z, alpha = ctx.saved_tensors
        return alpha * g, (1 - alpha) * g, (-z * g if ctx.needs_input_grad[2] else None), -A * g, None


class CompiledSTPRecurrence(torch.autograd.Function):
    """``(I_in, W_stack) -> (Z, V, A)`` with STP, forward and hand-written backward in the compiled kernel
    (CPU). Arguments as :func:`stp_recurrence`, plus ``adaptive`` and ``stp = (U, F_decay, D_decay)``."""

    @staticmethod
    def forward(ctx, I_in, W_stack, delays, alpha, rho, beta, b0, A_min, n_ref, gamma, adaptive, stp):  # noqa: D102
        Z, Vs, As, OK, CLAMP, record = forward_compiled(load_kernel(), I_in, W_stack, delays, alpha, rho, beta, b0, A_min, n_ref,
                                                        adaptive, stp)
        ctx.save_for_backward(Z, Vs, As, OK, W_stack, alpha, rho, beta, *record, *stp, *(() if CLAMP is None else (CLAMP,)))
        ctx.delays, ctx.gamma, ctx.adaptive = delays, gamma, adaptive
        ctx.mark_non_differentiable(OK)
        ctx.set_materialize_grads(False)
        return Z, Vs, As

    @staticmethod
    def backward(ctx, gZ, gV, gA):  # noqa: D102
        Z, Vs, As, OK, W_stack, alpha, rho, beta, S, Us, Rs, U, Fd, Dd, *clamp = ctx.saved_tensors
        gI, gW = backward_compiled(load_kernel(), gZ, gV, gA, Z, Vs, As, OK, clamp[0] if clamp else None, W_stack, ctx.delays,
                                   alpha, rho, beta, ctx.gamma, ctx.adaptive, stp=(U, Fd, Dd), stp_record=(S, Us, Rs))
        return gI, gW, None, None, None, None, None, None, None, None, None, None


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
    ``D_decay = exp(-dt/D)`` per presynaptic neuron (or scalars); the other arguments are those of
    :class:`~lsnn.training.bptt.LSNNRecurrence`. The compiled kernel on CPU when it is available (module
    docstring); else (any device, or ``LSNN_KERNEL=python``) the per-step loop below, under autograd.
    """
    adaptive = bool((beta != 0).any())  # the papers' STP networks are LIF: constant thresholds, no a(t)
    if _compiled_kernel(I_in, W_stack) is not None:
        n = I_in.shape[2]  # per-neuron contiguous vectors, converted once for the forward and the backward pass
        stp = tuple(torch.as_tensor(v, dtype=I_in.dtype).expand(n).contiguous() for v in (U, F_decay, D_decay))
        return CompiledSTPRecurrence.apply(I_in, W_stack, tuple(delays), alpha, rho, beta, b0, A_min, n_ref, gamma, adaptive, stp)
    T, B, n = I_in.shape
    zeros = torch.zeros(B, n, dtype=I_in.dtype, device=I_in.device)
    V, a, u, r = zeros, zeros, zeros, zeros
    last = torch.full((B, n), -(10**9), dtype=torch.int64, device=I_in.device)
    W_T = [W_stack[k].T for k in range(len(delays))]
    currents = I_in.unbind(0)  # one backward node for all steps (indexing I_in[t] would cost O(T) per step)
    sent: list[Tensor] = []  # e(t) z(t): what each neuron's spike delivers
    Z, Vs, As = [], [], []
    A = torch.maximum(b0, A_min).expand(B, n)
    for t in range(T):
        if adaptive:
            A = torch.maximum(b0 + beta * a, A_min)
        gate = ((t - last) >= n_ref).to(I_in.dtype)
        z = GatedSpike.apply(V, A, gate, gamma)
        last = torch.where(z.detach() > 0, t, last)
        s, u, r = PresynapticSTP.apply(z, u, r, U, F_decay, D_decay)
        sent.append(s)
        I = currents[t]
        for d, W in zip(delays, W_T):
            if t - d >= 0:
                I = I + sent[t - d] @ W
        Z.append(z)
        Vs.append(V)
        As.append(A)
        V = MembraneStep.apply(V, I, A, z, alpha)
        if adaptive:
            a = rho * a + (1 - rho) * z
    return torch.stack(Z), torch.stack(Vs), torch.stack(As)
