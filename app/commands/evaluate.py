"""``lsnn evaluate RUN_DIR [--trials N] [--dtype float32|float64] [--batch B] [--current-noise SIGMA ...] [--out DIR]``."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description="Score a finished run (spiking network or ANN baseline) on its "
                       "held-out set -- for sequential MNIST the 10,000 test digits -- and write evaluation_<dtype>.json "
                       "with the metrics, the firing rate and which trials were answered right.")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--trials", type=int, default=None, help="the first N held-out trials (default: the run's whole test set)")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="PyTorch precision (float32: as trained)")
    p.add_argument("--batch", type=int, default=None, help="trials per batch (default: the run's test_batch)")
    p.add_argument("--current-noise", type=float, nargs="+", default=None, metavar="SIGMA",
                   help="test with Gaussian current noise of SIGMA volts per step into every neuron (default: the run's own "
                        "current_noise); writes evaluation_<dtype>_noise<SIGMA>.json. Several values: the eLife 12AX noise "
                        "test (e.g. 0.05 0.075 0.1 0.2 0.5), each level and 0 on the same trials, with noise_test.md/.csv/"
                        ".json/.png next to the paper's numbers")
    p.add_argument("--out", type=Path, default=None, help="folder of the report (default: the run folder)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.outputs import writable_folder
    from lsnn.training.evaluation import evaluate_run

    for name in ("trials", "batch"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1; got {getattr(args, name)}.")
    if not any((args.run_dir / name).is_file() for name in ("config.json", "network.npz")):
        raise FileNotFoundError(f"{args.run_dir} is not a run folder (no config.json or network.npz); give a folder written by lsnn train "
                                "or a shipped network (notebooks/data/...).")
    out = writable_folder(args.out or args.run_dir)
    print(f"[lsnn evaluate] {args.run_dir} ({args.dtype})", flush=True)
    if args.current_noise is not None and len(args.current_noise) > 1:
        return _noise_test(args, out)
    report = evaluate_run(args.run_dir, args.trials, args.dtype, args.batch, progress=not args.no_progress, out=out,
                          current_noise=None if args.current_noise is None else args.current_noise[0])
    metrics = ", ".join(f"{k} {100 * v:.2f} %" for k, v in report.items() if k in ("accuracy", "success") and v is not None)
    rate = "" if report.get("rate_hz") is None else f"; {report['rate_hz']:.1f} Hz"
    noise = f" with {report['current_noise']:g} V current noise" if report["current_noise"] else ""
    print(f"[lsnn evaluate] {report['n_trials']} held-out trials{noise}: {metrics}{rate}")
    print(f"[lsnn evaluate] wrote {report['report']}")
    return 0


def _noise_test(args: argparse.Namespace, out: Path) -> int:
    """Several noise levels: :func:`lsnn.app.noise_test.noise_test` and its table and figure."""
    from lsnn.app.noise_test import noise_test, write_noise_test
    from lsnn.training.runs import load_run

    variant = getattr(load_run(args.run_dir).task, "variant", "")
    frame = noise_test(args.run_dir, args.current_noise, n_trials=args.trials, dtype=args.dtype, batch_size=args.batch,
                       progress=not args.no_progress, out=out)
    metric = "success" if "success" in frame else "accuracy"
    for row in frame.itertuples():
        paper = "" if row.paper is None or row.paper != row.paper else f" (paper {row.paper:g} %)"
        print(f"[lsnn evaluate] sigma {row.sigma:g} V ({row.membrane_sd_mV:.1f} mV free membrane): {metric} "
              f"{getattr(row, metric):.2f} %{paper}; {row.rate_hz:.1f} Hz")
    paths = write_noise_test(frame, out, args.run_dir, variant)
    print(f"[lsnn evaluate] wrote {paths['md']} and {paths['png']}")
    return 0
