"""Trials and their conditions, from whatever a file carries: segments, a CSV trial table, an Epoch.

Every measure of the analysis package compares trials. A recording defines them in one of four ways,
and each becomes the same list of ``neo.Segment`` (one per trial, spike times relative to the trial's
reference time, conditions as segment annotations):

* the file already holds one Segment per trial with its conditions annotated (lsnn simulations,
  Neo-written files) -- used as they are, :func:`trial_conditions` reads the labels;
* a **trial table** (CSV, :func:`read_trial_table`) with one row per trial: ``start`` and ``stop``
  times (s), or an ``event`` time cut with a window, plus any condition columns; applied to a
  continuous recording by :func:`trials_from_table`, or to a file's existing segments (one row each);
* an **Epoch** of the file (e.g. the NWB ``trials`` table): :func:`trials_from_epoch`, conditions from
  its array annotations;
* **events** (stimulus onsets, ripples): :func:`lsnn.analysis.event_aligned_trials`.

:func:`window_counts` then gives the spike count of every neuron in a window of every trial, the
``(n_trials, n_neurons)`` table that the selectivity analysis takes (eLife: one 500 ms step).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import neo
import numpy as np
import pandas as pd
import quantities as pq


def read_trial_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV trial table: one row per trial, ``start``/``stop`` or ``event`` times in seconds,
    and condition columns. Refuses tables without rows, with non-numeric or missing times, or with
    ``stop <= start``, naming the offending row."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no trial table at {path}")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} could not be read as a CSV trial table: {exc}") from None
    if table.empty:
        raise ValueError(f"trial table {path} has no rows.")
    for col in ("start", "stop", "event"):
        if col in table.columns:
            values = pd.to_numeric(table[col], errors="coerce")
            bad = ~np.isfinite(values.to_numpy(dtype=float))
            if bad.any():
                raise ValueError(f"trial table {path}: column {col!r} must hold times in seconds; row {int(np.argmax(bad))} has {table[col].iloc[int(np.argmax(bad))]!r}.")
            table[col] = values.astype(float)
    if "start" in table.columns and "stop" in table.columns:
        bad = table["stop"].to_numpy() <= table["start"].to_numpy()
        if bad.any():
            raise ValueError(f"trial table {path}: row {int(np.argmax(bad))} has stop <= start.")
    return table


def _cut(spiketrains: Sequence[neo.SpikeTrain], t_ref: float, start: float, stop: float, name: str, annotations: dict) -> neo.Segment:
    """One trial: spikes in ``[t_ref + start, t_ref + stop)`` with times relative to ``t_ref``."""
    seg = neo.Segment(name=name, **annotations)
    for st in spiketrains:
        times = st.times.rescale(pq.s).magnitude
        inside = times[(times >= t_ref + start) & (times < t_ref + stop)] - t_ref
        seg.spiketrains.append(neo.SpikeTrain(inside * pq.s, t_start=start * pq.s, t_stop=stop * pq.s, name=st.name, **st.annotations))
    return seg


def _plain_labels(row: pd.Series, skip: set[str]) -> dict:
    return {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k not in skip}


def trials_from_table(spiketrains: Sequence[neo.SpikeTrain], table: pd.DataFrame, window: tuple[pq.Quantity, pq.Quantity] | None = None) -> list[neo.Segment]:
    """Cut a continuous recording into the trials of ``table`` (see :func:`read_trial_table`).

    With ``start``/``stop`` columns each trial spans ``[start, stop)`` and times are relative to
    ``start``; with an ``event`` column (or when ``window`` is given) each trial spans
    ``[t + window[0], t + window[1])`` around ``t = event`` (or ``start``), times relative to ``t``.
    The other columns become the segments' annotations (the conditions). Trials that leave the
    recording are refused with the row named, never silently shortened.
    """
    if len(spiketrains) == 0:
        raise ValueError("no spike trains given.")
    t0, t1 = (float(x.rescale(pq.s)) for x in (spiketrains[0].t_start, spiketrains[0].t_stop))
    anchor = "event" if "event" in table.columns else "start" if "start" in table.columns else None
    if anchor is None:
        raise ValueError(f"the trial table needs 'start' and 'stop' (s) or 'event' (s) columns; it has {list(table.columns)}.")
    if window is None and not ("start" in table.columns and "stop" in table.columns):
        raise ValueError("trials defined by an 'event' column need a window, e.g. (-0.5 s, 1 s).")
    skip = {"start", "stop", "event"}
    segments = []
    for k, (_, row) in enumerate(table.iterrows()):
        t = float(row[anchor])
        if window is not None:
            lo, hi = (float(w.rescale(pq.s)) for w in window)
        else:
            lo, hi = 0.0, float(row["stop"]) - t
        if hi <= lo:
            raise ValueError(f"window must have window[0] < window[1]; got {window}.")
        if t + lo < t0 - 1e-12 or t + hi > t1 + 1e-12:
            raise ValueError(f"trial table row {k}: [{t + lo:g}, {t + hi:g}) s lies outside the recording [{t0:g}, {t1:g}) s.")
        segments.append(_cut(spiketrains, t, lo, hi, f"trial {k}", {"trial": k, **_plain_labels(row, skip)}))
    return segments


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
        segments.append(_cut(spiketrains, float(t), pre, post, f"event {index}", {"event_time": float(t), "event_index": index}))
    if not segments:
        raise ValueError("no event has its whole window inside the recording.")
    return segments


def apply_trial_table(segments: Sequence[neo.Segment], table: pd.DataFrame) -> list[neo.Segment]:
    """Annotate a file's existing trial segments with the conditions of ``table`` (one row each, in order)."""
    if len(table) != len(segments):
        raise ValueError(f"the trial table has {len(table)} rows but the file holds {len(segments)} trials (segments); give one row per trial.")
    for seg, (_, row) in zip(segments, table.iterrows()):
        seg.annotate(**_plain_labels(row, {"start", "stop", "event"}))
    return list(segments)


