"""A recording and its trials as arrays: exact trial cutting and fast counting on spike-time arrays.

A :class:`Recording` holds each unit's spike times as sorted integers of :data:`TICK_S` (1 ns), the
units' names and properties (location, electrode group, ...), the recording's extent as the file states
it, and what else the file carries: interval tables (trials, epochs), events with their labels, and
behavioural covariates. A :class:`TrialSet` holds the trials: a reference time per trial (a trial start
or an event), a half-open window ``[start, stop)`` relative to it, and the trials' conditions.

Membership is decided once, in integer ticks: a spike at absolute time t belongs to a trial when
``reference + start <= t < reference + stop``, all four numbers integers, so a spike exactly on a window
edge (every spike of a 1 ms raster, a 30 kHz tick) is in or out by the same rule whatever floating-point
rounding the times went through; times relative to the reference are then ``(t - reference) * TICK_S``,
never outside the window. Counting uses ``numpy.searchsorted`` on each unit's sorted ticks: per trial
and unit O(log n), no Neo object per trial (:func:`trial_segments` builds those when a Neo-based
measure asks for them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Resolution of spike and window times (s): 1 ns; recordings up to about 100 days fit exactly in int64
#: ticks and float64 seconds.
TICK_S = 1e-9
#: Largest (trials x bins x units) array of binned counts built at once, in entries.
MAX_BINNED_ENTRIES = 200_000_000


def to_ticks(seconds, what: str = "times") -> np.ndarray:
    """Seconds -> int64 ticks of :data:`TICK_S`; refuses NaN, infinite and out-of-range times by name."""
    arr = np.asarray(seconds, dtype=float)
    if arr.size and not np.isfinite(arr).all():
        raise ValueError(f"{what} contain {int((~np.isfinite(arr)).sum())} NaN or infinite values.")
    if arr.size and np.abs(arr).max() > 9e6:
        raise ValueError(f"{what} reach {np.abs(arr).max():g} s; times beyond 9e6 s (about 100 days) are not supported.")
    return np.rint(arr / TICK_S).astype(np.int64)


def to_seconds(ticks) -> np.ndarray:
    """int64 ticks -> float64 seconds (monotone: ordered ticks stay ordered)."""
    return np.asarray(ticks, dtype=np.int64) * TICK_S


@dataclass
class Covariate:
    """A recorded variable (head direction, position, speed): samples at ``timestamps`` (s)."""

    timestamps: np.ndarray  # (n,) s
    values: np.ndarray  # (n,) or (n, d)
    unit: str = ""
    description: str = ""

    def at(self, times: np.ndarray) -> np.ndarray:
        """The value at each time (s): the sample nearest to it, ``(len(times),)`` or ``(len(times), d)``."""
        t, q = self.timestamps, np.asarray(times, dtype=float)
        if t.size == 0:
            raise ValueError("the covariate holds no samples.")
        idx = np.clip(np.searchsorted(t, q), 1, max(len(t) - 1, 1)) if len(t) > 1 else np.zeros(len(q), dtype=int)
        if len(t) > 1:
            idx = np.where(np.abs(t[idx - 1] - q) <= np.abs(t[idx] - q), idx - 1, idx)
        return self.values[idx]


@dataclass
class Recording:
    """Spike times of a recording's units and what else the file states (module docstring)."""

    spikes: list[np.ndarray]  # per unit: sorted int64 ticks
    units: pd.DataFrame  # one row per unit, in order: "name" and properties (unit_id, location, electrode_group, ...)
    t_start: int  # ticks: the recording's extent as the file states it (not its first and last spike)
    t_stop: int
    intervals: dict[str, pd.DataFrame] = field(default_factory=dict)  # name -> start, stop (s) + condition columns
    events: dict[str, pd.DataFrame] = field(default_factory=dict)  # name -> time (s) + label columns
    covariates: dict[str, Covariate] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.spikes) != len(self.units):
            raise ValueError(f"{len(self.spikes)} spike arrays for {len(self.units)} units.")
        if "name" not in self.units:
            raise ValueError("the units table needs a 'name' column.")
        if self.t_stop <= self.t_start:
            raise ValueError(f"the recording's extent [{self.t_start * TICK_S:g}, {self.t_stop * TICK_S:g}) s is empty.")

    @property
    def n_units(self) -> int:
        return len(self.spikes)

    @property
    def names(self) -> list[str]:
        return [str(n) for n in self.units["name"]]

    @property
    def duration_s(self) -> float:
        return (self.t_stop - self.t_start) * TICK_S


