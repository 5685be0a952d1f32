"""Reading recorded rasters into Neo, and defining trials on them (events, covariates).

``read_nwb_units`` reads an NWB file written by any lab's pipeline: the units table (spike times with
their index, electrode group and location per unit), the interval tables (trials, epochs and other
TimeIntervals, whatever optional columns they have) and event-like time series. It reads with pynwb
directly, because Neo's NWB reader fails on common real-world files (e.g. acquisition holding
``CompassDirection``, intervals without optional columns), and builds the Neo objects the analysis
functions take: one Segment with one SpikeTrain per unit, an Epoch per interval table and an Event per
event series.

``event_aligned_trials`` cuts windows around event times (stimulus onsets, ripples, task cues) into
trials, one Segment each with spike times relative to the event; ``covariate_conditions`` labels
trials by bins of a recorded variable (e.g. head direction) at the event times.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import neo
import numpy as np
import quantities as pq


def read_nwb_units(path: str | Path) -> neo.Block:
    """Units, intervals and events of an NWB file as a Neo Block with one Segment (see module docstring)."""
    import pynwb

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no NWB file at {path}")
    try:
        io = pynwb.NWBHDF5IO(str(path), mode="r")
        nwb = io.read()
    except Exception as exc:  # noqa: BLE001 - h5py/pynwb raise many types for corrupt files
        raise ValueError(f"{path} could not be read as NWB: {type(exc).__name__}: {exc}") from None
    try:
        if nwb.units is None or len(nwb.units) == 0:
            raise ValueError(f"{path} has no units table (no spike times): nothing to analyse as a raster.")
        units = nwb.units
        columns = set(units.colnames)
        trains, t_stop = [], 0.0
        for k in range(len(units)):
            t_stop = max(t_stop, float(np.max(units["spike_times"][k], initial=0.0)))
        intervals = {name: table for name, table in (nwb.intervals or {}).items()}
        for table in intervals.values():
            if len(table) and "stop_time" in table.colnames:
                t_stop = max(t_stop, float(np.max(table["stop_time"][:])))
        t_stop = np.nextafter(t_stop, np.inf)
        for k in range(len(units)):
            ann = {"unit_id": int(units.id[k])}
            if "electrode_group" in columns:
                group = units["electrode_group"][k]
                ann["electrode_group"] = getattr(group, "name", str(group))
                ann["location"] = str(getattr(group, "location", ""))
            for col in columns - {"spike_times", "electrode_group", "electrodes", "waveforms", "waveform_mean", "waveform_sd", "obs_intervals"}:
                value = units[col][k]
                if np.isscalar(value) or isinstance(value, str):
                    ann[col] = value.item() if hasattr(value, "item") else value
            times = np.sort(np.asarray(units["spike_times"][k], dtype=float))
            trains.append(neo.SpikeTrain(times * pq.s, t_start=0 * pq.s, t_stop=t_stop * pq.s, name=f"unit {ann['unit_id']}", **ann))
        seg = neo.Segment(name="recording")
        seg.spiketrains.extend(trains)
        for name, table in intervals.items():
            if not len(table):
                continue
            start, stop = np.asarray(table["start_time"][:], float), np.asarray(table["stop_time"][:], float)
            extra = {c: np.asarray(table[c][:]) for c in table.colnames if c not in ("start_time", "stop_time", "tags", "timeseries")}
            labels = np.array([str(i) for i in range(len(start))])
            seg.epochs.append(neo.Epoch(start * pq.s, durations=(stop - start) * pq.s, labels=labels, name=name,
                                        array_annotations={k: v for k, v in extra.items() if v.ndim == 1 and len(v) == len(start)}))
        for series in list(nwb.acquisition.values()) + [o for m in nwb.processing.values() for o in m.data_interfaces.values()]:
            if type(series).__name__ in ("AnnotationSeries", "TimeSeries") and getattr(series, "timestamps", None) is not None:
                seg.events.append(neo.Event(np.asarray(series.timestamps[:], float) * pq.s, name=series.name))
        block = neo.Block(name=path.stem, session_description=str(nwb.session_description))
        block.segments.append(seg)
        return block
    finally:
        io.close()


def event_aligned_trials(spiketrains: Sequence[neo.SpikeTrain], events: pq.Quantity, window: tuple[pq.Quantity, pq.Quantity]) -> list[neo.Segment]:
    """One Segment per event with the spikes in ``[t + window[0], t + window[1])``, times relative to the event.

    Events whose window leaves the recording are skipped; each Segment is annotated with ``event_time``
    (s) and ``event_index``.
    """
    if len(spiketrains) == 0:
        raise ValueError("no spike trains given.")
    pre, post = (float(w.rescale(pq.s)) for w in window)
    if post <= pre:
        raise ValueError(f"window must have window[0] < window[1]; got {window}.")
    t0, t1 = float(spiketrains[0].t_start.rescale(pq.s)), float(spiketrains[0].t_stop.rescale(pq.s))
    segments = []
    for index, t in enumerate(np.asarray(events.rescale(pq.s), dtype=float)):
        if t + pre < t0 or t + post > t1:
            continue
        seg = neo.Segment(name=f"event {index}", event_time=float(t), event_index=index)
        for st in spiketrains:
            times = st.times.rescale(pq.s).magnitude
            inside = times[(times >= t + pre) & (times < t + post)] - t
            seg.spiketrains.append(neo.SpikeTrain(inside * pq.s, t_start=pre * pq.s, t_stop=post * pq.s, name=st.name, **st.annotations))
        segments.append(seg)
    if not segments:
        raise ValueError("no event has its whole window inside the recording.")
    return segments


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
