"""Build an explicit ``brian2.Network`` from a :class:`~lsnn.models.spec.NetworkSpec`.

The network simulates ``n_copies`` independent trials side by side (neuron ``c*n_rec + j`` is neuron j
of trial c; synapses never cross trials), so that many trials share one compilation. Synapses are
either one ``Synapses`` object per pathway with per-synapse (heterogeneous) delays, or, with
``split_delays=True``, one object per (pathway, delay value) with a homogeneous delay of ``d*dt``:
Brian2GeNN supports only homogeneous delays. Fewer objects compile faster (Cython compiles each
code object separately), so splitting is used only where needed. A Brian2 delay of ``d*dt`` is
exactly a delay of d steps of the discrete-time map (see :mod:`lsnn.models.neurons`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from brian2 import (
    Clock,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    amp,
    second,
    volt,
)

from .neurons import (
    ALIF_EQS,
    ALIF_ON_PRE,
    ALIF_RESET,
    ALIF_SYNAPSE,
    ALIF_THRESHOLD,
    R_M,
    READOUT_EQS,
    READOUT_ON_PRE,
    READOUT_SYNAPSE,
    STP_EQS,
    STP_ON_PRE_DELAYED,
    STP_ON_PRE_SAME_STEP,
    STP_RESET,
    with_shared,
)
from .spec import NetworkSpec

SpikeInput = Literal["generator", "timedarray"]

#: Threshold of the input group in "timedarray" mode: channel i spikes at step n iff x[n, i] = 1.
INPUT_THRESHOLD = "x_in(t, i) > 0.5"


@dataclass
class BuiltNetwork:
    """A Brian2 network for ``n_copies`` trials, with the handles ``simulate`` needs."""

    network: Network
    namespace: dict
    n_copies: int
    n_steps: int
    neurons: NeuronGroup
    readout: NeuronGroup
    spike_monitor: SpikeMonitor
    output_monitor: StateMonitor
    state_monitor: StateMonitor | None
    x_in: TimedArray | None  # spike input values ("timedarray" mode), shape (T, n_copies*n_in)
    I_drive: TimedArray | None  # continuous drive (amp), shape (T+1, n_copies*n_rec)


def input_timed_array(x: np.ndarray, dt: float) -> TimedArray:
    """2-D TimedArray of spike inputs: ``x`` (copies, T, n_in) 0/1 -> values (T, copies*n_in)."""
    copies, T, n_in = x.shape
    values = np.ascontiguousarray(x.transpose(1, 0, 2).reshape(T, copies * n_in), dtype=np.float64)
    return TimedArray(values, dt=dt * second, name="x_in")


def drive_values(drive: np.ndarray) -> np.ndarray:
    """Continuous drive (copies, T, n_rec) in volts -> TimedArray values (T+1, copies*n_rec) in amperes.

    Row n+1 holds the drive of step n, because Brian2's state update at step n+1 integrates the
    interval [t_n, t_{n+1}] (DESIGN.md "The model"); row 0 is zero (V(0) = 0).
    """
    copies, T, n_rec = drive.shape
    values = np.zeros((T + 1, copies * n_rec))
    values[1:] = drive.transpose(1, 0, 2).reshape(T, copies * n_rec)
    return values / float(R_M)


def _copy_indices(pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int, copies: int) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.arange(copies)[:, None]
    i = (pre[None, :] + offsets * n_pre).ravel()
    j = (post[None, :] + offsets * n_post).ravel()
    return i.astype(np.int32), j.astype(np.int32)


def _connect(
    name: str,
    source,
    target,
    W: np.ndarray,
    mask: np.ndarray,
    delays: np.ndarray,
    copies: int,
    model: str,
    on_pre: str,
    clock: Clock,
    split_delays: bool,
) -> list[Synapses]:
    """Synapses for the non-zero connected entries of ``W`` (post, pre), replicated per copy.

    One object per delay value (a scalar delay: Brian2's faster homogeneous spike queue) when
    ``split_delays`` is set or all delays are equal; otherwise one object with per-synapse delays.
    """
    n_post, n_pre = W.shape
    active = mask & (W != 0)
    if not active.any():
        return []
    values = np.unique(delays[active])
    groups = [(int(d), active & (delays == d)) for d in values] if split_delays or len(values) == 1 else [(None, active)]
    objects = []
    for d, selected in groups:
        post, pre = np.nonzero(selected)
        S = Synapses(
            source,
            target,
            model=model,
            on_pre=on_pre,
            delay=None if d is None else d * clock.dt_ * second,
            clock=clock,
            name=name if d is None else f"{name}_d{d}",
        )
        i, j = _copy_indices(pre, post, n_pre, n_post, copies)
        S.connect(i=i, j=j)
        S.w = np.tile(W[post, pre], copies) * volt
        if d is None:
            S.delay = np.tile(delays[post, pre] * clock.dt_, copies) * second
        objects.append(S)
    return objects


def check_stp_delays(spec: NetworkSpec) -> None:
    """Refuse STP networks whose Brian2 form would not be exact: a delayed synapse reads the efficacy of
    its presynaptic neuron's *last* spike, which is the spike it carries only if the delay is at most
    ``max(n_ref, 1)`` steps of that neuron (no newer spike can occur in between)."""
    active = spec.mask_rec & (spec.W_rec != 0)
    limit = np.maximum(spec.n_ref, 1)[None, :]
    bad = active & (spec.d_rec > limit)
    if bad.any():
        post, pre = (int(k) for k in np.argwhere(bad)[0])
        raise ValueError(
            f"STP synapse {pre} -> {post} has delay {int(spec.d_rec[post, pre])} steps, longer than the refractory period "
            f"max(n_ref, 1) = {int(limit[0, pre])} of neuron {pre}: Brian2 could deliver the efficacy of a newer spike. "
            "Use delays <= max(n_ref, 1) with short-term plasticity."
        )


def build_network(
    spec: NetworkSpec,
    x: np.ndarray,
    drive: np.ndarray | None = None,
    *,
    spike_input: SpikeInput = "generator",
    record_v: bool = True,
    record_threshold: bool = False,
    split_delays: bool = False,
    shared_constants: bool = True,
    drive_by_operation: bool = False,
    clock: Clock | None = None,
) -> BuiltNetwork:
    """Build the Brian2 network of ``spec`` for a batch of trials.

    Parameters
    ----------
    spec : NetworkSpec
        The network.
    x : ndarray, shape (copies, T, n_in)
        Spike inputs (0/1) when ``spec.input_kind == "spike"``; ignored (only its shape is used)
        for analog input, which must already be folded into ``drive``.
    drive : ndarray, shape (copies, T, n_rec), optional
        Continuous input in volts (R_m times current): analog input projected through ``W_in``
        with its delays, plus the injected current ``i_ext``.
    spike_input : {"generator", "timedarray"}
        ``SpikeGeneratorGroup`` (runtime targets, GeNN) or a NeuronGroup thresholded on a 2-D
        ``TimedArray`` whose values ``device.run(run_args=...)`` can replace without recompiling
        (C++/CUDA standalone).
    record_v, record_threshold : bool
        Record V(t) and A(t) as used by the threshold test (``thresholds`` slot, before it).
    split_delays : bool
        One ``Synapses`` object per delay value (homogeneous delays; needed by Brian2GeNN).
    shared_constants : bool
        Declare time constants that every neuron shares (``tau_m``, ``tau_a``, ``t_ref``, ``tau_out``) as
        shared group parameters, so that their decay factors are computed once per step rather than
        per neuron and per synaptic event (off for Brian2GeNN).
    drive_by_operation : bool
        Read the continuous drive into a parameter ``I_inj`` with a ``run_regularly`` operation at the
        start of each step instead of a subexpression ``I_inj = I_drive(t, i)`` (the same value in the
        same step; Brian2GeNN allows TimedArrays only in such operations).
    clock : brian2.Clock, optional
        The clock of every object (default: a new ``Clock(dt)``).
    """
    copies, T, n_in = x.shape
    n_rec, n_out = spec.n_rec, spec.n_out
    clock = clock if clock is not None else Clock(dt=spec.dt * second, name="lsnn_clock")
    namespace: dict = {"R_m": R_M}

    x_ta = None
    if spec.input_kind == "spike":
        if spike_input == "generator":
            trial, step, channel = np.nonzero(x)
            order = np.lexsort((trial * n_in + channel, step))
            inputs = SpikeGeneratorGroup(
                copies * n_in,
                (trial * n_in + channel)[order].astype(np.int32),
                (step[order] * spec.dt) * second,
                clock=clock,
                name="inputs",
            )
        elif spike_input == "timedarray":
            x_ta = input_timed_array(x, spec.dt)
            namespace["x_in"] = x_ta
            inputs = NeuronGroup(copies * n_in, "", threshold=INPUT_THRESHOLD, reset="", clock=clock, name="inputs")
        else:
            raise ValueError(f"spike_input must be 'generator' or 'timedarray'; got {spike_input!r}.")

    def uniform(values) -> bool:
        return shared_constants and values.size > 0 and bool(np.all(values == values.flat[0]))

    constants = [("tau_m", spec.tau_m), ("tau_a", spec.tau_a), ("t_ref", spec.n_ref)]
    eqs, reset = ALIF_EQS, ALIF_RESET
    if spec.has_stp:
        check_stp_delays(spec)
        constants += [("U_stp", spec.stp_U), ("tau_F", spec.stp_F), ("tau_D", spec.stp_D)]
        eqs, reset = eqs + STP_EQS, reset + STP_RESET
    shared = {name for name, values in constants if uniform(values)}
    drive_ta = None
    eqs = with_shared(eqs, shared)
    if drive is not None:
        drive_ta = TimedArray(drive_values(drive) * amp, dt=spec.dt * second, name="I_drive")
        namespace["I_drive"] = drive_ta
        eqs += "I_inj : amp\n" if drive_by_operation else "I_inj = I_drive(t, i) : amp\n"
    else:
        eqs += "I_inj = 0*amp : amp\n"

    neurons = NeuronGroup(
        copies * n_rec,
        eqs,
        threshold=ALIF_THRESHOLD,
        reset=reset,
        refractory="t_ref",
        method="exponential_euler",
        clock=clock,
        name="neurons",
    )
    if drive is not None and drive_by_operation:  # a contained object of ``neurons``: runs with it
        neurons.run_regularly("I_inj = I_drive(t, i)", when="start", clock=clock, name="drive_update")
    tile = lambda a: np.tile(a, copies)  # noqa: E731 - per-neuron parameters, one block per trial
    neurons.tau_m = (spec.tau_m[0] if "tau_m" in shared else tile(spec.tau_m)) * second
    neurons.tau_a = (spec.tau_a[0] if "tau_a" in shared else tile(spec.tau_a)) * second
    neurons.b0 = tile(spec.b0) * volt
    neurons.beta = tile(spec.beta) * volt
    neurons.A_min = tile(spec.A_min) * volt
    neurons.t_ref = ((spec.n_ref[0] if "t_ref" in shared else tile(spec.n_ref)) * spec.dt) * second
    if spec.has_stp:
        neurons.U_stp = spec.stp_U[0] if "U_stp" in shared else tile(spec.stp_U)
        neurons.tau_F = (spec.stp_F[0] if "tau_F" in shared else tile(spec.stp_F)) * second
        neurons.tau_D = (spec.stp_D[0] if "tau_D" in shared else tile(spec.stp_D)) * second

    readout_shared = {"tau_out"} if uniform(spec.tau_out) else set()
    readout = NeuronGroup(copies * n_out, with_shared(READOUT_EQS, readout_shared), method="exponential_euler", clock=clock, name="readout")
    readout.tau_out = (spec.tau_out[0] if readout_shared else np.tile(spec.tau_out, copies)) * second
    readout.b_out = np.tile(spec.b_out, copies) * volt

    synapses = []
    if spec.input_kind == "spike":
        synapses += _connect("syn_in", inputs, neurons, spec.W_in, spec.mask_in, spec.d_in, copies, ALIF_SYNAPSE, ALIF_ON_PRE, clock, split_delays)
    if spec.has_stp:  # the efficacy is read before the reset (delay 0) or from the last spike (delay >= 1)
        for name, selected, on_pre in (("syn_rec0", spec.d_rec == 0, STP_ON_PRE_SAME_STEP), ("syn_rec", spec.d_rec > 0, STP_ON_PRE_DELAYED)):
            synapses += _connect(name, neurons, neurons, spec.W_rec, spec.mask_rec & selected, spec.d_rec, copies, ALIF_SYNAPSE, on_pre, clock, split_delays)
    else:
        synapses += _connect("syn_rec", neurons, neurons, spec.W_rec, spec.mask_rec, spec.d_rec, copies, ALIF_SYNAPSE, ALIF_ON_PRE, clock, split_delays)
    no_delay = np.zeros(spec.W_out.shape, dtype=np.int64)
    synapses += _connect("syn_out", neurons, readout, spec.W_out, spec.mask_out, no_delay, copies, READOUT_SYNAPSE, READOUT_ON_PRE, clock, True)

    spike_monitor = SpikeMonitor(neurons, name="spike_monitor")
    output_monitor = StateMonitor(readout, "o", record=True, when="end", clock=clock, name="output_monitor")
    state_vars = [name for name, on in (("v", record_v), ("A", record_threshold)) if on]
    state_monitor = None
    if state_vars:
        state_monitor = StateMonitor(neurons, state_vars, record=True, when="thresholds", order=-1, clock=clock, name="state_monitor")

    objects = [neurons, readout, *synapses, spike_monitor, output_monitor]
    if spec.input_kind == "spike":
        objects.append(inputs)
    if state_monitor is not None:
        objects.append(state_monitor)
    return BuiltNetwork(
        network=Network(*objects, name="lsnn_network"),
        namespace=namespace,
        n_copies=copies,
        n_steps=T,
        neurons=neurons,
        readout=readout,
        spike_monitor=spike_monitor,
        output_monitor=output_monitor,
        state_monitor=state_monitor,
        x_in=x_ta,
        I_drive=drive_ta,
    )
