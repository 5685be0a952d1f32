"""``LSNN``: the PyTorch implementation of the LSNN map (DESIGN.md "The model"; NeurIPS suppl. eqs. 4-7).

The map (potential, adaptive threshold, spike with refractoriness, delays, readout) is written once, in
the docstring of :mod:`lsnn.models.reference` (the NumPy golden model); this module implements exactly
that map, in float32 or float64. For training, the spike gets the dampened pseudo-derivative of
:mod:`lsnn.training.pseudo_derivative` with respect to ``v = (V - A)/A`` (gradients reach V and, through
A, the adaptation variable). Input projections for all steps are one matmul per distinct input delay;
recurrent delays are grouped by value; the recurrence runs in :mod:`lsnn.training.bptt` with a
hand-written backward pass. The same network in Brian2 is ``lsnn.models.simulate(net.to_spec(), x)``.
With short-term plasticity (``stp_U``, ``stp_F``, ``stp_D``; eLife Methods eqs. 6-10) training runs on the
same memory-lean fused path (the efficacies u, r in the kernel), the full-state path in
:mod:`lsnn.training.stp` (compiled kernel, else step by step under autograd).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from lsnn.models.spec import MAX_DT_OVER_TAU, NetworkSpec

from .bptt import LSNNRecurrence, exponential_filter, lean_recurrence, sparse_input_projection
from .stp import stp_recurrence


@dataclass
class StepState:
    """The state of :meth:`LSNN.step` between steps: step index, V, a, readout y (volts), steps since
    each neuron's last spike, recurrent currents arriving in the next ``max(d_rec) + 1`` steps (a ring
    buffer), the last ``max(d_in) + 1`` input vectors, and the constants of the rollout (masked weights,
    one-step decays) computed once by :meth:`LSNN.initial_state`."""

    t: int
    V: Tensor
    a: Tensor
    y: Tensor
    since_spike: Tensor
    arriving: Tensor
    past_inputs: Tensor
    W_rec_by_pre: Tensor  # (n_pre, n_post) masked
    d_rec_by_pre: Tensor
    W_in: Tensor  # masked
    W_out_T: Tensor  # (n_rec, n_out) masked
    alpha: Tensor
    rho: Tensor
    kappa: Tensor
    d_in_uniform: int | None

    def repeat(self, n: int) -> "StepState":
        """A new state with every trial copied ``n`` times (trial b becomes trials b*n .. b*n + n-1): to
        continue one history with several different inputs (probing what a network has learned so far)."""
        batch = {"V": 0, "a": 0, "y": 0, "since_spike": 0, "arriving": 1, "past_inputs": 1}
        copies = {name: getattr(self, name).repeat_interleave(n, dim=axis) for name, axis in batch.items()}
        constants = {name: getattr(self, name) for name in ("W_rec_by_pre", "d_rec_by_pre", "W_in", "W_out_T", "alpha", "rho", "kappa",
                                                            "d_in_uniform")}
        return StepState(t=self.t, **copies, **constants)


class LSNNOutput(NamedTuple):
    """Batch-major results of :meth:`LSNN.forward`; ``v[:, t]`` is V(t) as tested at step t."""

    spikes: Tensor | None  # (B, T, n_rec) 0/1; None with record_spikes=False
    outputs: Tensor  # (B, T, n_out) volts, o = y + b_out
    v: Tensor | None  # (B, T, n_rec) volts; None with record_state=False
    thresholds: Tensor | None  # (B, T, n_rec) volts, A(t); None with record_state=False
    spike_counts: Tensor | None = None  # (B, n_rec) spikes summed over the T steps; only with record_spikes=False


def _output(Z: Tensor, outputs: Tensor, V: Tensor | None, A: Tensor | None, record_spikes: bool) -> LSNNOutput:
    """Batch-major :class:`LSNNOutput` from time-major (T, B, .) results; spike counts instead of spikes
    with ``record_spikes=False``."""
    def batch_major(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.transpose(0, 1)

    if record_spikes:
        return LSNNOutput(batch_major(Z), batch_major(outputs), batch_major(V), batch_major(A))
    return LSNNOutput(None, batch_major(outputs), batch_major(V), batch_major(A), Z.sum(0))


def _vector(value: Any, n: int, name: str, dtype=torch.float64) -> Tensor:
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{name} must be a scalar or have shape ({n},); got {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return torch.as_tensor(np.array(arr), dtype=dtype)


def _matrix(value: Any, shape: tuple[int, int], name: str, default: Any, dtype) -> Tensor:
    arr = np.asarray(default if value is None else value)
    arr = np.broadcast_to(arr, shape) if arr.ndim == 0 else arr
    if arr.shape != shape:
        raise ValueError(f"{name} has shape {arr.shape}; expected {shape}.")
    return torch.as_tensor(np.array(arr), dtype=dtype)


class LSNN(nn.Module):
    """A recurrent network of LIF/ALIF/ELIF neurons with a leaky readout (see module docstring).

    Parameters
    ----------
    n_in, n_rec, n_out : int
        Numbers of input channels, recurrent neurons and readouts.
    W_in, W_rec, W_out : array_like, optional
        Initial weights in volts; default: Gaussian ``N(0, 1) / sqrt(n_pre)`` volts (NeurIPS suppl.,
        w0 = 1 V) drawn with ``seed``. Entries outside the masks are set to 0.
    tau_m, tau_a, beta, b0, A_min, n_ref : scalar or (n_rec,)
        Neuron parameters (s, s, V, V, V, steps). beta = 0: LIF, > 0: ALIF, < 0: ELIF with floor A_min.
    tau_out : scalar or (n_out,)
        Readout time constants, s.
    d_in, d_rec : int or int array
        Synaptic delays in steps (default 0 for inputs, 1 for recurrent synapses: the papers' 1 ms).
    sign, sign_in : (n_rec,), (n_in,) of {-1, 0, +1}, optional
        Dale's law signs of presynaptic neurons / input channels (0: free).
    mask_in, mask_rec, mask_out : bool arrays, optional
        Connectivity (default: all-to-all without self-connections).
    stp_U, stp_F, stp_D : scalar or (n_rec,), optional
        Short-term plasticity of each presynaptic neuron's recurrent synapses (eLife eqs. 6-10):
        utilisation U in (0, 1], facilitation and depression time constants F, D in seconds; all three or
        none (default: no STP).
    gamma : float
        Dampening factor of the pseudo-derivative (0.3 in both papers).
    dtype : torch.dtype
        float32 (training default) or float64 (validation).
    """

    def __init__(
        self,
        n_in: int,
        n_rec: int,
        n_out: int,
        *,
        W_in: Any = None,
        W_rec: Any = None,
        W_out: Any = None,
        b_out: Any = None,
        dt: float = 1e-3,
        tau_m: Any = 20e-3,
        tau_a: Any = 2.0,
        beta: Any = 0.0,
        b0: Any = 0.01,
        A_min: Any = 0.0,
        n_ref: Any = 3,
        tau_out: Any = 20e-3,
        d_in: Any = 0,
        d_rec: Any = 1,
        sign: Any = None,
        sign_in: Any = None,
        mask_in: Any = None,
        mask_rec: Any = None,
        mask_out: Any = None,
        input_kind: str = "spike",
        input_encoding: str = "",
        stp_U: Any = None,
        stp_F: Any = None,
        stp_D: Any = None,
        gamma: float = 0.3,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(f"dtype must be torch.float32 or torch.float64; got {dtype}.")
        self.dt, self.gamma = float(dt), float(gamma)
        self.input_kind, self.input_encoding = input_kind, input_encoding
        self.meta: dict = {}
        n = n_rec
        for name, value, size in (("tau_m", tau_m, n), ("tau_a", tau_a, n), ("beta", beta, n), ("b0", b0, n), ("A_min", A_min, n), ("tau_out", tau_out, n_out)):
            self.register_buffer(name, _vector(value, size, name, dtype))
        if (self.tau_m <= 0).any() or (self.tau_a <= 0).any() or (self.tau_out <= 0).any():
            raise ValueError("time constants tau_m, tau_a, tau_out must be positive.")
        for name in ("tau_m", "tau_a", "tau_out"):  # the same bound as NetworkSpec: both implementations refuse alike
            tau = float(getattr(self, name).min())
            if self.dt / tau > MAX_DT_OVER_TAU:
                raise ValueError(f"{name} has {tau:g} s, below dt/{MAX_DT_OVER_TAU:g} = {self.dt / MAX_DT_OVER_TAU:g} s: exp(dt/{name}) "
                                 "overflows double precision; use time constants of at least that.")
        if (torch.maximum(self.b0, self.A_min) <= 0).any():
            raise ValueError("thresholds must be positive: b0 (or its floor A_min) > 0 for every neuron.")
        stp = [value is not None for value in (stp_U, stp_F, stp_D)]
        if any(stp) and not all(stp):
            raise ValueError("short-term plasticity needs stp_U, stp_F and stp_D together.")
        for name, value in (("stp_U", stp_U), ("stp_F", stp_F), ("stp_D", stp_D)):
            self.register_buffer(name, None if value is None else _vector(value, n, name, dtype))
        if self.stp_U is not None and ((self.stp_U <= 0).any() or (self.stp_U > 1).any() or (self.stp_F <= 0).any() or (self.stp_D <= 0).any()):
            raise ValueError("short-term plasticity needs 0 < stp_U <= 1 and positive stp_F, stp_D (seconds).")
        for name in ("stp_F", "stp_D") if self.stp_U is not None else ():
            if self.dt / float(getattr(self, name).min()) > MAX_DT_OVER_TAU:
                raise ValueError(f"{name} is below dt/{MAX_DT_OVER_TAU:g}: exp(dt/{name}) overflows double precision in the Brian2 form.")
        self.register_buffer("n_ref", _vector(n_ref, n, "n_ref", torch.float64).round().to(torch.int64))
        self.register_buffer("sign", _vector(0 if sign is None else sign, n, "sign", torch.float64).to(torch.int8))
        self.register_buffer("sign_in", _vector(0 if sign_in is None else sign_in, n_in, "sign_in", torch.float64).to(torch.int8))
        no_self = ~np.eye(n, dtype=bool)
        self.register_buffer("mask_in", _matrix(mask_in, (n, n_in), "mask_in", True, torch.bool))
        self.register_buffer("mask_rec", _matrix(mask_rec, (n, n), "mask_rec", no_self, torch.bool) & torch.as_tensor(no_self))
        self.register_buffer("mask_out", _matrix(mask_out, (n_out, n), "mask_out", True, torch.bool))
        self.register_buffer("d_in", _matrix(d_in, (n, n_in), "d_in", 0, torch.int64))
        self.register_buffer("d_rec", _matrix(d_rec, (n, n), "d_rec", 1, torch.int64))
        if (self.d_in < 0).any() or (self.d_rec < 0).any():
            raise ValueError("delays must be non-negative whole steps.")
        gen = torch.Generator().manual_seed(int(seed))

        def init(value, shape, name):
            if value is None:
                return torch.randn(shape, generator=gen, dtype=torch.float64) / np.sqrt(shape[1])
            return _matrix(value, shape, name, 0.0, torch.float64)

        self.W_in = nn.Parameter((init(W_in, (n, n_in), "W_in") * self.mask_in).to(dtype))
        self.W_rec = nn.Parameter((init(W_rec, (n, n), "W_rec") * self.mask_rec).to(dtype))
        self.W_out = nn.Parameter((init(W_out, (n_out, n), "W_out") * self.mask_out).to(dtype))
        self.b_out = nn.Parameter(_vector(0.0 if b_out is None else b_out, n_out, "b_out", dtype))
        for name in ("W_in", "W_rec", "W_out", "b_out"):
            if not torch.isfinite(getattr(self, name)).all():
                raise ValueError(f"{name} contains NaN or infinite values.")

    # ------------------------------------------------------------------ sizes
    @property
    def n_in(self) -> int:
        return self.W_in.shape[1]

    @property
    def n_rec(self) -> int:
        return self.W_rec.shape[0]

    @property
    def n_out(self) -> int:
        return self.W_out.shape[0]

    @property
    def dtype(self) -> torch.dtype:
        return self.W_rec.dtype

    # ---------------------------------------------------------------- forward
    def _check_input(self, x: Tensor | np.ndarray, i_ext: Tensor | np.ndarray | None) -> tuple[Tensor, Tensor | None]:
        x = torch.as_tensor(x, dtype=self.dtype, device=self.W_rec.device)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[2] != self.n_in or x.shape[1] == 0:
            raise ValueError(f"x must have shape (batch, T, n_in={self.n_in}); got {tuple(x.shape)}.")
        # one reduction instead of a boolean tensor; the sum is finite iff every entry is (barring overflow)
        if not torch.isfinite(x.sum()) and not torch.isfinite(x).all():
            raise ValueError("x contains NaN or infinite values.")
        if i_ext is not None:
            i_ext = torch.as_tensor(i_ext, dtype=self.dtype, device=x.device)
            if i_ext.ndim == 2:
                i_ext = i_ext[None].expand(x.shape[0], -1, -1)
            if i_ext.shape != (x.shape[0], x.shape[1], self.n_rec):
                raise ValueError(f"i_ext must have shape {(x.shape[0], x.shape[1], self.n_rec)}; got {tuple(i_ext.shape)}.")
            if not torch.isfinite(i_ext).all():
                raise ValueError("i_ext contains NaN or infinite values.")
        return x, i_ext

    def input_current(self, x: Tensor, i_ext: Tensor | None = None) -> Tensor:
        """Time-major ``I_in(t) = sum_i W_in[j,i] x_i(t - d_in[j,i]) + I_ext(t)``, shape (T, B, n_rec)."""
        W = self.W_in * self.mask_in
        I = None
        d_uniform = self.uniform_input_delay()
        if self.input_kind == "spike" and d_uniform is not None:
            # spike inputs are mostly zeros: project only the spikes (compiled kernel, one delay value)
            I = sparse_input_projection(x, W, d_uniform)
        if I is not None:
            return I if i_ext is None else I + i_ext.transpose(0, 1)
        xt = x.transpose(0, 1)
        T = xt.shape[0]
        for d in torch.unique(self.d_in).tolist():
            Wd = W if d_uniform is not None else W * (self.d_in == d)
            if d == 0:
                part = xt @ Wd.T
            else:
                part = torch.nn.functional.pad(xt[: T - d] @ Wd.T, (0, 0, 0, 0, min(d, T), 0))
            I = part if I is None else I + part
        if i_ext is not None:
            I = I + i_ext.transpose(0, 1)
        return I

    def uniform_input_delay(self) -> int | None:
        """The input delay (steps) when all input synapses share one value, else None."""
        if self.d_in.numel() == 0:
            return 0
        return int(self.d_in.flatten()[0]) if bool(self.d_in.min() == self.d_in.max()) else None

    def recurrent_delays(self) -> tuple[int, ...]:
        """The distinct recurrent delay values (steps), in increasing order."""
        return tuple(torch.unique(self.d_rec[self.mask_rec]).tolist()) or (1,)

    def forward(self, x: Tensor | np.ndarray, i_ext: Tensor | np.ndarray | None = None, record_state: bool = True,
                record_spikes: bool = True) -> LSNNOutput:
        """Run a batch: ``x`` (B, T, n_in) spikes or analog values, ``i_ext`` (B, T, n_rec) volts.

        ``record_state=False`` returns no potentials and thresholds (``v`` and ``thresholds`` are None)
        and, on CPU with the compiled kernel, trains through the memory-lean fused path
        (:class:`~lsnn.training.bptt.LSNNLean`: input projection and readout inside the recurrence, a
        compact forward record instead of dense state; same map and gradients; with or without STP) --
        what training uses.

        ``record_spikes=False`` returns ``spike_counts`` (B, n_rec), each neuron's spikes summed over the
        steps (differentiable: what the rate regulariser needs), and ``spikes`` None; on the lean path no
        (T, B, n_rec) spike array is then made at all.
        """
        x, i_ext = self._check_input(x, i_ext)
        delays = self.recurrent_delays()
        W = self.W_rec * self.mask_rec
        W_stack = W[None] if len(delays) == 1 else torch.stack([W * (self.d_rec == d) for d in delays])
        dt = self.dt
        alpha, rho = torch.exp(-dt / self.tau_m), torch.exp(-dt / self.tau_a)
        adaptive = bool((self.beta != 0).any())
        kappa = torch.exp(-dt / self.tau_out)
        W_out = self.W_out * self.mask_out
        lean = None
        d_uniform = self.uniform_input_delay()
        stp = None if self.stp_U is None else (self.stp_U, torch.exp(-dt / self.stp_F), torch.exp(-dt / self.stp_D))
        if not record_state and d_uniform is not None:
            lean = lean_recurrence(x, self.W_in * self.mask_in, W_stack, W_out, d_uniform, delays, alpha, rho, self.beta,
                                   self.b0, self.A_min, self.n_ref, self.gamma, adaptive, i_ext, stp, counts=not record_spikes)
        if self.stp_U is not None and lean is None:
            Z, V, A = stp_recurrence(self.input_current(x, i_ext), W_stack, delays, alpha, rho, self.beta, self.b0, self.A_min,
                                     self.n_ref, self.gamma, *stp)
            outputs = exponential_filter(Z @ W_out.T, kappa) + self.b_out
            return _output(Z, outputs, V if record_state else None, A if record_state else None, record_spikes)
        if lean is not None:
            if record_spikes:
                Z, U = lean
            else:
                counts, U = lean
                outputs = exponential_filter(U, kappa) + self.b_out
                return LSNNOutput(None, outputs.transpose(0, 1), None, None, counts)
            V = A = None
        else:
            I_in = self.input_current(x, i_ext)
            Z, V, A = LSNNRecurrence.apply(I_in, W_stack, delays, alpha, rho, self.beta, self.b0, self.A_min, self.n_ref, self.gamma, adaptive)
            U = Z @ W_out.T
            if not record_state:
                V = A = None
        outputs = exponential_filter(U, kappa) + self.b_out
        return _output(Z, outputs, V, A, record_spikes)

    # -------------------------------------------------------------- step-wise
    @torch.no_grad()
    def initial_state(self, batch: int) -> "StepState":
        """The state before step 0 of ``batch`` trials, for :meth:`step` (V = a = y = 0, no past spikes),
        with the masked weights and one-step decays of the current parameters (valid until they change)."""
        kw = {"dtype": self.dtype, "device": self.W_rec.device}
        span = int(self.d_rec[self.mask_rec].max()) + 1 if bool(self.mask_rec.any()) else 1
        dt = self.dt
        return StepState(t=0, V=torch.zeros(batch, self.n_rec, **kw), a=torch.zeros(batch, self.n_rec, **kw),
                         y=torch.zeros(batch, self.n_out, **kw),
                         since_spike=torch.full((batch, self.n_rec), 10**9, dtype=torch.int64, device=self.W_rec.device),
                         arriving=torch.zeros(span, batch, self.n_rec, **kw),
                         past_inputs=torch.zeros(int(self.d_in.max()) + 1 if self.d_in.numel() else 1, batch, self.n_in, **kw),
                         W_rec_by_pre=(self.W_rec * self.mask_rec).T.contiguous(), d_rec_by_pre=self.d_rec.T.contiguous(),
                         W_in=(self.W_in * self.mask_in).detach().clone(), W_out_T=(self.W_out * self.mask_out).T.contiguous(),
                         alpha=torch.exp(-dt / self.tau_m), rho=torch.exp(-dt / self.tau_a), kappa=torch.exp(-dt / self.tau_out),
                         d_in_uniform=self.uniform_input_delay())

    @torch.no_grad()
    def step(self, state: "StepState", x_t: Tensor, i_ext_t: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One step of the map (:mod:`lsnn.models.reference`) for a batch, in place on ``state``: for
        environments that answer each step (meta-RL rollouts), where :meth:`forward` needs the whole
        input in advance. ``x_t`` (B, n_in), ``i_ext_t`` (B, n_rec) volts; returns z(t) (B, n_rec) and
        o(t) (B, n_out). The same inputs through :meth:`forward` give the same spikes (float64: exactly;
        tested). Recurrent spikes are projected as they are emitted, only from the neurons that spiked,
        into a ring buffer of the currents arriving 0..max(d_rec) steps later. No STP."""
        if self.stp_U is not None:
            raise ValueError("step() does not implement short-term plasticity; use forward().")
        t, L, B = state.t, state.arriving.shape[0], state.V.shape[0]
        A = torch.maximum(self.b0 + self.beta * state.a, self.A_min)
        z = ((state.V > A) & (state.since_spike >= self.n_ref)).to(self.dtype)
        state.since_spike = torch.where(z > 0, 1, state.since_spike + 1)
        trial, pre = torch.nonzero(z, as_tuple=True)
        if len(pre):  # row W_rec[:, pre] into the slots t + d_rec[:, pre] of the ring buffer
            n = self.n_rec
            slots = (t + state.d_rec_by_pre[pre]) % L  # (nnz, n_post)
            index = (slots * B + trial[:, None]) * n + torch.arange(n, device=z.device)
            state.arriving.view(-1).index_add_(0, index.view(-1), state.W_rec_by_pre[pre].view(-1))
        x_t = torch.as_tensor(x_t, dtype=self.dtype, device=self.W_rec.device)
        P = state.past_inputs.shape[0]
        state.past_inputs[t % P] = x_t
        if state.d_in_uniform is not None:
            d = state.d_in_uniform
            I = state.past_inputs[(t - d) % P] @ state.W_in.T if t >= d else torch.zeros_like(state.V)
        else:
            I = torch.zeros_like(state.V)
            for d in torch.unique(self.d_in).tolist():
                if t >= d:
                    I = I + state.past_inputs[(t - d) % P] @ (state.W_in * (self.d_in == d)).T
        I = I + state.arriving[t % L]
        state.arriving[t % L] = 0.0
        if i_ext_t is not None:
            I = I + torch.as_tensor(i_ext_t, dtype=self.dtype, device=self.W_rec.device)
        state.y = state.kappa * state.y + (1 - state.kappa) * (z @ state.W_out_T)
        state.V = state.alpha * state.V + (1 - state.alpha) * I - A * z
        state.a = state.rho * state.a + (1 - state.rho) * z
        state.t = t + 1
        return z, state.y + self.b_out

    # ------------------------------------------------------------ NetworkSpec
    @classmethod
    def from_spec(cls, spec: NetworkSpec, *, gamma: float = 0.3, dtype: torch.dtype = torch.float64) -> "LSNN":
        """Build the module from a validated :class:`NetworkSpec` (float64 by default, for validation)."""
        net = cls(
            spec.n_in, spec.n_rec, spec.n_out,
            W_in=spec.W_in, W_rec=spec.W_rec, W_out=spec.W_out, b_out=spec.b_out, dt=spec.dt,
            tau_m=spec.tau_m, tau_a=spec.tau_a, beta=spec.beta, b0=spec.b0, A_min=spec.A_min, n_ref=spec.n_ref,
            tau_out=spec.tau_out, d_in=spec.d_in, d_rec=spec.d_rec, sign=spec.sign, sign_in=spec.sign_in,
            mask_in=spec.mask_in, mask_rec=spec.mask_rec, mask_out=spec.mask_out,
            input_kind=spec.input_kind, input_encoding=spec.input_encoding, stp_U=spec.stp_U, stp_F=spec.stp_F,
            stp_D=spec.stp_D, gamma=gamma, dtype=dtype,
        )
        net.meta = dict(spec.meta)
        return net

    def to_spec(self, meta: dict | None = None) -> NetworkSpec:
        """Export as a :class:`NetworkSpec` (float64 arrays; weights outside the masks are exactly 0)."""

        def np64(t: Tensor) -> np.ndarray:
            return t.detach().cpu().to(torch.float64).numpy().copy()

        return NetworkSpec(
            dt=self.dt, tau_m=np64(self.tau_m), tau_a=np64(self.tau_a), beta=np64(self.beta), b0=np64(self.b0),
            A_min=np64(self.A_min), n_ref=self.n_ref.cpu().numpy().copy(), sign=self.sign.cpu().numpy().astype(np.int64),
            sign_in=self.sign_in.cpu().numpy().astype(np.int64),
            W_in=np64(self.W_in * self.mask_in), W_rec=np64(self.W_rec * self.mask_rec), W_out=np64(self.W_out * self.mask_out),
            b_out=np64(self.b_out), tau_out=np64(self.tau_out), d_in=self.d_in.cpu().numpy().copy(), d_rec=self.d_rec.cpu().numpy().copy(),
            mask_in=self.mask_in.cpu().numpy().copy(), mask_rec=self.mask_rec.cpu().numpy().copy(), mask_out=self.mask_out.cpu().numpy().copy(),
            input_kind=self.input_kind, input_encoding=self.input_encoding, meta={**self.meta, **(meta or {})},
            **{name: None if getattr(self, name) is None else np64(getattr(self, name)) for name in ("stp_U", "stp_F", "stp_D")},
        )
