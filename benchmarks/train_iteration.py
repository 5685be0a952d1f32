"""Seconds per training iteration of a preset, as ``lsnn train`` runs it (data, forward, backward, Adam, DEEP R).

Trains a fresh run of the preset in a temporary folder: 3 warm-up iterations (kernel loaded, data read; not
checkpointed, so the timed call starts again from iteration 0), then ``--iterations`` timed ones; prints seconds per
iteration and the last loss (identical losses across two code versions mean that they train the same weights).
The seconds are those of the training loop as the run's ``time_s`` logs them, without the set-up of the timed call
(reading the data, building the network: about 2 s for sMNIST, which over 20 iterations would add 0.1 s to each).
To compare two commits in one sitting, run it alternately against the working tree and against a ``git worktree``
of the other commit placed on ``PYTHONPATH`` as a package named ``lsnn``::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/train_iteration.py --threads 1 --iterations 40
    git worktree add /tmp/old <commit> && mkdir -p /tmp/oldpkg && ln -s /tmp/old /tmp/oldpkg/lsnn
    OMP_NUM_THREADS=1 PYTHONPATH=/tmp/oldpkg .venv/bin/python benchmarks/train_iteration.py --threads 1 --iterations 40

Default workload: sequential MNIST, DEEP R LSNN, quick preset (batches of 128, 840 steps; needs the MNIST files, see
README "Sequential MNIST").
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="smnist")
    parser.add_argument("--model", default="sfa")
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="configuration override (JSON value)")
    parser.add_argument("--iterations", type=int, default=40, help="timed iterations (after a warm-up of 3)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    args = parser.parse_args()

    import torch

    import lsnn.training
    from lsnn.training.config import make_config, parse_override
    from lsnn.training.trainer import train

    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = dict(parse_override(text) for text in args.set)
    overrides.setdefault("eval_every", 0)  # no test digits inside the timed iterations
    overrides.setdefault("checkpoint_every", 10**6)
    cfg = make_config(args.task, args.model, args.preset, overrides)
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        train(cfg, run, max_iterations=3, progress=False)
        train(cfg, run, resume=True, max_iterations=args.iterations, progress=False)
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
        # the resumed loop's clock continues from the warm-up's logged time: the difference is the timed loop alone
        timed = records[-args.iterations:]
        last = timed[-1]
        before = records[-args.iterations - 1]["time_s"] if len(records) > args.iterations else 0.0
        per_iteration = (last["time_s"] - before) / args.iterations
    print(f"lsnn from {Path(lsnn.training.__file__).parents[1]}; {platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"{args.task}/{args.model}/{args.preset}: {per_iteration:.4f} s per iteration over {args.iterations}; "
          f"loss at iteration {last['iteration']}: {last['loss']!r}")


if __name__ == "__main__":
    main()
