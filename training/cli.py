"""``lsnn train``, ``lsnn validate``, ``lsnn reproduce``: parse arguments, call the training package.

    lsnn train --task store_recall --model sfa --preset quick [--seed 0] [--set key=value ...]
               [--run-dir runs/NAME] [--resume]
    lsnn validate RUN_DIR [--trials N] [--device cpp_standalone] [--dtype float64]
    lsnn reproduce elife-table1 [--preset quick|paper] [--seeds N] [--rows ...] [--delays ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .config import MODELS, PRESETS, make_config, parse_override
from .tasks import TASKS
from .trainer import RunError, train


def add_train_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``train`` subcommand on the ``lsnn`` parser."""
    p = sub.add_parser("train", help="train an LSNN with BPTT on a task; writes a run folder",
                       description="Train an LSNN with BPTT (+ DEEP R) and export network.npz.")
    p.add_argument("--task", choices=sorted(TASKS), default="store_recall")
    p.add_argument("--model", choices=MODELS, default="sfa", help="sfa: adaptive neurons; lif: none; elif: enhanced excitability; stp_d / stp_f: LIF with depressing / facilitating synapses; lstm / rnn: ANN baselines")
    p.add_argument("--preset", choices=PRESETS, default="quick", help="quick: laptop CPU in minutes; paper: the paper's hyper-parameters")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a configuration value (JSON), e.g. --set n_iterations=50 --set task_params.expected_delay=4.0")
    p.add_argument("--run-dir", type=Path, default=None, help="run folder (default runs/<task>-<model>-<preset>-s<seed>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run (or reuse a finished one)")
    p.add_argument("--no-progress", action="store_true")


def run_train(args: argparse.Namespace) -> int:
    try:
        overrides = dict(parse_override(text) for text in args.overrides)
        cfg = make_config(args.task, args.model, args.preset, overrides, seed=args.seed)
    except (ValueError, TypeError) as exc:
        raise SystemExit(f"lsnn train: {exc}") from None
    run_dir = args.run_dir or Path("runs") / f"{args.task}-{args.model}-{args.preset}-s{args.seed}"
    print(f"[lsnn train] {args.task} / {args.model} / {args.preset} -> {run_dir}", flush=True)
    try:
        result = train(cfg, run_dir, resume=args.resume, progress=not args.no_progress)
    except RunError as exc:
        raise SystemExit(f"lsnn train: {exc}") from None
    print(f"[lsnn train] test: {json.dumps(result['test'])}")
    print(f"[lsnn train] wrote {result['network']}")
    return 0


def add_validate_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``validate`` subcommand on the ``lsnn`` parser."""
    p = sub.add_parser("validate", help="re-simulate a trained run in Brian2 and compare with PyTorch, spike for spike",
                       description="Regenerate the run's test set, run PyTorch and Brian2, compare rasters; writes validation.json.")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--device", default="cpp_standalone", help="Brian2 device (cpp_standalone, cython, numpy, genn, cuda_standalone)")
    p.add_argument("--trials", type=int, default=None, help="number of test trials (default: the run's whole test set)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--no-nwb", action="store_true", help="do not write the Brian2 rasters as NWB")
    p.add_argument("--no-progress", action="store_true")


def run_validate(args: argparse.Namespace) -> int:
    """Validate; exit status 1 when a float64 validation finds any difference."""
    import torch

    from .validate import summary, validate_run

    print(f"[lsnn validate] {args.run_dir} on Brian2 {args.device} ({args.dtype})", flush=True)
    try:
        report = validate_run(args.run_dir, device=args.device, n_trials=args.trials, dtype=getattr(torch, args.dtype),
                              nwb=not args.no_nwb, progress=not args.no_progress)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"lsnn validate: {exc}") from None
    print(summary(report))
    print(f"[lsnn validate] wrote {Path(args.run_dir) / 'validation.json'}")
    return 0 if report["ok"] or args.dtype != "float64" else 1


def add_reproduce_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``lsnn reproduce`` (eLife tables and figures: train, validate, tabulate)."""
    from .reproduce import COMPARISONS, TABLE1_ROWS
    from .config import MODELS

    names = ["elife-table1", *COMPARISONS]
    listing = "; ".join(f"{c.name}: {c.title}" for c in COMPARISONS.values())
    p = sub.add_parser("reproduce", help="reproduce a table or figure of the eLife paper: train every run, validate in Brian2, tabulate",
                       description="lsnn reproduce NAME --preset quick --seeds 1 (resumable: finished runs are reused). "
                                   f"elife-table1: 1-D STORE-RECALL accuracy by adaptation time constant and expected delay; {listing}.")
    p.add_argument("table", choices=names)
    p.add_argument("--preset", choices=["quick", "paper", "tiny"], default="quick",
                   help="quick: a 2-core CPU (Table 1: 150 iterations, delays 0.2/2/4 s, about 30 min per seed; 12AX and "
                        "duplication/reversal: a 200-iteration pipeline check); paper: the paper's sizes and iterations (GPU)")
    p.add_argument("--seeds", type=int, default=1, help="runs per cell (seeds 0..N-1)")
    p.add_argument("--rows", nargs="+", choices=list(TABLE1_ROWS), default=None, help="elife-table1: subset of rows (default: all)")
    p.add_argument("--delays", nargs="+", type=float, default=None, help="elife-table1: subset of expected delays in s (default: the preset's)")
    p.add_argument("--models", nargs="+", choices=MODELS, default=None, help="figures: subset of the compared models (default: all)")
    p.add_argument("--validate-trials", type=int, default=None, help="test trials per run simulated in Brian2 (0: none)")
    p.add_argument("--out", type=Path, default=None, help="results folder (default results/<name>-<preset>)")
    p.add_argument("--no-progress", action="store_true")


def run_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import reproduce_comparison, reproduce_table1

    out = args.out or Path("results") / f"{args.table}-{args.preset}"
    try:
        if args.table == "elife-table1":
            if args.models:
                raise ValueError("--models applies to the figures; Table 1 is selected with --rows and --delays.")
            frame = reproduce_table1(out, preset=args.preset, seeds=args.seeds, rows=args.rows, delays=args.delays,
                                     validate_trials=args.validate_trials, progress=not args.no_progress)
            stem = "table1"
        else:
            if args.rows or args.delays:
                raise ValueError("--rows and --delays apply to elife-table1 only; use --models.")
            frame = reproduce_comparison(args.table, out, preset=args.preset, seeds=args.seeds, models=args.models,
                                         validate_trials=args.validate_trials, progress=not args.no_progress)
            stem = args.table
    except (ValueError, RunError) as exc:
        raise SystemExit(f"lsnn reproduce: {exc}") from None
    print((out / f"{stem}.md").read_text())
    print(f"[lsnn reproduce] wrote {out}/{stem}.md, {stem}_runs.csv, {stem}.json")
    mismatched = frame[frame["identical_trials"] < frame["validated_trials"]]
    return 1 if len(mismatched) else 0
