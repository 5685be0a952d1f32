"""Build an explicit ``brian2.Network`` from a :class:`~lsnn.models.spec.NetworkSpec`.

The network simulates ``n_copies`` independent trials side by side (neuron ``c*n_rec + j`` is neuron j
of trial c; synapses never cross trials), so that many trials share one compilation. It is assembled by
four builders, one per part: :func:`build_inputs` (spike input), :func:`build_neurons` (the recurrent
LIF/ALIF/ELIF group, with the continuous drive and short-term plasticity), :func:`build_readout` and
:func:`build_synapses` (input, recurrent and readout pathways), plus :func:`build_monitors`. How the
network is laid out for a device (:class:`NetworkLayout`) is chosen by the device's runner in
:mod:`lsnn.models.simulation`. The equations come from :mod:`lsnn.models.neurons`;
:func:`network_equations` prints the final equations of a network as Brian2 receives them.

Synapses are either one ``Synapses`` object per pathway with per-synapse (heterogeneous) delays, or,
with ``split_delays``, one object per (pathway, delay value) with a homogeneous delay of ``d*dt``:
Brian2GeNN supports only homogeneous delays. Fewer objects compile faster (Cython compiles each code
object separately), so splitting is used only where needed. A Brian2 delay of ``d*dt`` is exactly a
delay of d steps of the discrete-time map (see :mod:`lsnn.models.neurons`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from brian2 import (
    Clock,
    Equations,
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
    ALIF_FLOOR_WITHOUT_CLIP,
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
    STP_ON_PRE_PER_SYNAPSE,
    STP_ON_PRE_SAME_STEP,
    STP_RESET,
    STP_SYNAPSE,
    with_shared,
)
from .spec import NetworkSpec

SpikeInput = Literal["generator", "timedarray"]

#: Input bits packed into one TimedArray value in "timedarray" mode: integers below 2**30 are exact doubles, and
#: every operation below is exact on them (division by a power of two, floor, remainder).
INPUT_BITS = 30
#: Threshold of the input group in "timedarray" mode: channel i spikes at step n iff bit i % 30 of the packed value
#: x_in[n, i // 30] is set (:func:`input_timed_array`), i.e. iff x[n, i] = 1.
INPUT_THRESHOLD = f"floor(x_in(t, i // {INPUT_BITS}) / 2.0**(i % {INPUT_BITS})) % 2 > 0.5"
#: Name of the operation that reads the continuous drive (brian2genn keeps a ``run_regularly``
#: operation only if its name contains ``_run_regularly``; any other name would be silently dropped).
DRIVE_OPERATION = "neurons_run_regularly_drive"


#: Brian2GeNN's order of the slots in a step (it sets this schedule itself when activated).
GENN_SCHEDULE = ("start", "synapses", "groups", "thresholds", "resets", "end")


@dataclass(frozen=True)
class NetworkLayout:
    """How a device wants the network laid out (same map, different Brian2 objects).

    spike_input
        ``"generator"``: a ``SpikeGeneratorGroup`` (compact; runtime targets, GeNN); ``"timedarray"``: a
        NeuronGroup thresholded on a 2-D ``TimedArray`` whose values a standalone binary can replace with
        ``run_args`` (re-runs without recompiling).
    split_delays
        One ``Synapses`` object per delay value (Brian2GeNN supports only homogeneous delays).
    shared_constants
        Time constants that every neuron shares become shared group parameters, so their decay factors
        are computed once per step instead of per neuron and per synaptic event (off for Brian2GeNN).
    drive_by_operation
        The continuous drive is read into a parameter ``I_inj`` by a ``run_regularly`` operation at the
        start of each step instead of a subexpression ``I_inj = I_drive(t, i)`` (the same value in the
        same step; Brian2GeNN allows TimedArrays only in such operations).
    stp_in_synapses
        Short-term plasticity state kept by every recurrent synapse (``STP_SYNAPSE``) instead of its
        presynaptic neuron (Brian2GeNN cannot read presynaptic variables in ``on_pre``); the same
        efficacies, for any delay.
    genn_schedule
        Brian2GeNN's schedule (:data:`GENN_SCHEDULE`: spikes delivered at the start of the next step,
        before the state update; the same map) with V and the adaptation variable ``a`` recorded in the
        ``end`` slot, after the resets (Brian2GeNN records only at ``start``/``end``), from which the
        runner recovers the values of the threshold test (:func:`threshold_test_records`).
    floor_without_clip
        The threshold's floor ``A = max(b0 + beta a, A_min)`` written with ``int()`` instead of ``clip``
        (``ALIF_FLOOR_WITHOUT_CLIP``): Brian2GeNN's ``clip`` works in single precision.
    """

    spike_input: SpikeInput = "generator"
    split_delays: bool = False
    shared_constants: bool = True
    drive_by_operation: bool = False
    stp_in_synapses: bool = False
    genn_schedule: bool = False
    floor_without_clip: bool = False

    def __post_init__(self) -> None:
        if self.spike_input not in ("generator", "timedarray"):
            raise ValueError(f"spike_input must be 'generator' or 'timedarray'; got {self.spike_input!r}.")


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
    x_in: TimedArray | None  # spike input bits ("timedarray" mode), 30 channels per value: (T, ceil(n_copies*n_in / 30))
    I_drive: TimedArray | None  # continuous drive (amp), shape (T+1, n_copies*n_rec)
    layout: NetworkLayout = NetworkLayout()


@dataclass(frozen=True)
class NeuronModel:
    """The equations, threshold and reset of the recurrent group as handed to Brian2."""

    equations: str
    threshold: str
    reset: str
    refractory: str
    method: str
    shared: frozenset[str]


# ------------------------------------------------------------------------------------------ inputs
def project_analog_input(spec: NetworkSpec, x: np.ndarray) -> np.ndarray:
    """Analog input through ``W_in`` with its delays, in volts: ``I[c, t, j] = sum_i W_in[j, i] x[c, t - d_in[j, i], i]``
    (zero before t = 0) for ``x`` (copies, T, n_in); returns (copies, T, n_rec)."""
    copies, T, _ = x.shape
    W = spec.W_in * spec.mask_in
    out = np.zeros((copies, T, spec.n_rec))
    for d in np.unique(spec.d_in):
        if d < T:
            out[:, d:] += np.einsum("cti,ji->ctj", x[:, : T - d], np.where(spec.d_in == d, W, 0.0))
    return out


def continuous_drive(spec: NetworkSpec, x: np.ndarray, i_ext: np.ndarray | None) -> np.ndarray | None:
    """Continuous input in volts, (trials, T, n_rec): analog input through ``W_in`` (with delays) + ``i_ext``."""
    drive = project_analog_input(spec, x) if spec.input_kind == "analog" else None
    if i_ext is not None:
        drive = i_ext.copy() if drive is None else drive + i_ext
    return drive


def input_timed_array(x: np.ndarray, dt: float) -> TimedArray:
    """2-D TimedArray of spike inputs, 30 channels per value: ``x`` (copies, T, n_in) 0/1 -> values
    (T, ceil(copies*n_in / 30)), where bit b of value [n, k] is x at step n of flat channel 30 k + b (flat channel =
    copy * n_in + channel; :data:`INPUT_THRESHOLD` reads it). Brian2 keeps TimedArray values as doubles, and a
    standalone binary reads them from a file at each re-run: packed, 1,000 trials x 840 steps x 80 channels are
    18 MB instead of 538 MB."""
    copies, T, n_in = x.shape
    flat = x.transpose(1, 0, 2).reshape(T, copies * n_in) != 0
    words = -(-flat.shape[1] // INPUT_BITS)
    bits = np.zeros((T, words * INPUT_BITS), dtype=np.float64)
    bits[:, : flat.shape[1]] = flat
    values = bits.reshape(T, words, INPUT_BITS) @ (2.0 ** np.arange(INPUT_BITS))
    return TimedArray(values, dt=dt * second, name="x_in")


def drive_values(drive: np.ndarray) -> np.ndarray:
    """Continuous drive (copies, T, n_rec) in volts -> TimedArray values (T+1, copies*n_rec) in amperes.

    Row n+1 holds the drive of step n, because Brian2's state update at step n+1 integrates the
    interval [t_n, t_{n+1}] (see :mod:`lsnn.models.neurons`); row 0 is zero (V(0) = 0).
    """
    copies, T, n_rec = drive.shape
    values = np.zeros((T + 1, copies * n_rec))
    values[1:] = drive.transpose(1, 0, 2).reshape(T, copies * n_rec)
    return values / float(R_M)


def build_inputs(spec: NetworkSpec, x: np.ndarray, layout: NetworkLayout, clock: Clock, namespace: dict):
    """The spike-input group of ``copies`` trials and, in ``"timedarray"`` mode, its TimedArray (else None)."""
    copies, T, n_in = x.shape
    if layout.spike_input == "generator":
        trial, step, channel = np.nonzero(x)
        order = np.lexsort((trial * n_in + channel, step))
        group = SpikeGeneratorGroup(copies * n_in, (trial * n_in + channel)[order].astype(np.int32),
                                    (step[order] * spec.dt) * second, clock=clock, name="inputs")
        return group, None
    x_ta = input_timed_array(x, spec.dt)
    namespace["x_in"] = x_ta
    return NeuronGroup(copies * n_in, "", threshold=INPUT_THRESHOLD, reset="", clock=clock, name="inputs"), x_ta


# ------------------------------------------------------------------------------------------ neurons
def _uniform(values: np.ndarray, layout: NetworkLayout) -> bool:
    return layout.shared_constants and values.size > 0 and bool(np.all(values == values.flat[0]))


def neuron_model(spec: NetworkSpec, layout: NetworkLayout = NetworkLayout(), has_drive: bool = False) -> NeuronModel:
    """The recurrent group's equations as Brian2 receives them (shared constants marked, drive and STP added)."""
    constants = [("tau_m", spec.tau_m), ("tau_a", spec.tau_a), ("t_ref", spec.n_ref)]
    eqs, reset = ALIF_EQS, ALIF_RESET
    if spec.has_stp and not layout.stp_in_synapses:
        constants += [("U_stp", spec.stp_U), ("tau_F", spec.stp_F), ("tau_D", spec.stp_D)]
        eqs, reset = eqs + STP_EQS, reset + STP_RESET
    shared = frozenset(name for name, values in constants if _uniform(values, layout))
    eqs = with_shared(eqs, shared)
    if layout.floor_without_clip:
        eqs = "\n".join(ALIF_FLOOR_WITHOUT_CLIP if line.strip().startswith("A = clip(") else line for line in eqs.splitlines()) + "\n"
    if not has_drive:
        eqs += "I_inj = 0*amp : amp\n"
    elif layout.drive_by_operation:
        eqs += "I_inj : amp\n"
    else:
        eqs += "I_inj = I_drive(t, i) : amp\n"
    return NeuronModel(eqs, ALIF_THRESHOLD, reset, "t_ref", "exponential_euler", shared)


