"""Speed of cutting a continuous recording into trials and counting spikes per trial and unit.

Workload (issue "Analysis that a lab trusts"): 15 units at about 8 Hz over a session of 2,643 trials of
1.5 s (66 min, about 480,000 spikes), a window of 500 ms per trial. Timed in interleaved rounds in one
process:

* ``previous`` -- the implementation before the array path (commit bf58cf8 of ``lsnn.analysis.trials``,
  reproduced below): one Neo SpikeTrain per trial and unit, float comparisons, then counting the window
  in each SpikeTrain;
* ``neo``      -- today's Neo path (``lsnn.analysis.trials_from_table`` + ``window_counts``): exact
  tick membership, still one Neo object per trial and unit (for measures that need Neo);
* ``arrays``   -- what ``lsnn analyze`` runs: ``lsnn.analysis.recording.trials_from_table`` +
  ``window_counts`` on sorted spike-time arrays (``numpy.searchsorted``).

Both newer paths must give the counts of ``previous`` (checked; the workload has no spike on a window
edge, where ``previous`` could crash).

    .venv/bin/python benchmarks/trial_cutting.py            # 3 rounds
"""

from __future__ import annotations

import argparse
import statistics
import time

import neo
import numpy as np
import pandas as pd
import quantities as pq

N_UNITS, N_TRIALS, TRIAL_S, RATE_HZ = 15, 2643, 1.5, 8.0


def workload(seed: int = 0):
    rng = np.random.default_rng(seed)
    duration = N_TRIALS * TRIAL_S + 2.0
    spikes = [np.sort(rng.uniform(0, duration, rng.poisson(RATE_HZ * duration))) for _ in range(N_UNITS)]
    starts = 1.0 + TRIAL_S * np.arange(N_TRIALS) + rng.uniform(0, 1e-3, N_TRIALS)
    table = pd.DataFrame({"start": starts, "stop": starts + 1.0, "task": rng.integers(0, 2, N_TRIALS)})
    return spikes, duration, table


def previous(spikes, duration, table) -> np.ndarray:
    """The per-trial Neo cutting of bf58cf8 (``_cut`` with float comparisons) and its ``window_counts``."""
    trains = [neo.SpikeTrain(s * pq.s, t_stop=duration * pq.s, name=f"u{j}") for j, s in enumerate(spikes)]
    segments = []
    for _, row in table.iterrows():
        t, lo, hi = float(row["start"]), 0.0, float(row["stop"]) - float(row["start"])
        seg = neo.Segment()
        for st in trains:
            times = st.times.rescale(pq.s).magnitude
            inside = times[(times >= t + lo) & (times < t + hi)] - t
            seg.spiketrains.append(neo.SpikeTrain(inside * pq.s, t_start=lo * pq.s, t_stop=hi * pq.s, name=st.name))
        segments.append(seg)
    counts = np.zeros((len(segments), len(trains)), dtype=np.int64)
    for k, seg in enumerate(segments):
        for j, st in enumerate(seg.spiketrains):
            times = st.times.rescale(pq.s).magnitude
            counts[k, j] = int(np.count_nonzero((times >= 0.0) & (times < 0.5)))
    return counts


def neo_path(spikes, duration, table) -> np.ndarray:
    from lsnn.analysis import trials_from_table, window_counts

    trains = [neo.SpikeTrain(s * pq.s, t_stop=duration * pq.s, name=f"u{j}") for j, s in enumerate(spikes)]
    return window_counts(trials_from_table(trains, table), (0 * pq.s, 0.5 * pq.s))


def array_path(spikes, duration, table) -> np.ndarray:
    from lsnn.analysis.recording import recording_from_times, trials_from_table, window_counts

    recording = recording_from_times(spikes, t_start=0.0, t_stop=duration)
    return window_counts(recording, trials_from_table(recording, table, (0.0, 0.5)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    data = workload()
    print(f"{N_TRIALS} trials x {N_UNITS} units, {sum(len(s) for s in data[0]):,} spikes")
    paths = {"previous": previous, "neo": neo_path, "arrays": array_path}
    reference = previous(*data)
    for name, fn in paths.items():
        assert np.array_equal(fn(*data), reference), f"{name} counts differ from the previous implementation"
    times: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for name, fn in paths.items():
            t0 = time.process_time()
            fn(*data)
            times[name].append(time.process_time() - t0)
    base = statistics.median(times["previous"])
    for name, values in times.items():
        med = statistics.median(values)
        print(f"{name:9s} CPU {med:8.3f} s (median of {args.rounds}; {1e3 * med / (N_TRIALS * N_UNITS):.4f} ms per trial x unit), "
              f"{base / med:7.1f}x the previous implementation")


if __name__ == "__main__":
    main()
