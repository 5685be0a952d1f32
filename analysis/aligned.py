"""Event-aligned averages of analog signals over trials (e.g. adaptive thresholds around STORE cues).

Per trial, Elephant's ``spike_triggered_average`` averages the signal in a window around each event
(the events given as a SpikeTrain of their times); trials are then combined weighted by the number
of events each contributed, so the result is the average over all events of all trials.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import neo
import numpy as np
import quantities as pq

from . import _elephant


def event_aligned_average(signals: Sequence[neo.AnalogSignal], events: Sequence[neo.SpikeTrain], window: tuple[pq.Quantity, pq.Quantity]) -> tuple[neo.AnalogSignal, int]:
    """Average of ``signals[k]`` (one per trial, n channels) around the times of ``events[k]``.

    Returns the (window, n_channels) average as an AnalogSignal with times relative to the event,
    and the number of events used (events too close to a trial's edges are skipped).
    """
    _elephant.load()
    from elephant.sta import spike_triggered_average

    if len(signals) != len(events) or len(signals) == 0:
        raise ValueError("give one events SpikeTrain per signal (trial), at least one.")
    total, used = None, 0
    for sig, ev in zip(signals, events):
        if len(ev) == 0:
            continue
        with warnings.catch_warnings():  # events too close to the edges: counted as unused below
            warnings.filterwarnings("ignore", message="No spike at all was either found or used")
            warnings.filterwarnings("ignore", message="invalid value encountered in divide")
            sta = spike_triggered_average(sig, [ev] * sig.shape[1], window)
        n = int(np.min(sta.annotations["used_spikes"]))
        if n == 0:
            continue
        part = np.asarray(sta.magnitude) * n
        total = part if total is None else total + part
        used += n
    if total is None:
        raise ValueError("no event fell inside the trials with the whole window around it.")
    ref = signals[0]
    return neo.AnalogSignal(total / used, units=ref.units, sampling_period=ref.sampling_period, t_start=window[0]), used
