"""``lsnn train --task store_recall --model sfa --preset quick [--seed 0] [--set key=value ...] [--run-dir D] [--resume]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.training.config import MODELS, PRESET_BUILDERS, PRESETS


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description="Train an LSNN with BPTT (+ DEEP R) and export network.npz.")
    p.add_argument("--task", choices=sorted(PRESET_BUILDERS), default="store_recall")
    p.add_argument("--model", choices=MODELS, default="sfa", help="sfa: adaptive neurons; lif: none; elif: enhanced excitability; "
                   "stp_d / stp_f: LIF with depressing / facilitating synapses; lstm / rnn: ANN baselines")
    p.add_argument("--preset", choices=PRESETS, default="quick", help="quick: laptop CPU in minutes; paper: the paper's hyper-parameters")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a configuration value (JSON), e.g. --set n_iterations=50 --set task_params.expected_delay=4.0 "
                        "--set connectivity=0.12 (DEEP R) --set dale=true (E/I)")
    p.add_argument("--run-dir", type=Path, default=None, help="run folder (default runs/<task>-<model>-<preset>-s<seed>)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run (or reuse a finished one)")
    p.add_argument("--device", choices=("cpu", "cuda", "auto"), default="cpu",
                   help="where PyTorch trains (auto: CUDA when available); checkpoints resume on either. Several processes: "
                        "torchrun --nproc_per_node N -m lsnn.app.cli train ... (data-parallel, the batch split over them)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import os

    from lsnn.common.jsonsafe import dumps
    from lsnn.training.config import make_config, parse_override
    from lsnn.training.trainer import build_task, train

    overrides = dict(parse_override(text) for text in args.overrides)
    cfg = make_config(args.task, args.model, args.preset, overrides, seed=args.seed)  # every field checked before writing
    run_dir = args.run_dir or Path("runs") / f"{args.task}-{args.model}-{args.preset}-s{args.seed}"
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 speaks for all
        print(f"[lsnn train] {args.task} / {args.model} / {args.preset} -> {run_dir}", flush=True)
        variant = build_task(cfg).variant
        if variant:
            print(f"[lsnn train] task variant: {variant}", flush=True)
    result = train(cfg, run_dir, resume=args.resume, progress=not args.no_progress, device=args.device)
    if result["test"] is None:  # a data-parallel rank other than 0: rank 0 reports
        return 0
    print(f"[lsnn train] test: {dumps(result['test'])}")
    print(f"[lsnn train] wrote {result['network']}")
    return 0
