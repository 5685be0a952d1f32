"""``lsnn demo [--out DIR] [--preset quick] [--device cpp_standalone] [--trials 512]`` (:mod:`lsnn.app.demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.models.devices import DEVICES
from lsnn.training.config import PRESETS


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description="Train SFA and LIF networks on 1-D STORE-RECALL, validate both in "
                       "Brian2 spike for spike, analyse the Brian2 rasters (Neo/Elephant), draw the figures, write a report.")
    p.add_argument("--out", type=Path, default=Path("results/demo"))
    p.add_argument("--preset", choices=PRESETS, default="quick")
    p.add_argument("--device", choices=DEVICES, default="cpp_standalone", help="Brian2 device of the validation")
    p.add_argument("--trials", type=int, default=512, help="test trials validated in Brian2 (0: the whole test set)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.demo import run_demo
    from lsnn.app.outputs import writable_folder

    if args.trials < 0:
        raise ValueError(f"--trials must be 0 (the whole test set) or positive; got {args.trials}.")
    writable_folder(args.out)
    run_demo(args.out, preset=args.preset, device=args.device, validation_trials=args.trials or None, seed=args.seed,
             progress=not args.no_progress)
    return 0
