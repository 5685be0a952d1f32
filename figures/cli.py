"""The ``lsnn`` command: thin argument parsing around one function per subcommand.

``lsnn demo [--out DIR] [--preset quick] [--device cpp_standalone]``: the main job of the README:
train SFA and LIF networks on STORE-RECALL, validate them in Brian2, analyse, draw, report
(:mod:`lsnn.figures.demo`).
``lsnn intro [--out DIR]``: the poster's introduction panel (one ALIF neuron under a current step).
``lsnn simulate NETWORK.npz INPUT.npy``: simulate a saved network on saved inputs.
``lsnn train --task store_recall --model sfa --preset quick``: train with BPTT (``lsnn.training.cli``).
``lsnn validate RUN_DIR``: re-simulate the run's test set in Brian2 and compare with PyTorch.
``lsnn reproduce elife-table1 --preset quick``: train, validate and tabulate eLife Table 1 (``lsnn.training.reproduce``).
``lsnn analyze selectivity|sequences FILE ...``: mixed selectivity and sequences of count tables or spike files (``lsnn.analysis.cli``).
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

import numpy as np

# pyparsing's camelCase deprecation notices, triggered by Brian2 2.9 at import (recorded and dropped
# here) and whenever it parses equations (ignored by _quiet_third_party_warnings).
with warnings.catch_warnings(record=True):
    import brian2  # noqa: F401

from lsnn.analysis.cli import add_analyze_parser, run_analyze
from lsnn.models import DEVICES, simulate
from lsnn.models.examples import single_neuron_spec, step_current
from lsnn.models.neo_io import save_nwb, to_neo
from lsnn.models.spec import NetworkSpec
from lsnn.training.cli import add_reproduce_parser, add_train_parser, add_validate_parser, run_reproduce, run_train, run_validate

from .poster_intro import figure_poster_intro


def run_poster_intro(out: Path, device: str = "cython") -> dict[str, Path]:
    """Simulate one ALIF neuron under a 4 s current step and write figure, network and NWB spikes."""
    out.mkdir(parents=True, exist_ok=True)
    spec = single_neuron_spec()
    n_steps = 5000
    i_ext = step_current(n_steps, 500, 4500, 0.05)
    print(f"[lsnn intro] simulating one ALIF neuron for {n_steps} steps on Brian2 '{device}' ...", flush=True)
    res = simulate(spec, np.zeros((n_steps, 1)), i_ext=i_ext, device=device, record_threshold=True)
    n_spikes = int(res.spikes.sum())
    paths = {
        "figure": out / "poster_intro_sfa_step.png",
        "network": out / "single_alif_neuron.npz",
        "nwb": out / "single_alif_neuron_spikes.nwb",
    }
    figure_poster_intro(res, i_ext).savefig(paths["figure"])
    spec.save(paths["network"])
    save_nwb(to_neo(res, spec, [{"stimulus": "step", "amplitude_V": 0.05, "onset_s": 0.5, "offset_s": 4.5}]), paths["nwb"])
    steps = np.nonzero(res.spikes[:, 0])[0]
    isi = np.diff(steps) * spec.dt
    print(f"[lsnn intro] {n_spikes} spikes; first ISI {isi[0]*1e3:.0f} ms, last ISI {isi[-1]*1e3:.0f} ms (adaptation)")
    for what, path in paths.items():
        print(f"[lsnn intro] wrote {what}: {path}")
    return paths


def run_simulate(network: Path, inputs: Path, out: Path, device: str) -> Path:
    """Simulate ``network`` (.npz) on ``inputs`` (.npy, (T, n_in) or (trials, T, n_in)); write spikes/outputs."""
    spec = NetworkSpec.load(network)
    try:
        x = np.load(inputs, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"lsnn simulate: cannot read inputs {inputs}: {exc}") from None
    res = simulate(spec, x, device=device, record_v=False)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, spikes=res.spikes, outputs=res.outputs, dt=res.dt)
    print(f"[lsnn simulate] {res.spikes.sum()} spikes in {res.wall_time:.1f} s; wrote {out}")
    return out


def _quiet_third_party_warnings() -> None:
    """Ignore known-harmless notices of pinned releases: pyparsing's deprecations (called by Brian2
    2.9) and pynwb's positional-argument FutureWarning. Added after every import, in front of the
    ``("once", UserWarning)`` filter that Elephant installs at import (pyparsing's warnings are
    UserWarnings too, so that filter would otherwise win)."""
    warnings.filterwarnings("ignore", message=".*deprecated.*", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="validate: Using positional arguments", category=FutureWarning)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lsnn", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the main job: train SFA and LIF on STORE-RECALL, validate in Brian2, analyse, report")
    demo.add_argument("--out", type=Path, default=Path("results/demo"))
    demo.add_argument("--preset", choices=("quick", "paper", "tiny"), default="quick")
    demo.add_argument("--device", choices=DEVICES, default="cpp_standalone", help="Brian2 device of the validation")
    demo.add_argument("--trials", type=int, default=512, help="test trials validated in Brian2 (0: the whole test set)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--no-progress", action="store_true")
    intro = sub.add_parser("intro", help="the poster's introduction panel: one ALIF neuron under a current step (Brian2)")
    intro.add_argument("--out", type=Path, default=Path("results/intro"))
    intro.add_argument("--device", choices=DEVICES, default="cython")
    sim = sub.add_parser("simulate", help="simulate a saved NetworkSpec on saved inputs")
    sim.add_argument("network", type=Path)
    sim.add_argument("inputs", type=Path)
    sim.add_argument("--out", type=Path, default=Path("results/simulation.npz"))
    sim.add_argument("--device", choices=DEVICES, default="cython")
    add_train_parser(sub)
    add_validate_parser(sub)
    add_reproduce_parser(sub)
    add_analyze_parser(sub)
    args = parser.parse_args(argv)
    _quiet_third_party_warnings()
    logging.basicConfig(level=logging.ERROR)  # Neo's root-logger renaming notices
    if args.command == "demo":
        from .demo import run_demo

        run_demo(args.out, preset=args.preset, device=args.device, validation_trials=args.trials or None, seed=args.seed, progress=not args.no_progress)
    elif args.command == "intro":
        run_poster_intro(args.out, args.device)
    elif args.command == "simulate":
        run_simulate(args.network, args.inputs, args.out, args.device)
    elif args.command == "train":
        return run_train(args)
    elif args.command == "validate":
        return run_validate(args)
    elif args.command == "reproduce":
        return run_reproduce(args)
    elif args.command == "analyze":
        return run_analyze(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