def build_neurons(spec: NetworkSpec, copies: int, drive: np.ndarray | None, layout: NetworkLayout, clock: Clock,
                  namespace: dict) -> tuple[NeuronGroup, TimedArray | None]:
    """The recurrent group of ``copies`` trials with its parameters set, and the drive's TimedArray (or None)."""
    neuron_stp = spec.has_stp and not layout.stp_in_synapses
    if neuron_stp:
        check_stp_delays(spec)
    model = neuron_model(spec, layout, drive is not None)
    drive_ta = None
    if drive is not None:
        drive_ta = TimedArray(drive_values(drive) * amp, dt=spec.dt * second, name="I_drive")
        namespace["I_drive"] = drive_ta
    neurons = NeuronGroup(copies * spec.n_rec, model.equations, threshold=model.threshold, reset=model.reset,
                          refractory=model.refractory, method=model.method, clock=clock, name="neurons")
    if drive is not None and layout.drive_by_operation:  # a contained object of ``neurons``: runs with it
        neurons.run_regularly("I_inj = I_drive(t, i)", when="start", clock=clock, name=DRIVE_OPERATION)

    def per_neuron(name: str, values: np.ndarray):
        return values[0] if name in model.shared else np.tile(values, copies)

    neurons.tau_m = per_neuron("tau_m", spec.tau_m) * second
    neurons.tau_a = per_neuron("tau_a", spec.tau_a) * second
    neurons.b0 = np.tile(spec.b0, copies) * volt
    neurons.beta = np.tile(spec.beta, copies) * volt
    neurons.A_min = np.tile(spec.A_min, copies) * volt
    neurons.t_ref = (per_neuron("t_ref", spec.n_ref) * spec.dt) * second
    if neuron_stp:
        neurons.U_stp = per_neuron("U_stp", spec.stp_U)
        neurons.tau_F = per_neuron("tau_F", spec.stp_F) * second
        neurons.tau_D = per_neuron("tau_D", spec.stp_D) * second
    return neurons, drive_ta


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


