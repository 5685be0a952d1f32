"""BPTT through the LSNN map with a hand-written backward pass over the whole sequence.

The forward loop runs without building an autograd graph and saves only what the backward needs:
the spikes z(t), the potentials V(t), the thresholds A(t) and the refractory gate. The backward
loop then runs the adjoint recursion of the map (DESIGN.md, NeurIPS suppl. eqs. 4-7) in reverse
time. With ``alpha = exp(-dt/tau_m)``, ``rho = exp(-dt/tau_a)``, ``psi(t) = gamma max(0, 1-|v(t)|)``
(zero while refractory), ``v = (V - A)/A``, and bars for dL/d(.)::

    Ibar(t) = (1 - alpha) Vbar(t+1)
    zbar(t) = dL/dz(t)|direct + sum_d W_d^T Ibar(t+d) - A(t) Vbar(t+1) + (1 - rho) abar(t+1)
    Vbar(t) = alpha Vbar(t+1) + zbar(t) psi(t) / A(t)                      + dL/dV(t)|direct
    Abar(t) = -z(t) Vbar(t+1) - zbar(t) psi(t) V(t) / A(t)^2               + dL/dA(t)|direct
    abar(t) = rho abar(t+1) + beta [b0 + beta a(t) >= A_min] Abar(t)
    dL/dW_d = sum_t Ibar(t+d) z(t)^T,   dL/dI_in(t) = Ibar(t)

where ``W_d`` is the part of the recurrent matrix with delay ``d`` steps (delays grouped by value).
This is the exact gradient of the map with the pseudo-derivative; ``tests/training`` checks it
against a straightforward autograd implementation (``lsnn.training.reference``) to 1e-10 in float64.
Two implementations of the loops: the compiled kernel ``lsnn_kernel.cpp`` (CPU; event-driven, see
its header) and the pure-PyTorch :func:`forward_loop` / :func:`backward_loop` (fallback, other
devices), where everything that does not depend on the recursion (``psi/A``, ``psi V/A^2``, the
weight gradients) is computed outside the loops as whole-sequence tensor operations.

:class:`LSNNLean` (``LSNN.forward(..., record_state=False)``, compiled kernel only) runs the same
recursion with the input projection and the readout fused in, and keeps from the forward pass only
the neurons whose pseudo-derivative is nonzero or that spiked (zbar enters the recursion only
multiplied by psi): the training path, with a fraction of the memory.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .kernel import load as load_kernel
from .pseudo_derivative import pseudo_derivative


#: Chunks of trials whose weight-gradient partial sums the lean backward pass adds in a fixed order: a
#: partition of the batch that does not depend on the thread count, so neither do the gradients (bit for
#: bit) nor a run's weights. 0 would mean one chunk per thread (faster to reduce, thread-dependent);
#: ``benchmarks/lean_chunks.py`` measures the difference.
LEAN_CHUNKS = 8


def floor_can_bind(beta: Tensor, A_min: Tensor, b0: Tensor) -> bool:
    """Whether ``max(b0 + beta a, A_min)`` can ever take the floor (a >= 0): ELIF neurons or A_min > b0."""
    return bool(((beta < 0) | (A_min > b0)).any())


def forward_loop(
    I_in: Tensor,
    W_stack: Tensor,
    delays: tuple[int, ...],
    alpha: Tensor,
    rho: Tensor,
    beta: Tensor,
    b0: Tensor,
    A_min: Tensor,
    n_ref: Tensor,
    adaptive: bool,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor | None]:
    """Run the map for ``I_in`` (T, B, n) (time-major, volts) without autograd.

    Returns ``Z, V, A, OK, CLAMP``: spikes, potentials and thresholds (T, B, n), the refractory gate
    (bool) and, where the threshold floor can bind, whether ``b0 + beta a >= A_min`` (bool), else None.
    """
    T, B, n = I_in.shape
    dtype, device = I_in.dtype, I_in.device
    one_minus_alpha = 1 - alpha
    one_minus_rho = 1 - rho
    # (1 - alpha) folded into the weights once: V(t+1) = alpha V + (1-alpha) I_in + sum_d Ws_d z(t-d) - A z
    Ws_T = [(W_stack[k] * one_minus_alpha[:, None]).T.contiguous() for k in range(len(delays))]
    drive = (I_in * one_minus_alpha).unbind(0)
    floor_binds = adaptive and floor_can_bind(beta, A_min, b0)
    refractory = bool((n_ref > 1).any())
    # Every saved quantity is written in place into preallocated buffers (``out=``): allocating fresh
    # tensors each step and stacking them later costs more than the arithmetic at these sizes.
    Z = torch.zeros((T, B, n), dtype=dtype, device=device)
    Vs = torch.zeros((T + 1, B, n), dtype=dtype, device=device)
    As = torch.empty((T, B, n), dtype=dtype, device=device) if adaptive else torch.maximum(b0, A_min).expand(T, B, n)
    OK = torch.ones((T, B, n), dtype=torch.bool, device=device)
    CLAMP = torch.empty((T, B, n), dtype=torch.bool, device=device) if floor_binds else None
    Z_t, V_t, A_t, OK_t = Z.unbind(0), Vs.unbind(0), As.unbind(0), OK.unbind(0)
    CLAMP_t = CLAMP.unbind(0) if floor_binds else None
    a = torch.zeros((B, n), dtype=dtype, device=device)
    since = torch.full((B, n), 1 << 30, dtype=torch.int64, device=device)
    above = torch.empty((B, n), dtype=torch.bool, device=device)
    for t in range(T):
        A = A_t[t]
        if adaptive:
            torch.addcmul(b0, beta, a, out=A)
            if floor_binds:
                torch.ge(A, A_min, out=CLAMP_t[t])
                torch.maximum(A, A_min, out=A)
        torch.gt(V_t[t], A, out=above)
        if refractory:
            torch.ge(since, n_ref, out=OK_t[t])
            above.logical_and_(OK_t[t])
            since.add_(1).masked_fill_(above, 1)
        z = Z_t[t].copy_(above)
        V = torch.addcmul(drive[t], alpha, V_t[t], out=V_t[t + 1])
        for k, d in enumerate(delays):
            if t - d >= 0:
                V.addmm_(Z_t[t - d], Ws_T[k])
        V.addcmul_(A, z, value=-1)
        if adaptive:
            a.mul_(rho).addcmul_(one_minus_rho, z)
    return Z, Vs[:T], As, OK, CLAMP


def backward_loop(
    gZ: Tensor,
    gV: Tensor,
    gA: Tensor,
    Z: Tensor,
    Vs: Tensor,
    As: Tensor,
    OK: Tensor,
    CLAMP: Tensor | None,
    W_stack: Tensor,
    delays: tuple[int, ...],
    alpha: Tensor,
    rho: Tensor,
    beta: Tensor,
    gamma: float,
    adaptive: bool,
) -> tuple[Tensor, Tensor]:
    """Adjoint recursion (see module docstring). Returns dL/dI_in (T, B, n) and dL/dW_stack."""
    T, B, n = Z.shape
    psi = pseudo_derivative((Vs - As) / As, gamma) * OK
    dz_dV = (psi / As).unbind(0)
    dz_dA = (-psi * Vs / (As * As)).unbind(0) if adaptive else None
    beta_eff = (beta * CLAMP if CLAMP is not None else beta.expand(T, B, n)).unbind(0) if adaptive else None
    one_minus_alpha = 1 - alpha
    one_minus_rho = 1 - rho
    gZ_t, gV_t, gA_t, A_t, Z_t = gZ.unbind(0), gV.unbind(0), gA.unbind(0), As.unbind(0), Z.unbind(0)
    Ibar: list[Tensor | None] = [None] * T
    Vbar = torch.zeros(B, n, dtype=Z.dtype, device=Z.device)
    abar = torch.zeros_like(Vbar)
    W = [W_stack[k] for k in range(len(delays))]
    for t in range(T - 1, -1, -1):
        # here Vbar, abar hold the adjoints of V(t+1), a(t+1)
        Ibar[t] = one_minus_alpha * Vbar
        zbar = torch.addcmul(gZ_t[t], A_t[t], Vbar, value=-1)
        for k, d in enumerate(delays):
            if t + d < T:
                zbar.addmm_(Ibar[t + d], W[k])
        if adaptive:
            zbar.addcmul_(one_minus_rho, abar)
            Abar = torch.addcmul(gA_t[t], zbar, dz_dA[t]).addcmul_(Z_t[t], Vbar, value=-1)
            abar = torch.addcmul(rho * abar, beta_eff[t], Abar)
        Vbar = torch.addcmul(gV_t[t], alpha, Vbar).addcmul_(zbar, dz_dV[t])
    I_bar = torch.stack(Ibar)
    gW = torch.zeros_like(W_stack)
    for k, d in enumerate(delays):
        if d < T:
            gW[k] = I_bar[d:].reshape(-1, n).T @ Z[: T - d].reshape(-1, n)
    return I_bar, gW


class Workspace:
    """Reusable CPU buffers for the kernel's large per-sequence arrays (spikes, V, A, adjoints).

    Allocating hundreds of megabytes afresh at every iteration costs page faults and zero-filling
    that, at sequential-MNIST sizes, take longer than the arithmetic. Buffers are numpy arrays viewed
    as tensors (``torch.from_numpy``): a tensor, and every view of it, holds one reference to its
    array, so an array referenced only by this pool is free and is handed out again. Buffers of at
    most ``max_bytes`` in total are kept; :meth:`clear` releases them.
    """

    MIN_BYTES = 1 << 20

    def __init__(self, max_bytes: int = 6 << 30) -> None:
        self.max_bytes = max_bytes
        self.arrays: list = []

    def empty(self, shape: tuple[int, ...], dtype: torch.dtype) -> Tensor:
        import sys

        import numpy as np

        np_dtype = {torch.float32: np.float32, torch.float64: np.float64, torch.bool: np.bool_}[dtype]
        if int(np.prod(shape)) * np.dtype(np_dtype).itemsize < self.MIN_BYTES:
            return torch.empty(shape, dtype=dtype)
        for arr in self.arrays:
            # references: the list, the loop variable, getrefcount's argument -> 3 when no tensor uses it
            if arr.shape == shape and arr.dtype == np_dtype and sys.getrefcount(arr) == 3:
                return torch.from_numpy(arr)
        arr = np.empty(shape, dtype=np_dtype)
        self.arrays.append(arr)
        while sum(a.nbytes for a in self.arrays) > self.max_bytes:
            free = [a for a in self.arrays if sys.getrefcount(a) == 3 and a is not arr]
            if not free:
                break
            victim = free[0]  # by identity: list.remove would compare arrays elementwise
            self.arrays = [a for a in self.arrays if a is not victim]
        return torch.from_numpy(arr)

    def clear(self) -> None:
        """Forget every pooled buffer (their memory is released once no tensor uses it)."""
        self.arrays.clear()


#: The kernel's buffer pool (CPU only); ``WORKSPACE.clear()`` releases its memory.
WORKSPACE = Workspace()


def forward_compiled(lib, I_in, W_stack, delays, alpha, rho, beta, b0, A_min, n_ref, adaptive, stp=None):
    """:func:`forward_loop` in the compiled kernel (contiguous CPU tensors); same return values, and with
    short-term plasticity (``stp = (U, F_decay, D_decay)``: contiguous (n,) tensors of ``I_in``'s dtype;
    :mod:`lsnn.training.stp`) also
    ``(S, Us, Rs)``: what each spike delivered, z(t) e(t), and the presynaptic u(t), r(t), each (T, B, n)."""
    T, B, n = I_in.shape
    dtype = I_in.dtype
    I_in = I_in.contiguous()
    WsT = (W_stack * (1 - alpha)[None, :, None]).transpose(1, 2).contiguous()
    Z, Vs, As = (WORKSPACE.empty((T, B, n), dtype) for _ in range(3))
    OK = WORKSPACE.empty((T, B, n), torch.bool)
    floor_binds = adaptive and floor_can_bind(beta, A_min, b0)
    CLAMP = WORKSPACE.empty((T, B, n), torch.bool) if floor_binds else None
    d = torch.tensor(delays, dtype=torch.int64)
    vec = [v.contiguous() for v in (alpha, rho, beta, b0, A_min)]
    nref = n_ref.to(dtype).contiguous()
    alpha, rho, beta, b0, A_min = vec
    U, Fd, Dd = (None, None, None) if stp is None else stp
    S, Us, Rs = (None, None, None) if stp is None else (WORKSPACE.empty((T, B, n), dtype) for _ in range(3))
    lib.call("lsnn_forward", dtype, T=T, B=B, n=n, nd=len(delays), delays=d, I_in=I_in, WsT=WsT, alpha=alpha, rho=rho, beta=beta,
             b0=b0, A_min=A_min, n_ref=nref, adaptive=int(adaptive), stp_U=U, stp_Fd=Fd, stp_Dd=Dd, Z=Z, V=Vs, A=As, OK=OK,
             CLAMP=CLAMP, S=S, U=Us, R=Rs, n_threads=torch.get_num_threads())
    if stp is None:
        return Z, Vs, As, OK, CLAMP
    return Z, Vs, As, OK, CLAMP, (S, Us, Rs)


def backward_compiled(lib, gZ, gV, gA, Z, Vs, As, OK, CLAMP, W_stack, delays, alpha, rho, beta, gamma, adaptive,
                      stp=None, stp_record=None):
    """:func:`backward_loop` in the compiled kernel; returns dL/dI_in and dL/dW_stack.

    ``gZ``, ``gV``, ``gA`` may be None (no gradient reaches that output): nothing is read for them. With
    short-term plasticity, ``stp`` and ``stp_record`` are those of :func:`forward_compiled`; the STP
    parameters themselves get no gradient.
    """
    T, B, n = Z.shape
    dtype = Z.dtype
    Ibar = WORKSPACE.empty((T, B, n), dtype)
    gWT = torch.zeros((len(delays), n, n), dtype=dtype)
    d = torch.tensor(delays, dtype=torch.int64)
    g = [None if x is None else x.contiguous() for x in (gZ, gV, gA)]
    vec = [v.contiguous() for v in (alpha, rho, beta)]
    W = W_stack.contiguous()
    U, Fd, Dd = (None, None, None) if stp is None else stp
    S, Us, Rs = (None, None, None) if stp is None else stp_record
    lib.call("lsnn_backward", dtype, T=T, B=B, n=n, nd=len(delays), delays=d, gZ=g[0], gV=g[1], gA=g[2], Z=Z, Vs=Vs, As=As, OK=OK,
             CLAMP=CLAMP, W=W, alpha=vec[0], rho=vec[1], beta=vec[2], gamma=float(gamma), adaptive=int(adaptive), S=S, Us=Us,
             Rs=Rs, stp_U=U, stp_Fd=Fd, stp_Dd=Dd, Ibar=Ibar, gWT=gWT, n_threads=torch.get_num_threads())
    return Ibar, gWT.transpose(1, 2)


def _compiled_kernel(*tensors: Tensor):
    if any(t.device.type != "cpu" for t in tensors):
        return None
    return load_kernel()


class LSNNRecurrence(torch.autograd.Function):
    """``(I_in, W_stack) -> (Z, V, A)`` for time-major tensors, with the hand-written backward.

    On CPU the loops run in the compiled kernel (:mod:`lsnn.training.kernel`) when it is available,
    otherwise (and on other devices) in the pure-PyTorch :func:`forward_loop` / :func:`backward_loop`.
    """

    @staticmethod
    def forward(ctx, I_in, W_stack, delays, alpha, rho, beta, b0, A_min, n_ref, gamma, adaptive):  # noqa: D102
        lib = _compiled_kernel(I_in)
        if lib is not None:
            Z, Vs, As, OK, CLAMP = forward_compiled(lib, I_in, W_stack, delays, alpha, rho, beta, b0, A_min, n_ref, adaptive)
        else:
            Z, Vs, As, OK, CLAMP = forward_loop(I_in, W_stack, delays, alpha, rho, beta, b0, A_min, n_ref, adaptive)
        ctx.save_for_backward(Z, Vs, As, OK, W_stack, alpha, rho, beta, *(() if CLAMP is None else (CLAMP,)))
        ctx.delays, ctx.gamma, ctx.adaptive, ctx.compiled = delays, gamma, adaptive, lib is not None
        ctx.mark_non_differentiable(OK)
        ctx.set_materialize_grads(False)  # unused outputs (often V and A) get no zero-filled gradient
        return Z, Vs, As

    @staticmethod
    def backward(ctx, gZ, gV, gA):  # noqa: D102
        Z, Vs, As, OK, W_stack, alpha, rho, beta, *clamp = ctx.saved_tensors
        rest = (Z, Vs, As, OK, clamp[0] if clamp else None, W_stack, ctx.delays, alpha, rho, beta, ctx.gamma, ctx.adaptive)
        if ctx.compiled:
            gI, gW = backward_compiled(load_kernel(), gZ, gV, gA, *rest)
        else:
            gZ, gV, gA = (torch.zeros_like(Z) if g is None else g for g in (gZ, gV, gA))
            gI, gW = backward_loop(gZ, gV, gA, *rest)
        return gI, gW, None, None, None, None, None, None, None, None, None


class ForwardRecord:
    """The compiled forward pass's compact record (kernel-owned memory), freed with this object.

    Holds, per trial and step, only the neurons whose pseudo-derivative is nonzero or that spiked:
    what :class:`LSNNLean`'s backward pass reads instead of dense Z, V, A arrays.
    """

    def __init__(self, lib, handle: int, dtype: torch.dtype) -> None:
        self.lib, self.handle, self.dtype = lib, handle, dtype

    def free(self) -> None:
        if self.handle:
            self.lib.call("lsnn_record_free", self.dtype, rec=self.handle)
            self.handle = None

    def __del__(self) -> None:
        self.free()


class LSNNLean(torch.autograd.Function):
    """``(x, W_in, W_stack, W_out) -> (Z, U)`` with input projection and readout fused (compiled kernel).

    ``x`` (B, T, n_in) batch-major inputs (spikes or analog, one input delay ``d_in``), ``U = Z W_out^T``
    (T, B, n_out) before the readout filter. The same map and gradients as :class:`LSNNRecurrence`
    with :class:`SparseInputProjection` and ``Z @ W_out.T``, but the memory of one training iteration
    is the returned spikes plus a compact record of the neurons with nonzero pseudo-derivative (see
    ``lsnn_kernel.cpp``, "Memory-lean training path"): no (T, B, n) input currents, potentials,
    thresholds, spike gradients or adjoints are ever stored. V and A are not returned. ``i_ext`` (B, T, n)
    or None: a current added to the input current of every step, as in the dense path (a constant here, e.g.
    the training noise of :mod:`lsnn.training.noise`: it gets no gradient). ``stp``: None, or presynaptic
    short-term plasticity as ``(U, F_decay, D_decay)``, contiguous (n,) vectors (the map of
    :func:`~lsnn.training.stp.stp_recurrence`; the record then holds u and r of each entry as well).
    ``counts=True`` returns ``(C, U)`` instead, ``C`` (B, n) the spikes of each neuron summed over the T steps
    (what a rate regulariser needs): no (T, B, n) spike array exists either. Its gradient reaches the kernel as
    dL/dZ(t) = dL/dC for every t (a view with time stride 0).
    """

    @staticmethod
    def forward(ctx, x, W_in, W_stack, W_out, d_in, delays, alpha, rho, beta, b0, A_min, n_ref, gamma, adaptive, i_ext=None,  # noqa: D102
                stp=None, counts=False):
        lib = load_kernel()
        B, T, n_in = x.shape
        n, k = W_stack.shape[1], W_out.shape[0]
        dtype = x.dtype
        x = x.contiguous()
        WinT = W_in.T.contiguous()
        WsT = (W_stack * (1 - alpha)[None, :, None]).transpose(1, 2).contiguous()
        WoutT = W_out.T.contiguous()
        # not pooled: freed as soon as the caller drops them
        Z = None if counts else torch.empty((T, B, n), dtype=dtype)
        C = torch.empty((B, n), dtype=dtype) if counts else None
        U = torch.empty((T, B, k), dtype=dtype)
        stp_U, stp_Fd, stp_Dd = (None, None, None) if stp is None else stp
        d = torch.tensor(delays, dtype=torch.int64)
        vec = [v.contiguous() for v in (alpha, rho, beta, b0, A_min)]
        nref = n_ref.to(dtype).contiguous()
        alpha_, rho_, beta_, b0_, A_min_ = vec
        handle = lib.call("lsnn_lean_forward", dtype, T=T, B=B, n=n, nd=len(delays), delays=d, n_in=n_in, d_in=int(d_in), x=x,
                          WinT=WinT, WsT=WsT, k_out=k, WoutT=WoutT, alpha=alpha_, rho=rho_, beta=beta_, b0=b0_, A_min=A_min_,
                          n_ref=nref, gamma=float(gamma), iext=None if i_ext is None else i_ext.contiguous(), stp_U=stp_U,
                          stp_Fd=stp_Fd, stp_Dd=stp_Dd, Z=Z, C=C, U=U, n_threads=torch.get_num_threads())
        ctx.record = ForwardRecord(lib, handle, dtype)
        ctx.stp = stp
        ctx.save_for_backward(x, W_stack, W_out, alpha, rho, beta)
        ctx.d_in, ctx.delays, ctx.gamma, ctx.adaptive = int(d_in), delays, gamma, adaptive
        ctx.counts = counts
        ctx.set_materialize_grads(False)
        return (C if counts else Z), U

    @staticmethod
    def backward(ctx, gZ, gU):  # noqa: D102
        x, W_stack, W_out, alpha, rho, beta = ctx.saved_tensors
        if not ctx.record.handle:
            raise RuntimeError("the memory-lean LSNN path frees its forward record in the first backward pass; "
                               "for retain_graph=True / double backward, call the model with record_state=True.")
        lib = load_kernel()
        B, T, n_in = x.shape
        nd, n = W_stack.shape[0], W_stack.shape[1]
        k = W_out.shape[0]
        dtype = x.dtype
        gWinT = torch.zeros((n_in, n), dtype=dtype)
        gWT = torch.zeros((nd, n, n), dtype=dtype)
        gWoutT = torch.zeros((n, k), dtype=dtype)
        d = torch.tensor(ctx.delays, dtype=torch.int64)
        W = W_stack.contiguous()
        Wo = W_out.contiguous()
        vec = [v.contiguous() for v in (alpha, rho, beta)]
        gU = None if gU is None else gU.contiguous()
        stp = (None, None, None) if ctx.stp is None else ctx.stp
        # dL/dZ is read through its strides: a rate penalty's gradient (an expanded view) stays unmaterialised;
        # the gradient of spike counts (B, n) is dL/dZ(t) for every step t (time stride 0)
        if gZ is None:
            strides = (0, 0, 0)
        else:
            strides = (0, *gZ.stride()) if ctx.counts else gZ.stride()
        lib.call("lsnn_lean_backward", dtype, rec=ctx.record.handle, nd=nd, delays=d, n_in=n_in, d_in=ctx.d_in, x=x, W=W, k_out=k,
                 Wout=Wo, alpha=vec[0], rho=vec[1], beta=vec[2], gamma=float(ctx.gamma), adaptive=int(ctx.adaptive), gZ=gZ,
                 s_t=strides[0], s_b=strides[1], s_j=strides[2], gU=gU, stp_U=stp[0], stp_Fd=stp[1], stp_Dd=stp[2],
                 gWinT=gWinT, gWT=gWT, gWoutT=gWoutT, n_chunks=LEAN_CHUNKS, n_threads=torch.get_num_threads())
        ctx.record.free()  # the graph is not retained for a second backward through this record
        return None, gWinT.T, gWT.transpose(1, 2), gWoutT.T, *([None] * 13)


def lean_recurrence(x: Tensor, W_in: Tensor, W_stack: Tensor, W_out: Tensor, d_in: int, delays, alpha, rho, beta,
                    b0, A_min, n_ref, gamma: float, adaptive: bool, i_ext: Tensor | None = None,
                    stp: tuple[Tensor, Tensor, Tensor] | None = None, counts: bool = False) -> tuple[Tensor, Tensor] | None:
    """:class:`LSNNLean` where it applies (CPU, compiled kernel, ``x`` and ``i_ext`` without gradient), else None.

    ``stp``: None or ``(U, F_decay, D_decay)`` (scalars or (n,); ``F_decay = exp(-dt/F)``), without gradient.
    ``counts``: return spike counts (B, n) instead of spikes (T, B, n) (:class:`LSNNLean`)."""
    if x.requires_grad or (i_ext is not None and i_ext.requires_grad) or _compiled_kernel(x, W_in, W_stack, W_out) is None:
        return None
    if stp is not None:
        n = W_stack.shape[1]
        stp = tuple(torch.as_tensor(v, dtype=x.dtype).detach().expand(n).contiguous() for v in stp)
    return LSNNLean.apply(x, W_in, W_stack, W_out, d_in, delays, alpha, rho, beta, b0, A_min, n_ref, gamma, adaptive, i_ext, stp,
                          counts)


class ExponentialFilter(torch.autograd.Function):
    """``y(t) = kappa y(t-1) + (1 - kappa) u(t)``, y(-1) = 0, for time-major u (T, B, k).

    The adjoint runs the same filter backwards: ``s(t) = g(t) + kappa s(t+1)``, ``gu(t) = (1 - kappa) s(t)``.
    """

    @staticmethod
    def forward(ctx, u, kappa):  # noqa: D102
        lib = _compiled_kernel(u)
        ctx.save_for_backward(kappa)
        ctx.compiled = lib is not None
        if lib is not None:
            return _filter_compiled(lib, u, kappa, reverse=False)
        y = torch.empty_like(u)
        gain = 1 - kappa
        state = torch.zeros_like(u[0])
        for t in range(u.shape[0]):
            state = torch.addcmul(kappa * state, gain, u[t])
            y[t] = state
        return y

    @staticmethod
    def backward(ctx, g):  # noqa: D102
        (kappa,) = ctx.saved_tensors
        if ctx.compiled:
            return _filter_compiled(load_kernel(), g, kappa, reverse=True), None
        gu = torch.empty_like(g)
        state = torch.zeros_like(g[0])
        for t in range(g.shape[0] - 1, -1, -1):
            state = torch.addcmul(g[t], kappa, state)
            gu[t] = state
        return gu * (1 - kappa), None


def _filter_compiled(lib, u: Tensor, kappa: Tensor, reverse: bool) -> Tensor:
    T = u.shape[0]
    u = u.contiguous()
    M = u[0].numel() if T else 0
    kappa_m = kappa.expand(u.shape[1:]).contiguous()
    y = torch.empty_like(u)
    lib.call("lsnn_filter", u.dtype, T=T, M=M, kappa_m=kappa_m, u=u, y=y, reverse=int(reverse))
    return y


class SparseInputProjection(torch.autograd.Function):
    """``I[t, b] = W x[b, t - d]`` (time-major output, zero for t < d) visiting only nonzero inputs.

    For spike inputs (mostly zeros) this replaces a dense (B T x n_in) @ (n_in x n) product, forward and
    for the weight gradient ``dL/dW[j, i] = sum_{t,b} dL/dI[t + d, b, j] x[b, t, i]``; compiled kernel only.
    """

    @staticmethod
    def forward(ctx, x, W, d):  # noqa: D102
        lib = load_kernel()
        B, T, n_in = x.shape
        n = W.shape[0]
        x = x.contiguous()
        I = WORKSPACE.empty((T, B, n), x.dtype)
        WT = W.T.contiguous()
        lib.call("lsnn_project", x.dtype, T=T, B=B, n_in=n_in, n=n, d=int(d), x=x, WT=WT, I=I, n_threads=torch.get_num_threads())
        ctx.save_for_backward(x)
        ctx.d, ctx.n = int(d), n
        return I

    @staticmethod
    def backward(ctx, gI):  # noqa: D102
        (x,) = ctx.saved_tensors
        B, T, n_in = x.shape
        gWT = torch.zeros((n_in, ctx.n), dtype=x.dtype)
        load_kernel().call("lsnn_project_grad", x.dtype, T=T, B=B, n_in=n_in, n=ctx.n, d=ctx.d, x=x, gI=gI.contiguous(), gWT=gWT,
                           n_threads=torch.get_num_threads())
        return None, gWT.T, None


def sparse_input_projection(x: Tensor, W: Tensor, d: int) -> Tensor | None:
    """:class:`SparseInputProjection` where it applies (CPU, compiled kernel, ``x`` without gradient), else None."""
    if x.requires_grad or _compiled_kernel(x, W) is None:
        return None
    return SparseInputProjection.apply(x, W, d)


def exponential_filter(u: Tensor, kappa: Tensor) -> Tensor:
    """Leaky readout integration along the time axis 0 (see :class:`ExponentialFilter`)."""
    return ExponentialFilter.apply(u, kappa)
