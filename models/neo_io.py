"""Simulation results as Neo objects, and NWB files through Neo's ``NWBIO``.

A :class:`~lsnn.models.simulate.SimulationResult` becomes a ``neo.Block`` with one ``Segment`` per
trial. Each segment holds one ``SpikeTrain`` per recurrent neuron, annotated with ``neuron`` (index),
``population`` (``"LIF"``, ``"ALIF"`` or ``"ELIF"``), ``kind`` (the same) and ``sign`` (+1, -1, 0), and,
when recorded, ``AnalogSignal``s ``V`` and ``threshold`` (volts) and the readout ``output`` (volts).
Spike times are the step times ``t = n*dt``. Trial conditions (stored value, delays, ...) go into the
segment annotations, so analyses of recordings and of simulations read the same structure.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping, Sequence

import neo
import numpy as np
import quantities as pq

from .simulate import SimulationResult
from .spec import NetworkSpec


def to_neo(
    result: SimulationResult,
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


#: Block annotation (an NWB file field) that carries what Neo's NWBIO does not write itself:
#: segment and spike-train annotations, as JSON keyed by segment and train names.
_NOTES_KEY = "lsnn_annotations"


def _plain(value):
    """JSON-safe copy of an annotation value (numpy scalars/arrays to Python numbers/lists)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def save_nwb(block: neo.Block, path: str | os.PathLike, session_description: str = "LSNN Brian2 simulation") -> Path:
    """Write ``block`` to an NWB file through ``neo.io.NWBIO`` (overwrites ``path``).

    Neo's NWBIO writes spike times, signals and names but not annotations; the segment and
    spike-train annotations are kept as JSON in the file's ``notes`` and restored by :func:`load_nwb`.
    """
    import json
    from datetime import datetime, timezone

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    carried = {
        seg.name: {"annotations": _plain(seg.annotations), "spiketrains": {st.name: _plain(st.annotations) for st in seg.spiketrains}}
        for seg in block.segments
    }
    block.annotations.setdefault("session_start_time", datetime.now(timezone.utc))
    block.annotations.setdefault("session_description", session_description)
    block.annotations.setdefault("identifier", f"lsnn-{path.stem}")
    block.annotations["notes"] = json.dumps({_NOTES_KEY: carried})
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix or '.nwb'}")
    tmp.unlink(missing_ok=True)
    neo.io.NWBIO(str(tmp), mode="w").write_all_blocks([block])
    os.replace(tmp, path)
    return path


def load_nwb(path: str | os.PathLike) -> neo.Block:
    """Read the first block of an NWB file (restoring the annotations written by :func:`save_nwb`)."""
    import json

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No NWB file at {path}.")
    try:
        blocks = neo.io.NWBIO(str(path), mode="r").read_all_blocks()
    except Exception as exc:  # noqa: BLE001 - h5py/pynwb raise many types for corrupt files
        raise ValueError(f"{path} could not be read as NWB: {type(exc).__name__}: {exc}") from None
    if not blocks:
        raise ValueError(f"{path} contains no Neo block.")
    block = blocks[0]
    try:
        carried = json.loads(block.annotations.get("notes") or "{}").get(_NOTES_KEY, {})
    except (json.JSONDecodeError, AttributeError):
        carried = {}
    for seg in block.segments:
        saved = carried.get(seg.name)
        if not saved:
            continue
        seg.annotate(**saved.get("annotations", {}))
        for st in seg.spiketrains:
            st.annotate(**saved.get("spiketrains", {}).get(st.name, {}))
    # NWB stores segments by name ("trial 10" before "trial 2"); restore the trial order written
    order = list(carried)
    if set(order) == {seg.name for seg in block.segments}:
        block.segments.sort(key=lambda seg: order.index(seg.name))
    return block
