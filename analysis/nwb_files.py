"""Reading an NWB file written by any lab's pipeline into a :class:`~lsnn.analysis.recording.Recording`.

pynwb reads the file directly (Neo's NWB reader fails on common real-world files, e.g. an acquisition
holding a ``CompassDirection``, intervals without optional columns). What is read:

- **units**: spike times; the unit's name (a ``unit_name``, ``name`` or ``_name`` column, else ``unit <id>``),
  its id, electrode group and the group's location, and every other scalar column (e.g. ``quality``,
  ``region``) as properties; ``obs_intervals`` bound the recording;
- **interval tables** (``trials``, ``epochs`` and any other TimeIntervals): start and stop times, ``tags``
  (joined by ``,``) and every scalar column, text or numeric, as conditions;
- **events**: EventsTables (their ``annotation`` column as the events' ``label``, other columns as further
  labels), AnnotationSeries (their text data as labels) and TimeSeries with timestamps (their 1-D data,
  when present, as labels);
- **behavioural covariates**: SpatialSeries, directly or inside Position, CompassDirection,
  BehavioralTimeSeries (and any TimeSeries in a ``behavior`` module), by series name.

The recording's extent comes from the file: from session start (0 s, or the first time if earlier) to
the last of its observation intervals, interval stops, series ends and spikes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .recording import TICK_S, Covariate, Recording, to_ticks

#: Containers whose series are behavioural covariates.
BEHAVIOUR_CONTAINERS = ("Position", "CompassDirection", "BehavioralTimeSeries", "EyeTracking", "PupilTracking")


def _timestamps(series) -> np.ndarray | None:
    if getattr(series, "timestamps", None) is not None:
        return np.asarray(series.timestamps[:], dtype=float)
    rate = getattr(series, "rate", None)
    if rate:
        n = len(series.data)
        return float(series.starting_time or 0.0) + np.arange(n) / float(rate)
    return None


def _scalar_columns(table, skip: set[str]) -> dict[str, np.ndarray]:
    """Columns of a DynamicTable holding one number or string per row (ragged and object columns skipped)."""
    out = {}
    for name in table.colnames:
        if name in skip:
            continue
        try:
            values = table[name][:]
        except Exception:  # noqa: BLE001 - exotic column types of other pipelines: skipped, not fatal
            continue
        scalar = (str, bytes, int, float, np.integer, np.floating, bool, np.bool_)
        if isinstance(values, (list, tuple)) or (isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1):
            if all(isinstance(v, scalar) for v in values):  # text columns (object arrays of str)
                out[name] = np.asarray([v.decode() if isinstance(v, bytes) else v for v in values])
            continue
        arr = np.asarray(values)
        if arr.ndim == 1 and arr.dtype != object:
            out[name] = arr
    return out


def _units(nwb) -> tuple[list[np.ndarray], pd.DataFrame, list[float]]:
    units = nwb.units
    columns = set(units.colnames)
    name_column = next((c for c in ("unit_name", "name", "_name") if c in columns), None)
    times, rows, bounds = [], [], []
    scalars = _scalar_columns(units, {"spike_times", "electrodes", "electrode_group", "waveforms", "waveform_mean", "waveform_sd",
                                      "obs_intervals", *(c for c in [name_column] if c)})
    for k in range(len(units)):
        unit_id = int(units.id[k])
        name = str(units[name_column][k]) if name_column else f"unit {unit_id}"
        row = {"name": name, "unit_id": unit_id}
        if "electrode_group" in columns:
            group = units["electrode_group"][k]
            row["electrode_group"] = getattr(group, "name", str(group))
            row["location"] = str(getattr(group, "location", "") or "")
        for col, values in scalars.items():
            row[col] = values[k].item() if hasattr(values[k], "item") else values[k]
        spikes = np.asarray(units["spike_times"][k], dtype=float)
        times.append(spikes)
        rows.append(row)
        if "obs_intervals" in columns:
            intervals = np.asarray(units["obs_intervals"][k], dtype=float)
            if intervals.size:
                bounds += [float(intervals.min()), float(intervals.max())]
    return times, pd.DataFrame(rows), bounds


def _intervals(nwb) -> dict[str, pd.DataFrame]:
    out = {}
    for name, table in (nwb.intervals or {}).items():
        if not len(table):
            continue
        frame = pd.DataFrame({"start": np.asarray(table["start_time"][:], dtype=float), "stop": np.asarray(table["stop_time"][:], dtype=float)})
        if "tags" in table.colnames:
            frame["tags"] = [",".join(str(t) for t in tags) for tags in table["tags"][:]]
        for col, values in _scalar_columns(table, {"start_time", "stop_time", "tags", "timeseries"}).items():
            frame[col] = values
        out[name] = frame
    return out


def _series(nwb):
    """Every TimeSeries of the file with the name of its container (or None): acquisition, stimulus, processing."""
    containers = list(nwb.acquisition.values()) + list(getattr(nwb, "stimulus", {}).values())
    for module in nwb.processing.values():
        containers += list(module.data_interfaces.values())
    for obj in containers:
        inner = getattr(obj, "spatial_series", None) or getattr(obj, "time_series", None)
        if isinstance(inner, dict) and inner:
            for series in inner.values():
                yield series, type(obj).__name__
        elif hasattr(obj, "data") and hasattr(obj, "timestamps"):
            yield obj, None


def read_nwb_recording(path: str | Path) -> Recording:
    """The recording of an NWB file (module docstring); clear errors for files that are not NWB or hold no units."""
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
        times, units, ends = _units(nwb)
        intervals = _intervals(nwb)
        events, covariates = {}, {}
        for series, container in _series(nwb):
            stamps = _timestamps(series)
            if stamps is None or stamps.size == 0:
                continue
            ends += [float(stamps.min()), float(stamps.max())]
            kind = type(series).__name__
            data = np.asarray(series.data[:]) if series.data is not None else np.empty(0)
            if kind == "AnnotationSeries" or (kind == "TimeSeries" and container is None and data.ndim <= 1 and data.dtype.kind in "OUS"):
                labels = [v.decode() if isinstance(v, bytes) else str(v) for v in data] if data.size == stamps.size else None
                events[series.name] = pd.DataFrame({"time": stamps, **({"label": labels} if labels else {})})
            elif kind == "SpatialSeries" or container in BEHAVIOUR_CONTAINERS or (container is None and data.dtype.kind in "fiu"):
                if data.shape[0] == stamps.size and data.dtype.kind in "fiu":
                    covariates[series.name] = Covariate(stamps, data.astype(float), str(getattr(series, "unit", "") or ""),
                                                        str(getattr(series, "description", "") or ""))
                    if container in BEHAVIOUR_CONTAINERS and container not in covariates:
                        covariates[container] = covariates[series.name]
            elif kind == "TimeSeries" and data.ndim <= 1:
                events[series.name] = pd.DataFrame({"time": stamps, **({"label": data} if data.size == stamps.size else {})})
        for name, table in (getattr(nwb, "events", None) or {}).items():  # NWB 2.9 EventsTables (the successor of AnnotationSeries)
            if not len(table) or "timestamp" not in table.colnames:
                continue
            frame = pd.DataFrame({"time": np.asarray(table["timestamp"][:], dtype=float)})
            for col, values in _scalar_columns(table, {"timestamp", "duration"}).items():
                frame["label" if col == "annotation" else col] = values
            events[name] = frame
            ends += [float(frame["time"].min()), float(frame["time"].max())]
        for frame in intervals.values():
            ends += [float(frame["start"].min()), float(frame["stop"].max())]
        spikes_seen = [t for t in times if t.size]
        first = min([0.0, *(float(t.min()) for t in spikes_seen), *ends])
        last = max([*(float(t.max()) + TICK_S for t in spikes_seen), *ends, first + TICK_S])
        ticks = [np.sort(to_ticks(t, f"spike times of {units['name'][k]}")) for k, t in enumerate(times)]
        return Recording(ticks, units, int(to_ticks(first)), int(to_ticks(last)) + 1, intervals, events, covariates, source=str(path))
    finally:
        io.close()
