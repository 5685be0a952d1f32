"""Reading recorded rasters into Neo, and defining trials on them (events, covariates).

``read_nwb_units`` reads an NWB file written by any lab's pipeline: the units table (spike times with
their index, electrode group and location per unit), the interval tables (trials, epochs and other
TimeIntervals, whatever optional columns they have) and event-like time series. It reads with pynwb
directly, because Neo's NWB reader fails on common real-world files (e.g. acquisition holding
``CompassDirection``, intervals without optional columns), and builds the Neo objects the analysis
functions take: one Segment with one SpikeTrain per unit, an Epoch per interval table and an Event per
event series.

``save_nwb``/``load_nwb`` round-trip Neo blocks (one Segment per trial) through Neo's NWBIO, keeping
the annotations (trial conditions) that NWBIO drops (the convention of :mod:`lsnn.common.nwb`). ``read_spikes`` opens any file: NWB through Neo,
falling back to ``read_nwb_units``; every other format through Neo's ``get_io`` (NIX, Blackrock,
Plexon, Spike2, ...). ``load_trials`` turns a file (+ optional trial table, epoch or events) into the
trial segments of :mod:`lsnn.analysis.trials`. ``covariate_conditions`` labels trials by bins of a
recorded variable (e.g. head direction) at the event times.
"""

from __future__ import annotations

from pathlib import Path

import neo
import numpy as np
import quantities as pq

from lsnn.common.nwb import load_nwb, save_nwb  # noqa: F401 - save_nwb re-exported for recordings

from .trials import apply_trial_table, event_aligned_trials, read_trial_table, trials_from_epoch, trials_from_table


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