# ------------------------------------------------------------------------------------------ readout
def readout_model(spec: NetworkSpec, layout: NetworkLayout = NetworkLayout()) -> tuple[str, frozenset[str]]:
    """The readout group's equations as Brian2 receives them, and its shared parameters."""
    shared = frozenset({"tau_out"} if _uniform(spec.tau_out, layout) else ())
    return with_shared(READOUT_EQS, shared), shared


def build_readout(spec: NetworkSpec, copies: int, layout: NetworkLayout, clock: Clock) -> NeuronGroup:
    """The leaky readout group of ``copies`` trials (NeurIPS suppl. section 2)."""
    equations, shared = readout_model(spec, layout)
    readout = NeuronGroup(copies * spec.n_out, equations, method="exponential_euler", clock=clock, name="readout")
    readout.tau_out = (spec.tau_out[0] if shared else np.tile(spec.tau_out, copies)) * second
    readout.b_out = np.tile(spec.b_out, copies) * volt
    return readout


# ------------------------------------------------------------------------------------------ synapses
def _copy_indices(pre: np.ndarray, post: np.ndarray, n_pre: int, n_post: int, copies: int) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.arange(copies)[:, None]
    i = (pre[None, :] + offsets * n_pre).ravel()
    j = (post[None, :] + offsets * n_post).ravel()
    return i.astype(np.int32), j.astype(np.int32)