def trials_from_epoch(spiketrains: Sequence[neo.SpikeTrain], epoch: neo.Epoch, window: tuple[pq.Quantity, pq.Quantity] | None = None) -> list[neo.Segment]:
    """Trials from the intervals of an Epoch (e.g. NWB ``trials``); conditions from its array annotations."""
    table = pd.DataFrame({str(k): np.asarray(v) for k, v in epoch.array_annotations.items() if k not in ("labels", "durations")})
    start = np.asarray(epoch.times.rescale(pq.s), dtype=float)
    table.insert(0, "start", start)
    table.insert(1, "stop", start + np.asarray(epoch.durations.rescale(pq.s), dtype=float))
    return trials_from_table(spiketrains, table, window)


def trial_conditions(segments: Sequence[neo.Segment], names: Sequence[str]) -> dict[str, np.ndarray]:
    """Condition labels per trial, ``{name: (n_trials,) array}``, from the segments' annotations.

    Fails with the missing names and the annotations that do exist, so a file without trial
    information, or a misspelt factor, is reported as such.
    """
    if len(segments) == 0:
        raise ValueError("no trials (segments) given.")
    out = {}
    for name in names:
        missing = [k for k, seg in enumerate(segments) if name not in seg.annotations]
        if missing:
            available = sorted(set().union(*(seg.annotations for seg in segments)) - {"nix_name", "neo_name"})
            raise ValueError(f"condition {name!r} is not annotated on {len(missing)} of {len(segments)} trials (first: trial {missing[0]}); "
                             f"trial annotations available: {available or 'none (give a trial table)'}.")
        out[name] = np.asarray([seg.annotations[name] for seg in segments])
    return out


def window_counts(segments: Sequence[neo.Segment], window: tuple[pq.Quantity, pq.Quantity] | None = None) -> np.ndarray:
    """Spike count of every neuron in ``window`` (relative times; default: the whole trial) of every
    trial, ``(n_trials, n_neurons)``. All trials must hold the same neurons."""
    if len(segments) == 0:
        raise ValueError("no trials (segments) given.")
    n = len(segments[0].spiketrains)
    if n == 0:
        raise ValueError("the trials hold no spike trains.")
    counts = np.zeros((len(segments), n), dtype=np.int64)
    for k, seg in enumerate(segments):
        if len(seg.spiketrains) != n:
            raise ValueError(f"trial {k} holds {len(seg.spiketrains)} spike trains, trial 0 holds {n}: every trial must hold the same neurons.")
        for j, st in enumerate(seg.spiketrains):
            times = st.times.rescale(pq.s).magnitude
            if window is None:
                counts[k, j] = len(times)
            else:
                lo, hi = (float(w.rescale(pq.s)) for w in window)
                if lo < float(st.t_start.rescale(pq.s)) - 1e-12 or hi > float(st.t_stop.rescale(pq.s)) + 1e-12:
                    raise ValueError(f"window [{lo:g}, {hi:g}) s is not inside trial {k} [{float(st.t_start.rescale(pq.s)):g}, {float(st.t_stop.rescale(pq.s)):g}) s.")
                counts[k, j] = int(np.count_nonzero((times >= lo) & (times < hi)))
    return counts


def parse_time(text: str) -> pq.Quantity:
    """``"500ms"``, ``"-0.2 s"``, ``"1.5"`` (seconds) -> a quantities time; clear error otherwise."""
    s = str(text).strip().replace(" ", "")
    for unit, q in (("ms", pq.ms), ("us", pq.us), ("s", pq.s)):
        if s.endswith(unit):
            number, scale = s[: -len(unit)], q
            break
    else:
        number, scale = s, pq.s
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a time (e.g. 500ms, 0.5s, -200ms).") from None
    if not np.isfinite(value):
        raise ValueError(f"time {text!r} is not finite.")
    return (value * scale).rescale(pq.s)