def recording_from_times(spike_times: Sequence, names: Sequence[str] | None = None, *, t_start: float | None = None,
                         t_stop: float | None = None, properties: pd.DataFrame | None = None, **kwargs) -> Recording:
    """A :class:`Recording` from per-unit spike times in seconds (any order; sorted here). ``t_start`` /
    ``t_stop`` default to the first and last spike (give the file's extent where it states one)."""
    ticks = [np.sort(to_ticks(np.asarray(t, dtype=float).ravel(), f"spike times of unit {k}")) for k, t in enumerate(spike_times)]
    if not ticks:
        raise ValueError("a recording needs at least one unit.")
    names = [f"unit {k}" for k in range(len(ticks))] if names is None else [str(n) for n in names]
    units = properties.copy() if properties is not None else pd.DataFrame(index=range(len(ticks)))
    units.insert(0, "name", names) if "name" not in units else None
    first = min((int(t[0]) for t in ticks if t.size), default=0)
    last = max((int(t[-1]) for t in ticks if t.size), default=1)
    lo = int(to_ticks(t_start)) if t_start is not None else first
    hi = int(to_ticks(t_stop)) if t_stop is not None else last + 1
    return Recording(ticks, units.reset_index(drop=True), lo, hi, **kwargs)


@dataclass
class TrialSet:
    """Trials on a recording: reference ticks, a half-open window ``[start, stop)`` relative to them, conditions."""

    reference: np.ndarray  # (n,) int64 ticks, absolute
    start: np.ndarray  # (n,) int64 ticks, relative to the reference
    stop: np.ndarray  # (n,) int64 ticks, relative
    conditions: pd.DataFrame  # n rows

    def __post_init__(self) -> None:
        n = len(self.reference)
        if not (len(self.start) == len(self.stop) == len(self.conditions) == n):
            raise ValueError("reference, start, stop and conditions must describe the same trials.")
        if n == 0:
            raise ValueError("no trials.")
        bad = self.stop <= self.start
        if bad.any():
            raise ValueError(f"trial {int(np.argmax(bad))} has an empty window (stop <= start).")

    @property
    def n_trials(self) -> int:
        return len(self.reference)

    @property
    def durations_s(self) -> np.ndarray:
        return to_seconds(self.stop - self.start)

    def subset(self, index) -> "TrialSet":
        return TrialSet(self.reference[index], self.start[index], self.stop[index], self.conditions.iloc[index].reset_index(drop=True))

    def with_window(self, window: tuple[float, float] | None) -> "TrialSet":
        """The same trials with the window ``(start, stop)`` in seconds relative to their references (None: unchanged)."""
        if window is None:
            return self
        lo, hi = (int(v) for v in to_ticks(window, "window"))
        if hi <= lo:
            raise ValueError(f"the window needs start < stop; got {window[0]:g} s to {window[1]:g} s.")
        n = self.n_trials
        return TrialSet(self.reference, np.full(n, lo), np.full(n, hi), self.conditions)


def check_inside(recording: Recording, trials: TrialSet, what: str = "trial") -> None:
    """Refuse trials whose window leaves the recording, naming the first one and the recording's extent."""
    lo, hi = trials.reference + trials.start, trials.reference + trials.stop
    out = (lo < recording.t_start) | (hi > recording.t_stop)
    if out.any():
        k = int(np.argmax(out))
        raise ValueError(f"{what} {k}: [{lo[k] * TICK_S:g}, {hi[k] * TICK_S:g}) s lies outside the recording "
                         f"[{recording.t_start * TICK_S:g}, {recording.t_stop * TICK_S:g}) s.")


