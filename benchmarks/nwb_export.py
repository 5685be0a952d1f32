"""Speed of writing a simulation's rasters to NWB: Neo's NWBIO against pynwb directly.

Workload (issue "Training fast enough for a laptop", NWB export): 1,000 trials of 840 steps of 60 neurons at
about 15 Hz with the readout (3 outputs) recorded, as a validation writes them. Timed in one process,
alternating:

* ``neo``    -- ``save_nwb(to_neo(result, spec, annotations), path)``: one Neo SpikeTrain per trial and
  neuron, written by ``neo.io.NWBIO`` (one ``add_unit`` call per train, then pynwb's validation);
* ``direct`` -- ``save_rasters_nwb(result, spec, path, annotations)``: the same file layout built in bulk
  with pynwb (:func:`lsnn.models.neo_io.save_rasters_nwb`).

``--no-signals`` leaves the readout out: the units table alone. Each per-trial TimeSeries costs pynwb
about 10-20 ms to build and write whichever way it is made, which bounds the speed-up with signals.

The two files must hold the same units (spike times, names, segments) and signals (checked through pynwb
on every unit; a Neo read-back of both is compared on the first trials).

    .venv/bin/python benchmarks/nwb_export.py              # 1,000 trials, 2 rounds
    .venv/bin/python benchmarks/nwb_export.py --trials 200 --rounds 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def workload(n_trials: int, n_steps: int = 840, n_rec: int = 60, rate_hz: float = 15.0, seed: int = 0, signals: bool = True):
    from lsnn.models.examples import random_spec
    from lsnn.models.simulation import SimulationResult

    rng = np.random.default_rng(seed)
    spec = random_spec(rng, n_in=10, n_rec=n_rec, n_out=3)
    spikes = (rng.random((n_trials, n_steps, n_rec)) < rate_hz * 1e-3).astype(np.uint8)
    outputs = rng.normal(size=(n_trials, n_steps, 3))
    result = SimulationResult(spikes, outputs if signals else None, None, None, 1e-3, "numpy", 0.0)
    annotations = [{"stored_value": int(k % 2), "delay_s": float(1 + k % 4)} for k in range(n_trials)]
    return spec, result, annotations


def same_files(a: Path, b: Path, check_neo_trials: int = 3) -> None:
    """Every unit and signal equal through pynwb; the first trials equal through Neo's reader."""
    import pynwb

    from lsnn.models.neo_io import load_nwb

    with pynwb.NWBHDF5IO(str(a), "r") as ia, pynwb.NWBHDF5IO(str(b), "r") as ib:
        fa, fb = ia.read(), ib.read()
        ua, ub = fa.units, fb.units
        assert len(ua) == len(ub)
        assert np.array_equal(ua["spike_times"].data[:], ub["spike_times"].data[:])
        assert np.array_equal(ua["spike_times_index"].data[:], ub["spike_times_index"].data[:])
        for col in ("_name", "segment", "block"):
            assert list(ua[col].data[:]) == list(ub[col].data[:]), col
        assert set(fa.acquisition) == set(fb.acquisition)
        for name in fa.acquisition:
            assert np.array_equal(fa.acquisition[name].data[:], fb.acquisition[name].data[:])
    if check_neo_trials:
        A, B = load_nwb(a), load_nwb(b)
        for sa, sb in list(zip(A.segments, B.segments))[:check_neo_trials]:
            assert sa.name == sb.name and sa.annotations == sb.annotations
            for x, y in zip(sa.spiketrains, sb.spiketrains):
                assert x.name == y.name and x.annotations == y.annotations and np.array_equal(x.magnitude, y.magnitude)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-signals", action="store_true", help="spike trains only (no readout TimeSeries per trial)")
    args = parser.parse_args()
    from lsnn.models.neo_io import save_nwb, save_rasters_nwb, to_neo

    spec, result, annotations = workload(args.trials, signals=not args.no_signals)
    folder = Path(tempfile.mkdtemp(prefix="lsnn_nwb_bench_"))
    times = {"neo": [], "direct": []}
    for r in range(args.rounds):
        t0 = time.perf_counter()
        save_nwb(to_neo(result, spec, annotations, name="benchmark"), folder / "neo.nwb")
        times["neo"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        save_rasters_nwb(result, spec, folder / "direct.nwb", annotations, name="benchmark")
        times["direct"].append(time.perf_counter() - t0)
        print(f"round {r + 1}: neo {times['neo'][-1]:.2f} s, direct {times['direct'][-1]:.2f} s", flush=True)
    same_files(folder / "neo.nwb", folder / "direct.nwb")
    neo_s, direct_s = statistics.median(times["neo"]), statistics.median(times["direct"])
    what = "spike trains only" if args.no_signals else "spike trains and the readout (one TimeSeries per trial)"
    print(f"{args.trials} trials x {result.spikes.shape[1]} steps x {result.spikes.shape[2]} neurons "
          f"({int(result.spikes.sum())} spikes; {what}): Neo NWBIO {neo_s:.2f} s, pynwb direct {direct_s:.3f} s, "
          f"speed-up {neo_s / direct_s:.1f}x (median of {args.rounds}); files identical through pynwb and Neo")


if __name__ == "__main__":
    main()
