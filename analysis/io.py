"""Reading recorded rasters: as a :class:`~lsnn.analysis.recording.Recording` (arrays; what ``lsnn
analyze`` uses) or as Neo objects, and defining trials on them (events, covariates).

``read_recording`` opens any spike file: NWB files of other labs' pipelines through pynwb
(:mod:`lsnn.analysis.nwb_files`: units with names, locations and electrode groups, interval tables with
tags and text columns, annotated events, behavioural series), NWB files written by lsnn (one Neo segment
per trial) and every other format through Neo. ``read_nwb_units`` gives the same NWB content as a Neo
Block (one Segment, an Epoch per interval table, an Event per event series).

``save_nwb``/``load_nwb`` round-trip Neo blocks (one Segment per trial) through Neo's NWBIO, keeping
the annotations (trial conditions) that NWBIO drops (the convention of :mod:`lsnn.common.nwb`). ``read_spikes`` opens any file: NWB through Neo,
falling back to ``read_nwb_units``; every other format through Neo's ``get_io`` (NIX, Blackrock,
Plexon, Spike2, ...). ``load_trials`` turns a file (+ optional trial table, epoch or events) into the
trial segments of :mod:`lsnn.analysis.trials`. ``covariate_conditions`` labels trials by bins of a
recorded variable (e.g. head direction) at the event times.
"""

from __future__ import annotations

import json
from pathlib import Path

import neo
import numpy as np
import pandas as pd
import quantities as pq

from lsnn.common.jsonsafe import json_safe
from lsnn.common.nwb import load_nwb, save_nwb  # noqa: F401 - save_nwb re-exported for recordings

from .nwb_files import read_nwb_recording
from .recording import TICK_S, Recording, TrialSet, recording_from_times, to_seconds, to_ticks
from .trials import apply_trial_table, event_aligned_trials, read_trial_table, trials_from_epoch, trials_from_table


def read_nwb_units(path: str | Path) -> neo.Block:
    """Units, intervals and events of an NWB file as a Neo Block with one Segment
    (:func:`~lsnn.analysis.nwb_files.read_nwb_recording` as Neo objects)."""
    return recording_to_block(read_nwb_recording(path), Path(path).stem)


def recording_to_block(recording: Recording, name: str = "recording") -> neo.Block:
    """A Recording as a Neo Block with one Segment: one SpikeTrain per unit (its properties annotated),
    an Epoch per interval table (conditions as array annotations), an Event per event series."""
    t0, t1 = recording.t_start * TICK_S * pq.s, recording.t_stop * TICK_S * pq.s
    seg = neo.Segment(name="recording")
    for j, ticks in enumerate(recording.spikes):
        props = {k: json_safe(v) for k, v in recording.units.iloc[j].items() if k != "name" and not pd.isna(v)}
        seg.spiketrains.append(neo.SpikeTrain(to_seconds(ticks) * pq.s, t_start=t0, t_stop=t1, name=recording.names[j], **props))
    for label, frame in recording.intervals.items():
        extra = {c: frame[c].to_numpy() for c in frame.columns if c not in ("start", "stop")}
        seg.epochs.append(neo.Epoch(frame["start"].to_numpy() * pq.s, durations=(frame["stop"] - frame["start"]).to_numpy() * pq.s,
                                    labels=np.array([str(i) for i in range(len(frame))]), name=label, array_annotations=extra))
    for label, frame in recording.events.items():
        seg.events.append(neo.Event(frame["time"].to_numpy() * pq.s, name=label,
                                    labels=np.asarray(frame["label"], dtype=str) if "label" in frame else None))
    block = neo.Block(name=name)
    block.segments.append(seg)
    return block


def recording_from_segments(segments, source: str = "") -> tuple[Recording, TrialSet]:
    """Trial segments (each with the same units, conditions as annotations; lsnn simulations, Neo files)
    as a Recording on one timeline (segment k placed after segment k-1 with a 1 s gap) and its TrialSet."""
    segments = [seg for seg in segments if seg.spiketrains]
    if not segments:
        raise ValueError(f"{source or 'the file'} holds no spike trains.")
    names = [st.name or f"unit {j}" for j, st in enumerate(segments[0].spiketrains)]
    for k, seg in enumerate(segments):
        if [st.name or f"unit {j}" for j, st in enumerate(seg.spiketrains)] != names:
            raise ValueError(f"segment {k} holds other units than segment 0; every trial must hold the same neurons.")
    windows = [(to_ticks(float(seg.spiketrains[0].t_start.rescale(pq.s)), "t_start"), to_ticks(float(seg.spiketrains[0].t_stop.rescale(pq.s)), "t_stop"))
               for seg in segments]
    gap = int(to_ticks(1.0))
    reference, offset = [], 0
    for lo, hi in windows:
        reference.append(offset - int(lo))
        offset += int(hi - lo) + gap
    reference = np.asarray(reference, dtype=np.int64)
    spikes = [np.sort(np.concatenate([reference[k] + to_ticks(seg.spiketrains[j].times.rescale(pq.s).magnitude, f"spike times of {names[j]}")
                                      for k, seg in enumerate(segments)])) for j in range(len(names))]
    props = pd.DataFrame([{k: v for k, v in st.annotations.items() if np.isscalar(v)} for st in segments[0].spiketrains])
    props.insert(0, "name", names)
    hidden = {"nix_name", "neo_name"}
    conditions = pd.DataFrame([{k: (v if np.isscalar(v) else json.dumps(json_safe(v))) for k, v in seg.annotations.items() if k not in hidden}
                               for seg in segments])
    starts = np.asarray([int(lo) for lo, _ in windows], dtype=np.int64)
    stops = np.asarray([int(hi) for _, hi in windows], dtype=np.int64)
    recording = Recording(spikes, props, int(reference[0] + starts[0]), int(offset), source=source)
    return recording, TrialSet(reference, starts, stops, conditions)