def window_counts(recording: Recording, trials: TrialSet) -> np.ndarray:
    """Spikes of every unit in every trial's window, ``(n_trials, n_units)`` int64 (exact membership)."""
    lo, hi = trials.reference + trials.start, trials.reference + trials.stop
    counts = np.empty((trials.n_trials, recording.n_units), dtype=np.int64)
    for j, ticks in enumerate(recording.spikes):
        counts[:, j] = np.searchsorted(ticks, hi, side="left") - np.searchsorted(ticks, lo, side="left")
    return counts


def binned_counts(recording: Recording, trials: TrialSet, bin_size: float) -> np.ndarray:
    """Spikes per trial, bin of ``bin_size`` seconds from each window's start, and unit,
    ``(n_trials, n_bins, n_units)``; every window must hold a whole number of bins."""
    width = int(to_ticks(bin_size, "bin size"))
    if width <= 0:
        raise ValueError(f"the bin size must be positive; got {bin_size:g} s.")
    lengths = trials.stop - trials.start
    if np.any(lengths != lengths[0]):
        raise ValueError("binned counts need windows of one length; give a window (e.g. --window 0ms 1s).")
    if width > lengths[0]:
        raise ValueError(f"the bin ({bin_size:g} s) is longer than the window ({lengths[0] * TICK_S:g} s).")
    n_bins = int(lengths[0] // width)
    if n_bins * width != lengths[0]:
        raise ValueError(f"the window ({lengths[0] * TICK_S:g} s) is not a whole number of bins of {bin_size:g} s.")
    size = trials.n_trials * n_bins * recording.n_units
    if size > MAX_BINNED_ENTRIES:
        raise ValueError(f"{trials.n_trials} trials x {n_bins} bins x {recording.n_units} units = {size:,} counts is too many "
                         f"(at most {MAX_BINNED_ENTRIES:,}); choose larger bins or a shorter window.")
    edges = (trials.reference + trials.start)[:, None] + width * np.arange(n_bins + 1)[None, :]  # (trials, bins + 1)
    counts = np.empty((trials.n_trials, n_bins, recording.n_units), dtype=np.int64)
    for j, ticks in enumerate(recording.spikes):
        counts[:, :, j] = np.diff(np.searchsorted(ticks, edges, side="left"), axis=1)
    return counts


def relative_times(ticks: np.ndarray, reference: int, start: int, stop: int) -> np.ndarray:
    """Spike times (s) of one unit in one trial, relative to its reference: membership exact in ticks."""
    lo, hi = np.searchsorted(ticks, [reference + start, reference + stop], side="left")
    return to_seconds(ticks[lo:hi] - reference)


def trial_segments(recording: Recording, trials: TrialSet):
    """The trials as Neo segments (one SpikeTrain per unit with its name and properties; conditions as
    annotations), for the measures that take Neo objects."""
    import neo
    import quantities as pq

    from lsnn.common.jsonsafe import json_safe

    props = [{k: json_safe(v) for k, v in row.items() if k != "name" and not pd.isna(v)} for row in recording.units.to_dict("records")]
    segments = []
    for k in range(trials.n_trials):
        ref, lo, hi = int(trials.reference[k]), int(trials.start[k]), int(trials.stop[k])
        labels = {c: json_safe(v) for c, v in trials.conditions.iloc[k].items()}
        seg = neo.Segment(name=f"trial {k}", trial=k, **labels)
        for j, ticks in enumerate(recording.spikes):
            seg.spiketrains.append(neo.SpikeTrain(relative_times(ticks, ref, lo, hi) * pq.s, t_start=lo * TICK_S * pq.s,
                                                  t_stop=hi * TICK_S * pq.s, name=recording.names[j], **props[j]))
        segments.append(seg)
    return segments


# ----------------------------------------------------------------------------------------------- trials
def _conditions(frame: pd.DataFrame, skip: set[str]) -> pd.DataFrame:
    return frame[[c for c in frame.columns if c not in skip]].reset_index(drop=True)


def trials_from_table(recording: Recording, table: pd.DataFrame, window: tuple[float, float] | None = None,
                      align: str | None = None, what: str = "trial table row") -> TrialSet:
    """Trials from a table with one row per trial (the conditions are its other columns).

    * ``start`` and ``stop`` (s): the trial is ``[start, stop)``, times relative to ``start``; with
      ``window``, ``window`` relative to ``start``;
    * ``align`` (a column of absolute times, e.g. ``stim_on``): ``window`` relative to that time;
    * ``event`` (s): ``window`` relative to it.

    Trials that leave the recording are refused with the row named, never silently shortened.
    """
    if align is not None:
        if align not in table:
            raise ValueError(f"no column {align!r} to align the trials to; columns: {list(table.columns)}.")
        anchor = align
    elif "event" in table:
        anchor = "event"
    elif "start" in table:
        anchor = "start"
    else:
        raise ValueError(f"the trials need 'start' and 'stop' (s), an 'event' (s) or an alignment column; the table has {list(table.columns)}.")
    if window is None and not (anchor == "start" and "stop" in table):
        raise ValueError(f"trials aligned to {anchor!r} need a window, e.g. --window -200ms 1s.")
    reference = to_ticks(pd.to_numeric(table[anchor], errors="coerce").to_numpy(dtype=float), f"column {anchor!r}")
    n = len(table)
    if window is None:
        stop = to_ticks(table["stop"].to_numpy(dtype=float), "column 'stop'") - reference
        trials = TrialSet(reference, np.zeros(n, dtype=np.int64), stop, _conditions(table, {"start", "stop", "event"}))
    else:
        trials = TrialSet(reference, np.zeros(n, dtype=np.int64), np.ones(n, dtype=np.int64),
                          _conditions(table, {"start", "stop", "event"})).with_window(window)
    check_inside(recording, trials, what)
    return trials


def trials_from_events(recording: Recording, events: pd.DataFrame, window: tuple[float, float]) -> tuple[TrialSet, int]:
    """One trial per event (``time`` column, s; other columns such as ``label`` become conditions) with
    ``window`` around it; events whose window leaves the recording are skipped. Returns the trials and
    how many events were skipped."""
    if window is None:
        raise ValueError("event-aligned trials need a window, e.g. --window -500ms 1s.")
    table = events.rename(columns={"time": "event"})
    probe = TrialSet(to_ticks(table["event"].to_numpy(dtype=float), "event times"), np.zeros(len(table), dtype=np.int64),
                     np.ones(len(table), dtype=np.int64), _conditions(table, {"event"})).with_window(window)
    lo, hi = probe.reference + probe.start, probe.reference + probe.stop
    inside = (lo >= recording.t_start) & (hi <= recording.t_stop)
    if not inside.any():
        raise ValueError("no event has its whole window inside the recording.")
    trials = probe.subset(np.flatnonzero(inside))
    trials.conditions.insert(0, "event_time", to_seconds(trials.reference))
    trials.conditions.insert(1, "event_index", np.flatnonzero(inside))
    return trials, int((~inside).sum())


def covariate_labels(recording: Recording, trials: TrialSet, name: str, n_bins: int, *, component: int = 0,
                     circular: bool | None = None) -> np.ndarray:
    """Condition per trial: the bin (of ``n_bins`` equal bins) of covariate ``name`` at the trial's
    reference time. Circular variables (head direction, radians in [0, 2 pi]) are binned over the circle."""
    if name not in recording.covariates:
        raise ValueError(f"no covariate named {name!r}; the file has {sorted(recording.covariates) or 'none'}.")
    cov = recording.covariates[name]
    values = cov.at(to_seconds(trials.reference))
    values = values[:, component] if values.ndim == 2 else values
    circular = ("direction" in name.lower() or "heading" in name.lower() or cov.unit.startswith("rad")) if circular is None else circular
    if circular:
        edges = np.linspace(0, 2 * np.pi, n_bins + 1)
        values = np.mod(values, 2 * np.pi)
    else:
        edges = np.linspace(np.nanmin(cov.values), np.nanmax(cov.values), n_bins + 1)
    label = np.clip(np.digitize(values, edges) - 1, 0, n_bins - 1)
    return label


def merge_conditions(trials: TrialSet, extra: Mapping[str, np.ndarray]) -> TrialSet:
    """The trials with more condition columns."""
    conditions = trials.conditions.copy()
    for key, values in extra.items():
        conditions[key] = np.asarray(values)
    return TrialSet(trials.reference, trials.start, trials.stop, conditions)
