"""Brian2 simulation speed of a 220-neuron ALIF network (80 inputs), per target.

Prints steps/s of one trial (simulation only; build and compile times printed separately) for
numpy, cython and cpp_standalone at several connectivities, and the throughput of many trials of
840 steps (the sMNIST trial length) run by one compiled C++ standalone project -- with a cold
project cache, for the same network again and for another network of the same size (the compiled
project kept between calls, :func:`lsnn.models.simulation.project_folder`). For
cpp_standalone the compiled binary is also re-run ``--repeats`` times (median and best loop time),
once as the builder makes it and once with every time constant declared per neuron
(``shared_constants=False``, the baseline: decay factors recomputed per neuron and per synaptic
event), interleaved in the same process.

    .venv/bin/python benchmarks/brian2_speed.py                      # full set (several minutes)
    .venv/bin/python benchmarks/brian2_speed.py --devices cpp_standalone --steps 20000 --trials 1000
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time

import numpy as np

from lsnn.models import simulate, simulate_reference
from lsnn.models.examples import poisson_input, random_spec


def network(p_connect: float, seed: int = 0, target_rate: float = 15.0, uniform: bool = False):
    """The sMNIST-sized network (80 inputs, 120 LIF + 100 ALIF), weights scaled by bisection on the
    NumPy reference map so that it fires at about ``target_rate`` Hz under 20 Hz input.

    ``uniform=False``: random delays 0-5 steps, tau_a 0.2-1.2 s and refractory periods per neuron
    (the exactness tests' networks); ``uniform=True``: as the sequential-MNIST network of Bellec et al.
    2018 and the trainer's defaults: tau_a 700 ms and 5 refractory steps for all, recurrent delay 1
    step, input delay 0."""
    lo, hi = 0.5, 8.0
    for _ in range(7):
        w_scale = np.sqrt(lo * hi)
        spec = random_spec(np.random.default_rng(seed), n_in=80, n_rec=220, n_out=10, p_connect=p_connect, frac_alif=100 / 220, w_scale=w_scale)
        if uniform:
            spec = spec.copy(tau_a=np.full(spec.n_rec, 0.7), n_ref=np.full(spec.n_rec, 5), d_rec=np.ones_like(spec.d_rec), d_in=np.zeros_like(spec.d_in))
        probe = simulate_reference(spec, poisson_input(np.random.default_rng(seed + 1), 600, 80, rate=20.0))
        rate = probe.spikes[100:].mean() / spec.dt
        lo, hi = (w_scale, hi) if rate < target_rate else (lo, w_scale)
    return spec, np.random.default_rng(seed + 2)


def standalone_loop_times(spec, x: np.ndarray, shared_constants: bool, repeats: int) -> list[float]:
    """Build one C++ standalone project for the single trial ``x`` and run its binary ``repeats``
    times; returns Brian2's loop time of each run (s)."""
    from brian2 import Clock, device, second

    from lsnn.models.devices import use_device
    from lsnn.models.network import NetworkLayout, build_network

    directory = tempfile.mkdtemp(prefix="lsnn_bench_")
    try:
        with use_device("cpp_standalone", directory):
            built = build_network(spec, x[None], None, layout=NetworkLayout(spike_input="generator", shared_constants=shared_constants),
                                  record_v=False, clock=Clock(dt=spec.dt * second, name="lsnn_clock"))
            built.network.run(x.shape[0] * spec.dt * second, namespace=built.namespace)
            device.build(directory=directory, compile=True, run=False)
            times = []
            for _ in range(repeats):
                device.run()
                times.append(float(device._last_run_time))
            return times
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", nargs="+", default=["numpy", "cython", "cpp_standalone"])
    parser.add_argument("--connectivity", nargs="+", type=float, default=[0.12, 0.5, 1.0])
    parser.add_argument("--steps", type=int, default=20_000, help="steps of the single-trial run (numpy uses 1/10; 0: skip it)")
    parser.add_argument("--trials", type=int, default=1000, help="trials of 840 steps for the one-compile throughput run")
    parser.add_argument("--trials-per-run", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=5, help="re-runs of the compiled single-trial binary")
    parser.add_argument("--uniform-trials", action="store_true",
                        help="throughput run on the sequential-MNIST-like network (uniform delays and time constants, as the "
                             "trainer's networks) instead of the random one")
    args = parser.parse_args()
    os.environ.setdefault("CYTHON_CACHE_DIR", os.path.abspath(".cython_cache"))
    print(f"# {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print("# loop s: Brian2's simulation loop; run s: + standalone process start and file I/O; total s: + build/compile")
    print(f"{'device':>15} {'p':>5} {'steps':>7} {'rate Hz':>8} {'loop s':>8} {'run s':>8} {'total s':>8} {'steps/s loop':>13} {'steps/s run':>12}")
    for p in args.connectivity if args.steps else ():
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
    if args.repeats and "cpp_standalone" in args.devices:
        print(f"\n# cpp_standalone single trial, {args.steps} steps, binary re-run {args.repeats} times (steps/s of the loop)")
        print(f"{'network':>8} {'p':>5} {'rate Hz':>8} {'constants':>10} {'median':>9} {'best':>9}")
        for uniform in (False, True):
            for p in args.connectivity:
                spec, rng = network(p, uniform=uniform)
                x = poisson_input(rng, args.steps, spec.n_in, rate=20.0)
                rate = simulate_reference(spec, x[:2000]).spikes.mean() / spec.dt
                for shared in (False, True):
                    times = standalone_loop_times(spec, x, shared, args.repeats)
                    label = "shared" if shared else "per-neuron"
                    kind = "uniform" if uniform else "random"
                    print(f"{kind:>8} {p:>5.2f} {rate:>8.1f} {label:>10} {args.steps / np.median(times):>9.0f} {args.steps / min(times):>9.0f}", flush=True)
    if args.trials and "cpp_standalone" in args.devices:
        # the compiled-project cache (lsnn.models.simulation.project_folder) in a fresh folder: a cold build, the
        # same network again, and another network of the same size (other weights and synapse counts)
        os.environ["LSNN_CACHE_DIR"] = tempfile.mkdtemp(prefix="lsnn_bench_cache_")
        kind = "uniform (sMNIST-like)" if args.uniform_trials else "random"
        print(f"\n# cpp_standalone, {args.trials} trials x 840 steps, {kind} network, p = {args.connectivity[0]}, one simulate call each")
        for label, seed in (("cold project cache", 0), ("same network again", 0), ("another network, same size", 3)):
            spec, rng = network(args.connectivity[0], seed=seed, uniform=args.uniform_trials)
            x = poisson_input(rng, 840, spec.n_in, rate=20.0, n_trials=args.trials)
            t0 = time.perf_counter()
            res = simulate(spec, x, device="cpp_standalone", record_v=False, trials_per_run=args.trials_per_run, progress=False)
            total = time.perf_counter() - t0
            print(f"{label:>27}: {total:.1f} s in total ({res.run_time:.1f} s running the binary, {res.loop_time:.1f} s in its loop), "
                  f"{args.trials / total:.1f} trials/s overall, {args.trials / res.loop_time:.1f} trials/s in the loop", flush=True)
        shutil.rmtree(os.environ["LSNN_CACHE_DIR"], ignore_errors=True)


if __name__ == "__main__":
    main()