def _written_by_neo(path: Path) -> bool:
    """Whether an NWB file holds Neo segments (lsnn simulations): its units table has a ``segment`` column."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            colnames = f["units"].attrs.get("colnames", ()) if "units" in f else ()
            return "segment" in [c.decode() if isinstance(c, bytes) else str(c) for c in colnames]
    except OSError as exc:
        raise ValueError(f"{path} could not be read as NWB (HDF5): {exc}") from None


def read_recording(path: str | Path) -> tuple[Recording, TrialSet | None]:
    """A spike file as a :class:`Recording`, with the file's own trials when it holds one segment per
    trial (lsnn simulations, Neo-written files); None otherwise (a continuous recording: define the
    trials with a table, an interval table or events). NWB files of other pipelines are read with pynwb
    (:mod:`lsnn.analysis.nwb_files`), every other format through Neo; pickles are refused."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    _refuse_unsafe_format(path)
    if path.suffix.lower() == ".nwb":
        if _written_by_neo(path):
            return recording_from_segments(check_finite_times(load_nwb(path), path).segments, str(path))
        return read_nwb_recording(path), None
    block = read_spikes(path)
    segments = [seg for seg in block.segments if seg.spiketrains]
    if len(segments) > 1 or (len(segments) == 1 and "trial" in segments[0].annotations):
        return recording_from_segments(segments, str(path))
    seg = segments[0]
    trains = seg.spiketrains
    recording = recording_from_times([st.times.rescale(pq.s).magnitude for st in trains], [st.name or f"unit {j}" for j, st in enumerate(trains)],
                                     t_start=float(trains[0].t_start.rescale(pq.s)), t_stop=float(trains[0].t_stop.rescale(pq.s)),
                                     properties=pd.DataFrame([{k: v for k, v in st.annotations.items() if np.isscalar(v)} for st in trains]),
                                     source=str(path))
    for epoch in seg.epochs:
        frame = pd.DataFrame({"start": epoch.times.rescale(pq.s).magnitude, "stop": (epoch.times + epoch.durations).rescale(pq.s).magnitude})
        for key, values in epoch.array_annotations.items():
            if key not in ("durations",) and np.ndim(values) == 1 and len(values) == len(frame):
                frame[key] = values
        recording.intervals[epoch.name or f"epoch {len(recording.intervals)}"] = frame
    for event in seg.events:
        frame = pd.DataFrame({"time": event.times.rescale(pq.s).magnitude})
        if event.labels is not None and len(event.labels) == len(frame) and any(str(v) for v in event.labels):
            frame["label"] = [str(v) for v in event.labels]
        recording.events[event.name or f"events {len(recording.events)}"] = frame
    return recording, None


def covariate_conditions(values: np.ndarray, times: pq.Quantity, at: pq.Quantity, bin_edges: np.ndarray) -> np.ndarray:
    """Condition label per time ``at``: the bin of a recorded covariate (sampled at ``times``) it falls in.

    The covariate is taken at the sample nearest to each time; returns integer bin indices
    (``np.digitize(...) - 1``), -1 where the value lies outside ``bin_edges``.
    """
    values = np.asarray(values, dtype=float)
    t = np.asarray(times.rescale(pq.s), dtype=float)
    if values.shape != t.shape or values.ndim != 1:
        raise ValueError(f"values {values.shape} and times {t.shape} must be matching 1-D arrays.")
    q = np.asarray(at.rescale(pq.s), dtype=float)
    idx = np.clip(np.searchsorted(t, q), 1, len(t) - 1)
    nearest = np.where(np.abs(t[idx - 1] - q) <= np.abs(t[idx] - q), idx - 1, idx)
    label = np.digitize(values[nearest], bin_edges) - 1
    return np.where((label < 0) | (label >= len(bin_edges) - 1), -1, label)


