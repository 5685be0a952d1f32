"""Simulation results as Neo objects, and NWB files through Neo's ``NWBIO``.

A :class:`~lsnn.models.simulation.SimulationResult` becomes a ``neo.Block`` with one ``Segment`` per
trial. Each segment holds one ``SpikeTrain`` per recurrent neuron, annotated with ``neuron`` (index),
``population`` (``"LIF"``, ``"ALIF"`` or ``"ELIF"``), ``kind`` (the same) and ``sign`` (+1, -1, 0), and,
when recorded, ``AnalogSignal``s ``V`` and ``threshold`` (volts) and the readout ``output`` (volts).
Spike times are the step times ``t = n*dt``. Trial conditions (stored value, delays, ...) go into the
segment annotations, so analyses of recordings and of simulations read the same structure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Sequence

import neo
import numpy as np
import quantities as pq

# The NWB round trip (annotations kept) is shared with the analysis of recordings: it lives in the
# neutral leaf lsnn.common and is re-exported here for simulation users. No Brian2 import is needed.
from lsnn.common.nwb import load_nwb, save_nwb  # noqa: F401

from .spec import NetworkSpec

if TYPE_CHECKING:
    from .simulation import SimulationResult


def to_neo(
    result: "SimulationResult",
    spec: NetworkSpec,
    trial_annotations: Sequence[Mapping] | None = None,
    name: str = "lsnn simulation",
) -> neo.Block:
    """Convert a simulation result to a ``neo.Block`` (one ``Segment`` per trial).

    Parameters
    ----------
    result : SimulationResult
        Output of :func:`lsnn.models.simulate` (one or many trials).
    spec : NetworkSpec
        The simulated network (for neuron kinds and signs).
    trial_annotations : sequence of mappings, optional
        Per-trial conditions; plain numbers or strings, stored as segment annotations.
    """
    spikes = result.spikes if result.spikes.ndim == 3 else result.spikes[None]
    n_trials, T, n_rec = spikes.shape
    if n_rec != spec.n_rec:
        raise ValueError(f"result has {n_rec} neurons but spec has n_rec = {spec.n_rec}.")
    if trial_annotations is not None and len(trial_annotations) != n_trials:
        raise ValueError(f"trial_annotations has {len(trial_annotations)} entries; expected one per trial ({n_trials}).")

    def per_trial(arr):
        return None if arr is None else (arr if arr.ndim == 3 else arr[None])

    v, thr, out = per_trial(result.v), per_trial(result.thresholds), per_trial(result.outputs)
    dt = result.dt * pq.s
    t_stop = T * dt
    kinds = spec.kinds
    block = neo.Block(name=name, device=result.device, dt_s=float(result.dt), n_rec=n_rec, n_in=spec.n_in, n_out=spec.n_out)
    for k in range(n_trials):
        seg = neo.Segment(name=f"trial {k}", index=k, trial=k)
        if trial_annotations is not None:
            seg.annotate(**dict(trial_annotations[k]))
        for j in range(n_rec):
            times = np.nonzero(spikes[k, :, j])[0] * result.dt
            seg.spiketrains.append(
                neo.SpikeTrain(
                    times * pq.s,
                    t_start=0 * pq.s,
                    t_stop=t_stop,
                    name=f"neuron {j}",
                    neuron=j,
                    population=str(kinds[j]),
                    kind=str(kinds[j]),
                    sign=int(spec.sign[j]),
                )
            )
        for label, arr in (("V", v), ("threshold", thr), ("output", out)):
            if arr is not None:
                seg.analogsignals.append(neo.AnalogSignal(arr[k] * pq.V, sampling_period=dt, t_start=0 * pq.s, name=label))
        block.segments.append(seg)
    return block
