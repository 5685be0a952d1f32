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

from .count_tables import read_csv_rows
from .recording import TICK_S, to_ticks


def read_trial_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV trial table: one row per trial, ``start``/``stop`` or ``event`` times in seconds,
    and condition columns. Refuses tables without rows, with non-numeric or missing times, or with
    ``stop <= start``, naming the offending row."""
    path = Path(path)
    table = read_csv_rows(path, "trial table")
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


def recording_of(spiketrains: Sequence[neo.SpikeTrain]):
    """Neo spike trains of one continuous recording as a :class:`~lsnn.analysis.recording.Recording`
    (ticks computed once; names and scalar annotations kept as the units' properties)."""
    from .recording import recording_from_times

    if len(spiketrains) == 0:
        raise ValueError("no spike trains given.")
    first = spiketrains[0]
    props = pd.DataFrame([{k: v for k, v in st.annotations.items() if np.isscalar(v)} for st in spiketrains])
    return recording_from_times([st.times.rescale(pq.s).magnitude for st in spiketrains], [st.name or f"unit {j}" for j, st in enumerate(spiketrains)],
                                t_start=float(first.t_start.rescale(pq.s)), t_stop=float(first.t_stop.rescale(pq.s)), properties=props)


def _seconds(window: tuple[pq.Quantity, pq.Quantity] | None) -> tuple[float, float] | None:
    return None if window is None else tuple(float(w.rescale(pq.s)) for w in window)


def trials_from_table(spiketrains: Sequence[neo.SpikeTrain], table: pd.DataFrame, window: tuple[pq.Quantity, pq.Quantity] | None = None) -> list[neo.Segment]:
    """Cut a continuous recording into the trials of ``table`` (see :func:`read_trial_table`), as Neo segments.

    With ``start``/``stop`` columns each trial spans ``[start, stop)`` and times are relative to
    ``start``; with an ``event`` column (or when ``window`` is given) each trial spans
    ``[t + window[0], t + window[1])`` around ``t = event`` (or ``start``), times relative to ``t``.
    The other columns become the segments' annotations (the conditions). Trials that leave the
    recording are refused with the row named, never silently shortened. Membership is exact
    (:mod:`lsnn.analysis.recording`: a spike on an edge is in or out by one integer comparison).
    """
    from .recording import trial_segments
    from .recording import trials_from_table as cut

    recording = recording_of(spiketrains)
    if window is not None and _seconds(window)[1] <= _seconds(window)[0]:
        raise ValueError(f"window must have window[0] < window[1]; got {window}.")
    return trial_segments(recording, cut(recording, table, _seconds(window)))


def event_aligned_trials(spiketrains: Sequence[neo.SpikeTrain], events: pq.Quantity, window: tuple[pq.Quantity, pq.Quantity]) -> list[neo.Segment]:
    """One Segment per event with the spikes in ``[t + window[0], t + window[1])``, times relative to the event.

    Events whose window leaves the recording are skipped; each Segment is annotated with ``event_time``
    (s) and ``event_index``.
    """
    from .recording import trial_segments, trials_from_events

    recording = recording_of(spiketrains)
    lo, hi = _seconds(window)
    if hi <= lo:
        raise ValueError(f"window must have window[0] < window[1]; got {window}.")
    trials, _ = trials_from_events(recording, pd.DataFrame({"time": np.asarray(events.rescale(pq.s), dtype=float)}), (lo, hi))
    return trial_segments(recording, trials)


def _plain_labels(row: pd.Series, skip: set[str]) -> dict:
    return {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items() if k not in skip}


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
    if window is not None:
        lo, hi = (int(v) for v in to_ticks([float(w.rescale(pq.s)) for w in window], "window"))
    for k, seg in enumerate(segments):
        if len(seg.spiketrains) != n:
            raise ValueError(f"trial {k} holds {len(seg.spiketrains)} spike trains, trial 0 holds {n}: every trial must hold the same neurons.")
        for j, st in enumerate(seg.spiketrains):
            if window is None:
                counts[k, j] = len(st)
                continue
            t0, t1 = (int(v) for v in to_ticks([float(st.t_start.rescale(pq.s)), float(st.t_stop.rescale(pq.s))], "trial window"))
            if lo < t0 or hi > t1:
                raise ValueError(f"window [{lo * TICK_S:g}, {hi * TICK_S:g}) s is not inside trial {k} [{t0 * TICK_S:g}, {t1 * TICK_S:g}) s.")
            ticks = to_ticks(st.times.rescale(pq.s).magnitude, f"spike times of {st.name or 'a unit'}")
            counts[k, j] = int(np.count_nonzero((ticks >= lo) & (ticks < hi)))  # half-open, exact in ticks
    return counts


def parse_time(text: str) -> pq.Quantity:
    """``"500ms"``, ``"-0.2 s"``, ``"30us"`` -> a quantities time in s. A unit is required (``ms``, ``s``, ``us``;
    ``0`` alone is allowed): a bare number could mean seconds or milliseconds, and is refused with one line.

    >>> float(parse_time("-200ms")), float(parse_time("1.5 s")), float(parse_time("0"))
    (-0.2, 1.5, 0.0)
    """
    s = str(text).strip().replace(" ", "")
    for unit, q in (("ms", pq.ms), ("us", pq.us), ("s", pq.s)):
        if s.endswith(unit):
            number, scale = s[: -len(unit)], q
            break
    else:
        number, scale = s, None
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"cannot read {str(text).strip()!r} as a time (e.g. 500ms, 0.5s, -200ms).") from None
    if not np.isfinite(value):
        raise ValueError(f"time {str(text).strip()!r} is not finite.")
    if scale is None:
        if value != 0:
            raise ValueError(f"time {str(text).strip()!r} has no unit; write {value:g}ms or {value:g}s.")
        scale = pq.s
    return (value * scale).rescale(pq.s)