@dataclass(frozen=True)
class Pathway:
    """One synaptic pathway: the connected, non-zero entries of ``W`` (post, pre) from group ``source`` to
    group ``target``, with per-synapse ``delays`` (steps), the synapse ``model`` and its ``on_pre``.
    ``presynaptic`` names synaptic constants copied from the presynaptic neuron: (variable, one value
    per presynaptic neuron, Brian2 unit)."""

    name: str
    source: str
    target: str
    W: np.ndarray
    mask: np.ndarray
    delays: np.ndarray
    model: str
    on_pre: str
    presynaptic: tuple = ()

    @property
    def active(self) -> np.ndarray:
        return self.mask & (self.W != 0)


def _connect(pathway: Pathway, source, target, copies: int, clock: Clock, split_delays: bool) -> list[Synapses]:
    """Synapses of ``pathway`` between the groups ``source`` and ``target``, replicated per copy.

    One object per delay value (a scalar delay: Brian2's faster homogeneous spike queue) when
    ``split_delays`` is set or all delays are equal; otherwise one object with per-synapse delays.
    """
    n_post, n_pre = pathway.W.shape
    active, delays = pathway.active, pathway.delays
    if not active.any():
        return []
    values = np.unique(delays[active])
    groups = [(int(d), active & (delays == d)) for d in values] if split_delays or len(values) == 1 else [(None, active)]
    objects = []
    for d, selected in groups:
        post, pre = np.nonzero(selected)
        S = Synapses(source, target, model=pathway.model, on_pre=pathway.on_pre, delay=None if d is None else d * clock.dt_ * second,
                     clock=clock, name=pathway.name if d is None else f"{pathway.name}_d{d}")
        i, j = _copy_indices(pre, post, n_pre, n_post, copies)
        S.connect(i=i, j=j)
        S.w = np.tile(pathway.W[post, pre], copies) * volt
        for variable, values_per_neuron, unit in pathway.presynaptic:
            setattr(S, variable, np.tile(np.asarray(values_per_neuron)[pre], copies) * unit)
        if d is None:
            S.delay = np.tile(delays[post, pre] * clock.dt_, copies) * second
        objects.append(S)
    return objects


def synapse_pathways(spec: NetworkSpec, layout: NetworkLayout = NetworkLayout()) -> list[Pathway]:
    """Every pathway: input (spike input only), recurrent, readout. With STP, either the presynaptic
    neuron holds the state (delay 0 acts before its reset, delays >= 1 read the efficacy of its last
    spike) or, with ``layout.stp_in_synapses``, every synapse holds a copy (``STP_SYNAPSE``)."""
    pathways = []
    if spec.input_kind == "spike":
        pathways.append(Pathway("syn_in", "inputs", "neurons", spec.W_in, spec.mask_in, spec.d_in, ALIF_SYNAPSE, ALIF_ON_PRE))
    if spec.has_stp and layout.stp_in_synapses:
        presynaptic = (("U_stp", spec.stp_U, 1), ("tau_F", spec.stp_F, second), ("tau_D", spec.stp_D, second))
        pathways.append(Pathway("syn_rec", "neurons", "neurons", spec.W_rec, spec.mask_rec, spec.d_rec, STP_SYNAPSE,
                                STP_ON_PRE_PER_SYNAPSE, presynaptic))
    elif spec.has_stp:
        pathways.append(Pathway("syn_rec0", "neurons", "neurons", spec.W_rec, spec.mask_rec & (spec.d_rec == 0), spec.d_rec,
                                ALIF_SYNAPSE, STP_ON_PRE_SAME_STEP))
        pathways.append(Pathway("syn_rec", "neurons", "neurons", spec.W_rec, spec.mask_rec & (spec.d_rec > 0), spec.d_rec,
                                ALIF_SYNAPSE, STP_ON_PRE_DELAYED))
    else:
        pathways.append(Pathway("syn_rec", "neurons", "neurons", spec.W_rec, spec.mask_rec, spec.d_rec, ALIF_SYNAPSE, ALIF_ON_PRE))
    pathways.append(Pathway("syn_out", "neurons", "readout", spec.W_out, spec.mask_out, np.zeros(spec.W_out.shape, dtype=np.int64),
                            READOUT_SYNAPSE, READOUT_ON_PRE))
    return pathways


