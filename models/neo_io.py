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


def _checked_spikes(result: "SimulationResult", spec: NetworkSpec, trial_annotations) -> np.ndarray:
    """The raster (trials, T, n_rec) of ``result``, checked against ``spec`` and the trial annotations."""
    spikes = result.spikes if result.spikes.ndim == 3 else result.spikes[None]
    if spikes.shape[2] != spec.n_rec:
        raise ValueError(f"result has {spikes.shape[2]} neurons but spec has n_rec = {spec.n_rec}.")
    if trial_annotations is not None and len(trial_annotations) != len(spikes):
        raise ValueError(f"trial_annotations has {len(trial_annotations)} entries; expected one per trial ({len(spikes)}).")
    return spikes


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
    spikes = _checked_spikes(result, spec, trial_annotations)
    n_trials, T, n_rec = spikes.shape

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


def save_rasters_nwb(
    result: "SimulationResult",
    spec: NetworkSpec,
    path,
    trial_annotations: Sequence[Mapping] | None = None,
    name: str = "lsnn simulation",
    session_description: str = "LSNN Brian2 simulation",
):
    """Write ``result`` to NWB with pynwb directly: the file ``save_nwb(to_neo(result, spec, ...), path)`` writes.

    The same layout as Neo's ``NWBIO`` (so Neo reads it back as the same block, and :func:`load_nwb` restores
    the annotations from the ``notes``): one row of the ``units`` table per trial and neuron with its spike
    times, observation interval [0, T dt], and the columns ``_name`` ("neuron j"), ``segment`` ("trial k")
    and ``block``; each recorded signal a ``TimeSeries`` in ``acquisition`` named "trial k V 0" (and
    "threshold 1", "output 2" as present) with the segment and block in its ``comments``. The table is built
    in bulk from the raster (no Neo objects, no per-unit calls, no validation pass), which is what makes it
    fast (``benchmarks/nwb_export.py``). Written atomically; returns the path.
    """
    import json
    from datetime import datetime, timezone
    from pathlib import Path

    import pynwb
    from hdmf.common import VectorData, VectorIndex
    from pynwb.misc import Units

    from lsnn.common.files import atomic_path
    from lsnn.common.jsonsafe import json_safe
    from lsnn.common.nwb import NOTES_KEY

    spikes = _checked_spikes(result, spec, trial_annotations)
    n_trials, T, n_rec = spikes.shape
    path = Path(path)
    # spike times unit by unit (trial-major, then neuron): one nonzero over the transposed raster
    trial, neuron, step = np.nonzero(np.ascontiguousarray(spikes.transpose(0, 2, 1)))
    counts = np.bincount(trial * n_rec + neuron, minlength=n_trials * n_rec)
    n_units = n_trials * n_rec
    t_stop = T * result.dt
    columns = [
        spike_times := VectorData(name="spike_times", description="the spike times for each unit in seconds", data=step * result.dt),
        VectorIndex(name="spike_times_index", data=np.cumsum(counts), target=spike_times),
        intervals := VectorData(name="obs_intervals", description="the observation intervals for each unit",
                                data=np.tile([[0.0, t_stop]], (n_units, 1))),
        VectorIndex(name="obs_intervals_index", data=np.arange(1, n_units + 1), target=intervals),
        VectorData(name="_name", description="the name attribute of the SpikeTrain", data=[f"neuron {j}" for j in range(n_rec)] * n_trials),
        VectorData(name="segment", description="the name of the Neo Segment to which the SpikeTrain belongs",
                   data=[f"trial {k}" for k in range(n_trials) for _ in range(n_rec)]),
        VectorData(name="block", description="the name of the Neo Block to which the SpikeTrain belongs", data=[name] * n_units),
    ]
    kinds = [str(k) for k in spec.kinds]
    trains = {f"neuron {j}": {"neuron": j, "population": kinds[j], "kind": kinds[j], "sign": int(spec.sign[j])} for j in range(n_rec)}
    carried = {}
    for k in range(n_trials):
        annotations = {"trial": k, **(json_safe(dict(trial_annotations[k])) if trial_annotations is not None else {})}
        carried[f"trial {k}"] = {"annotations": annotations, "spiketrains": trains}
    nwbfile = pynwb.NWBFile(session_description=session_description, identifier=f"lsnn-{path.stem}",
                            session_start_time=datetime.now(timezone.utc), notes=json.dumps({NOTES_KEY: carried}, allow_nan=False))
    nwbfile.units = Units(name="units", description="Autogenerated by neo", id=np.arange(n_units), columns=columns)
    signals = [(label, arr if arr.ndim == 3 else arr[None]) for label, arr in (("V", result.v), ("threshold", result.thresholds),
                                                                              ("output", result.outputs)) if arr is not None]
    for k in range(n_trials):
        for i, (label, arr) in enumerate(signals):
            nwbfile.add_acquisition(pynwb.TimeSeries(name=f"trial {k} {label} {i}", data=arr[k], unit="V", rate=1.0 / result.dt,
                                                     starting_time=0.0, comments=json.dumps({"block": name, "segment": f"trial {k}"})))
    with atomic_path(path) as tmp:
        with pynwb.NWBHDF5IO(str(tmp), mode="w") as io:
            io.write(nwbfile)
    return path