#: File endings of formats that unpickle (Neo's PickleIO): opening one can run a stranger's code.
PICKLE_SUFFIXES = (".pkl", ".pickle", ".pck", ".pk")


def _refuse_unsafe_format(path: Path, reader=None) -> None:
    if path.suffix.lower() in PICKLE_SUFFIXES or type(reader).__name__ == "PickleIO":
        raise ValueError(f"refusing to open {path.name}: a Python pickle (Neo's PickleIO) can run arbitrary code when read. "
                         "Convert the recording to NWB or NIX where it was made, then analyse that file.")


def check_finite_times(block: neo.Block, path: str | Path) -> neo.Block:
    """Refuse a block whose spike times are NaN or infinite (naming the file, segment and train)."""
    for seg in block.segments:
        for st in seg.spiketrains:
            times = np.asarray(st.magnitude, dtype=float)
            if times.size and not np.isfinite(times).all():
                raise ValueError(f"{path}: spike train {st.name or '?'} of segment {seg.name or '?'} holds "
                                 f"{int((~np.isfinite(times)).sum())} NaN or infinite spike times; fix the file before analysing it.")
    return block


def read_spikes(path: str | Path) -> neo.Block:
    """Read a file of spike trains as a Neo Block (module docstring); clear errors for missing,
    corrupt, unsupported or unsafe files (pickles are refused: reading one can run code) and for
    NaN or infinite spike times."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    _refuse_unsafe_format(path)
    if path.suffix.lower() == ".nwb":
        try:
            block = load_nwb(path)
            if block.segments and any(seg.spiketrains for seg in block.segments):
                return check_finite_times(block, path)
        except ValueError:
            pass  # Neo's NWB reader fails on many lab files: read units/intervals with pynwb instead
        return check_finite_times(read_nwb_units(path), path)
    try:
        reader = neo.io.get_io(str(path))
    except (IOError, OSError, ValueError) as exc:
        raise ValueError(f"Neo has no reader for {path.name}: {exc}") from None
    _refuse_unsafe_format(path, reader)
    try:
        block = reader.read_block()
    except Exception as exc:  # noqa: BLE001 - every Neo IO raises its own types for corrupt files
        raise ValueError(f"{path} could not be read by Neo's {type(reader).__name__}: {type(exc).__name__}: {exc}") from None
    if not any(seg.spiketrains for seg in block.segments):
        raise ValueError(f"{path} holds no spike trains.")
    return check_finite_times(block, path)


def load_trials(path: str | Path, *, trial_table: str | Path | None = None, epoch: str | None = None,
                event: str | None = None, window: tuple[pq.Quantity, pq.Quantity] | None = None) -> list[neo.Segment]:
    """Trials of a spike file, one Segment each with conditions annotated (see :mod:`lsnn.analysis.trials`).

    * ``trial_table``: CSV with one row per trial; cuts a single-segment (continuous) recording, or
      labels a file's existing trial segments row by row;
    * ``epoch``: name of an Epoch of the file (e.g. NWB ``"trials"``) whose intervals are the trials;
    * ``event``: name of an Event of the file; trials are ``window`` around each event time;
    * none of these: the file's segments are the trials (as lsnn simulations write them).
    """
    if sum(x is not None for x in (trial_table, epoch, event)) > 1:
        raise ValueError("define trials in one way: a trial table, an epoch or an event (not several).")
    block = read_spikes(path)
    segments = [seg for seg in block.segments if seg.spiketrains]
    if trial_table is not None:
        table = read_trial_table(trial_table)
        if len(segments) == 1 and ("start" in table.columns or "event" in table.columns):
            return trials_from_table(segments[0].spiketrains, table, window)
        return apply_trial_table(segments, table)
    if epoch is not None or event is not None:
        if len(segments) != 1:
            raise ValueError(f"{path} already holds {len(segments)} segments; epochs/events cut one continuous recording.")
        seg = segments[0]
        wanted, found = (seg.epochs, "epoch") if epoch is not None else (seg.events, "event")
        match = [obj for obj in wanted if obj.name == (epoch if epoch is not None else event)]
        if not match:
            raise ValueError(f"{path} has no {found} named {epoch or event!r}; {found}s: {[o.name for o in wanted] or 'none'}.")
        if epoch is not None:
            return trials_from_epoch(seg.spiketrains, match[0], window)
        if window is None:
            raise ValueError("event-aligned trials need a window, e.g. --window -500ms 1s.")
        return event_aligned_trials(seg.spiketrains, match[0].times, window)
    if len(segments) == 1 and "trial" not in segments[0].annotations:
        epochs = [e.name for e in segments[0].epochs]
        hint = f" It has epochs {epochs}: pass one of them as the trials." if epochs else ""
        raise ValueError(f"{path} holds one continuous recording and no trial information: give a trial table (CSV), an epoch or an event.{hint}")
    return segments
