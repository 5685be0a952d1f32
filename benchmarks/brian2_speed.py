"""Brian2 simulation speed of a 220-neuron ALIF network (80 inputs), per target.

Prints steps/s of one trial (simulation only; build and compile times printed separately) for
numpy, cython and cpp_standalone at several connectivities, and the throughput of many trials of
840 steps (the sMNIST trial length) run by one compiled C++ standalone project.

    .venv/bin/python benchmarks/brian2_speed.py                      # full set (several minutes)
    .venv/bin/python benchmarks/brian2_speed.py --devices cpp_standalone --steps 20000 --trials 1000
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from lsnn.models import simulate, simulate_reference
from lsnn.models.examples import poisson_input, random_spec


def network(p_connect: float, seed: int = 0, target_rate: float = 15.0):
    """The sMNIST-sized network (80 inputs, 120 LIF + 100 ALIF, delays 0-5), weights scaled by
    bisection on the NumPy reference map so that it fires at about ``target_rate`` Hz under 20 Hz input."""
    lo, hi = 0.5, 8.0
    for _ in range(7):
        w_scale = np.sqrt(lo * hi)
        spec = random_spec(np.random.default_rng(seed), n_in=80, n_rec=220, n_out=10, p_connect=p_connect, frac_alif=100 / 220, w_scale=w_scale)
        probe = simulate_reference(spec, poisson_input(np.random.default_rng(seed + 1), 600, 80, rate=20.0))
        rate = probe.spikes[100:].mean() / spec.dt
        lo, hi = (w_scale, hi) if rate < target_rate else (lo, w_scale)
    return spec, np.random.default_rng(seed + 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", nargs="+", default=["numpy", "cython", "cpp_standalone"])
    parser.add_argument("--connectivity", nargs="+", type=float, default=[0.12, 0.5, 1.0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps of the single-trial run (numpy uses 1/10)")
    parser.add_argument("--trials", type=int, default=1000, help="trials of 840 steps for the one-compile throughput run")
    parser.add_argument("--trials-per-run", type=int, default=None)
    args = parser.parse_args()
    os.environ.setdefault("CYTHON_CACHE_DIR", os.path.abspath(".cython_cache"))
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print("# loop s: Brian2's simulation loop; run s: + standalone process start and file I/O; total s: + build/compile")
    print(f"{'device':>15} {'p':>5} {'steps':>7} {'rate Hz':>8} {'loop s':>8} {'run s':>8} {'total s':>8} {'steps/s loop':>13} {'steps/s run':>12}")
    for p in args.connectivity:
        spec, rng = network(p)
        for device in args.devices:
            steps = args.steps // 10 if device == "numpy" else args.steps
            x = poisson_input(rng, steps, spec.n_in, rate=20.0)
            res = simulate(spec, x, device=device, record_v=False, progress=False)
            rate = res.spikes.mean() / spec.dt
            print(
                f"{device:>15} {p:>5.2f} {steps:>7} {rate:>8.1f} {res.loop_time:>8.2f} {res.run_time:>8.2f} {res.wall_time:>8.1f} "
                f"{steps / res.loop_time:>13.0f} {steps / res.run_time:>12.0f}",
                flush=True,
            )
    if args.trials and "cpp_standalone" in args.devices:
        spec, rng = network(args.connectivity[0])
        x = poisson_input(rng, 840, spec.n_in, rate=20.0, n_trials=args.trials)
        t0 = time.perf_counter()
        res = simulate(spec, x, device="cpp_standalone", record_v=False, trials_per_run=args.trials_per_run, progress=True)
        total = time.perf_counter() - t0
        print(
            f"cpp_standalone, {args.trials} trials x 840 steps, p = {args.connectivity[0]}: one compile, "
            f"{total:.1f} s in total ({res.run_time:.1f} s running the binary, {res.loop_time:.1f} s in its loop), "
            f"{args.trials / total:.1f} trials/s overall, {args.trials * 840 / res.run_time:.0f} trial-steps/s running"
        )


if __name__ == "__main__":
    main()