def build_synapses(spec: NetworkSpec, groups: dict, copies: int, layout: NetworkLayout, clock: Clock) -> list[Synapses]:
    """Every pathway of :func:`synapse_pathways` between the built ``groups`` (by name)."""
    objects = []
    for pathway in synapse_pathways(spec, layout):
        split = layout.split_delays or pathway.name == "syn_out"  # readout: one delay value (0), a homogeneous queue
        objects += _connect(pathway, groups[pathway.source], groups[pathway.target], copies, clock, split)
    return objects


# ------------------------------------------------------------------------------------------ monitors
def build_monitors(neurons: NeuronGroup, readout: NeuronGroup, clock: Clock, record_v: bool, record_threshold: bool,
                   at_end: bool = False):
    """Spikes; the readout o(t) in the ``end`` slot; V(t) and A(t) in the ``thresholds`` slot before the
    threshold test (``order=-1``), i.e. as the test at step t uses them. ``at_end``: V and ``a`` (both
    needed to undo the reset) in the ``end`` slot instead (see :func:`threshold_test_records`)."""
    spike_monitor = SpikeMonitor(neurons, name="spike_monitor")
    output_monitor = StateMonitor(readout, "o", record=True, when="end", clock=clock, name="output_monitor")
    if at_end:
        state_vars = (["v"] if record_v else []) + (["a"] if record_v or record_threshold else [])
    else:
        state_vars = [name for name, on in (("v", record_v), ("A", record_threshold)) if on]
    state_monitor = None
    if state_vars:
        slot = {"when": "end"} if at_end else {"when": "thresholds", "order": -1}
        state_monitor = StateMonitor(neurons, state_vars, record=True, clock=clock, name="state_monitor", **slot)
    return spike_monitor, output_monitor, state_monitor


