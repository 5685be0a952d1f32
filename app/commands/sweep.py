"""``lsnn sweep --task T [--model M] [--preset P] --grid KEY=V1,V2 ... [--set KEY=VALUE ...] [--seeds N] [--executor local|slurm]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.app.executors import add_executor_arguments
from lsnn.models.devices import DEVICES
from lsnn.training.config import MODELS, PRESET_BUILDERS, PRESETS


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text,
                       description="Train every combination of the --grid values x seeds (resumable: finished runs are reused), "
                                   "locally or as SLURM jobs, and tabulate the test metric per grid point in OUT/sweep.md.")
    p.add_argument("--task", choices=sorted(PRESET_BUILDERS), required=True)
    p.add_argument("--model", choices=MODELS, default="sfa")
    p.add_argument("--preset", choices=PRESETS, default="quick")
    p.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2",
                   help="a swept configuration value: comma-separated JSON values or a JSON list, e.g. --grid lr=0.001,0.003 "
                        "--grid task_params.expected_delay=[2.0,4.0] (several --grid: every combination)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="a configuration value fixed for every run (JSON), as for lsnn train")
    p.add_argument("--seeds", type=int, default=1, help="runs per grid point (seeds 0..N-1)")
    p.add_argument("--metric", default=None, help="test metric tabulated (default: success for 12ax and duplication_reversal, else accuracy)")
    p.add_argument("--validate-trials", type=int, default=0, help="test trials per run simulated in Brian2 (default 0: none)")
    p.add_argument("--device", choices=DEVICES, default="cpp_standalone", help="Brian2 device of the validations")
    p.add_argument("--out", type=Path, default=None, help="results folder (default results/sweep-<task>-<model>-<preset>)")
    p.add_argument("--no-progress", action="store_true")
    add_executor_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.executors import executor_options
    from lsnn.app.outputs import writable_folder
    from lsnn.app.sweep import parse_grid, sweep
    from lsnn.training.config import parse_override

    if args.validate_trials < 0:
        raise ValueError(f"--validate-trials must be 0 (no validation) or positive; got {args.validate_trials}.")
    executor = executor_options(args)
    grid = parse_grid(args.grid)
    fixed = dict(parse_override(text) for text in args.overrides)
    out = writable_folder(args.out or Path("results") / f"sweep-{args.task}-{args.model}-{args.preset}")
    frame = sweep(args.task, out, model=args.model, preset=args.preset, fixed=fixed, grid=grid, seeds=args.seeds, metric=args.metric,
                  validate_trials=args.validate_trials, device=args.device, progress=not args.no_progress, executor=executor)
    print((out / "sweep.md").read_text())
    print(f"[lsnn sweep] wrote {out}/sweep.md, sweep_runs.csv, sweep.json")
    mismatched = frame[frame["identical_trials"] < frame["validated_trials"]]
    return 1 if len(mismatched) else 0