def threshold_test_records(spec: NetworkSpec, spikes: np.ndarray, o_end: np.ndarray, v_end: np.ndarray | None,
                           a_end: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """o(t), V(t) and A(t) as the other devices record them, from records taken at the end of each step
    after the resets and before the step's spikes are delivered (Brian2GeNN's schedule: GeNN delivers the
    spikes of step t at the start of step t+1). Undoes exactly what step t did after the threshold test
    (:mod:`lsnn.models.neurons`):

    - ``a``: minus the jump ``z (e^{dt/tau_a} - 1)``; then ``A = max(b0 + beta a, A_min)``;
    - ``V``: plus the reset ``z A e^{dt/tau_m}``;
    - readout: plus the spikes of step t, ``(1 - kappa_k) sum_j W_out[k, j] z_j(t)``.

    Arrays are (copies, T, n); the result is (o, V, A), V and A None where not recorded.
    """
    z = spikes.astype(np.float64)
    W_out = (spec.W_out * spec.mask_out) * (1.0 - np.exp(-spec.dt / spec.tau_out))[:, None]
    o = o_end + z @ W_out.T
    if a_end is None:
        return o, None, None
    a = a_end - z * (np.exp(spec.dt / spec.tau_a) - 1.0)
    A = np.maximum(spec.b0 + spec.beta * a, spec.A_min)
    v = None if v_end is None else v_end + z * A * np.exp(spec.dt / spec.tau_m)
    return o, v, A


def build_network(
    spec: NetworkSpec,
    x: np.ndarray,
    drive: np.ndarray | None = None,
    *,
    layout: NetworkLayout = NetworkLayout(),
    record_v: bool = True,
    record_threshold: bool = False,
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
        with its delays (:func:`continuous_drive`), plus the injected current ``i_ext``.
    layout : NetworkLayout
        Brian2 objects the device wants (:class:`NetworkLayout`); the default suits the runtime targets.
    record_v, record_threshold : bool
        Record V(t) and A(t) as used by the threshold test.
    clock : brian2.Clock, optional
        The clock of every object (default: a new ``Clock(dt)``).
    """
    copies, T, _ = x.shape
    clock = clock if clock is not None else Clock(dt=spec.dt * second, name="lsnn_clock")
    namespace: dict = {"R_m": R_M}
    groups: dict = {}
    x_ta = None
    if spec.input_kind == "spike":
        groups["inputs"], x_ta = build_inputs(spec, x, layout, clock, namespace)
    groups["neurons"], drive_ta = build_neurons(spec, copies, drive, layout, clock, namespace)
    groups["readout"] = build_readout(spec, copies, layout, clock)
    synapses = build_synapses(spec, groups, copies, layout, clock)
    spike_monitor, output_monitor, state_monitor = build_monitors(groups["neurons"], groups["readout"], clock, record_v, record_threshold,
                                                                  at_end=layout.genn_schedule)
    objects = [*groups.values(), *synapses, spike_monitor, output_monitor] + ([state_monitor] if state_monitor is not None else [])
    network = Network(*objects, name="lsnn_network")
    if layout.genn_schedule:
        network.schedule = list(GENN_SCHEDULE)
    return BuiltNetwork(
        network=network, namespace=namespace, n_copies=copies, n_steps=T,
        neurons=groups["neurons"], readout=groups["readout"], spike_monitor=spike_monitor, output_monitor=output_monitor,
        state_monitor=state_monitor, x_in=x_ta, I_drive=drive_ta, layout=layout,
    )


def network_equations(spec: NetworkSpec, layout: NetworkLayout = NetworkLayout(), has_drive: bool | None = None) -> str:
    """The final Brian2 model of ``spec``, as text: every group's equations (parsed by Brian2, with units
    and flags), threshold, reset and refractoriness, and every synapse pathway's model and ``on_pre``.

    ``has_drive`` (default: analog input) adds the continuous drive ``I_inj = I_drive(t, i)``.

    >>> from lsnn.models.examples import single_neuron_spec
    >>> print(network_equations(single_neuron_spec()).splitlines()[0])
    NeuronGroup 'neurons' (1 neurons per trial; integration: exponential_euler)
    """
    has_drive = spec.input_kind == "analog" if has_drive is None else has_drive
    model = neuron_model(spec, layout, has_drive)
    readout_eqs, _ = readout_model(spec, layout)
    lines = [f"NeuronGroup 'neurons' ({spec.n_rec} neurons per trial; integration: {model.method})",
             *("    " + line for line in str(Equations(model.equations)).splitlines()),
             f"  threshold: {model.threshold}   (outside refractoriness: refractory = {model.refractory})",
             "  reset:", *("    " + line.strip() for line in model.reset.strip().splitlines())]
    if has_drive and layout.drive_by_operation:
        lines.append("  run_regularly (when='start'): I_inj = I_drive(t, i)")
    lines += [f"NeuronGroup 'readout' ({spec.n_out} readouts per trial; integration: exponential_euler)",
              *("    " + line for line in str(Equations(readout_eqs)).splitlines())]
    if spec.input_kind == "spike":
        lines.append(f"{'SpikeGeneratorGroup' if layout.spike_input == 'generator' else 'NeuronGroup'} 'inputs' ({spec.n_in} channels per trial)"
                     + ("" if layout.spike_input == "generator" else f"; threshold: {INPUT_THRESHOLD}"))
    for p in synapse_pathways(spec, layout):
        lines += [f"Synapses '{p.name}' {p.source} -> {p.target} ({int(p.active.sum())} synapses per trial)",
                  *("    " + line.strip() for line in p.model.strip().splitlines())]
        on_pre = [line.strip() for line in p.on_pre.strip().splitlines()]
        lines += [f"  on_pre: {on_pre[0]}"] if len(on_pre) == 1 else ["  on_pre:", *("    " + line for line in on_pre)]
    lines.append(f"namespace: R_m = {R_M} (weights are R_m times synaptic weights, in volts); dt = {spec.dt * 1e3:g} ms")
    return "\n".join(lines)
