"""``lsnn validate RUN_DIR [--trials N] [--device cpp_standalone] [--dtype float64] [--current-noise SIGMA] [--write-reference]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.models.devices import DEVICES


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description="Regenerate the run's held-out trials, run PyTorch and Brian2, "
                       "compare rasters; writes validation.json and validation_rasters.nwb. Exit status 1 when a float64 "
                       "validation finds any difference.")
    p.add_argument("run_dir", type=Path)
    p.add_argument("--device", choices=DEVICES, default="cpp_standalone", help="Brian2 device")
    p.add_argument("--trials", type=int, default=None, help="number of held-out trials (default: the run's whole test set)")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64", help="PyTorch precision")
    p.add_argument("--no-nwb", action="store_true", help="do not write the Brian2 rasters as NWB")
    p.add_argument("--out", type=Path, default=None, help="folder of the report and rasters (default: the run folder)")
    p.add_argument("--current-noise", type=float, default=None, metavar="SIGMA",
                   help="both simulators get held-out Gaussian current noise of SIGMA volts per step instead of the run's own "
                        "(the 12AX noise test of lsnn evaluate --current-noise); writes validation_noise<SIGMA>.json")
    p.add_argument("--write-reference", action="store_true",
                   help="only store PyTorch's rasters (validation_reference.npz) for a validation in an environment without PyTorch")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.outputs import writable_folder
    from lsnn.training.validate import summary, validate_run, write_reference

    if args.trials is not None and args.trials < 1:
        raise ValueError(f"--trials must be at least 1; got {args.trials}.")
    if args.current_noise is not None and args.write_reference:
        raise ValueError("--current-noise applies to a validation, not to --write-reference (the reference keeps the run's own noise).")
    if args.write_reference:
        path = write_reference(args.run_dir, args.trials, progress=not args.no_progress)
        print(f"[lsnn validate] wrote {path}; validate with it where PyTorch is absent: lsnn validate {args.run_dir} --device ...")
        return 0
    if args.run_dir.is_file():
        raise FileNotFoundError(f"{args.run_dir} is a file, not a run folder; give the folder written by lsnn train (it holds network.npz and config.json).")
    if not (args.run_dir / "network.npz").is_file():
        raise FileNotFoundError(f"{args.run_dir / 'network.npz'} does not exist; train the run to completion first (lsnn train ... --resume).")
    if (args.run_dir / "episode.npz").is_file():  # a meta-RL run: its recorded episode replayed in Brian2
        if args.current_noise is not None:
            raise ValueError(f"{args.run_dir} is a meta-RL run (a recorded episode); --current-noise applies to held-out test trials.")
        from lsnn.training.rl.replay import validate_episode

        print(f"[lsnn validate] {args.run_dir}: the recorded episode on Brian2 {args.device} (float64)", flush=True)
        report = validate_episode(args.run_dir, device=args.device, progress=not args.no_progress)
        verdict = "VALIDATED: identical spikes" if report["ok"] else f"DIFFERENT: first at (step, neuron) {report['first_difference']}"
        print(f"{verdict} ({report['n_steps']} steps, {report['n_spikes']} spikes); max |action difference| "
              f"{report['max_abs_action_difference']:.1e}")
        print(f"[lsnn validate] wrote {report['report']}")
        return 0 if report["ok"] else 1
    out = writable_folder(args.out or args.run_dir)
    print(f"[lsnn validate] {args.run_dir} on Brian2 {args.device} ({args.dtype})", flush=True)
    report = validate_run(args.run_dir, device=args.device, n_trials=args.trials, dtype=args.dtype, nwb=not args.no_nwb,
                          progress=not args.no_progress, out=out, current_noise=args.current_noise)
    print(summary(report))
    print(f"[lsnn validate] wrote {report['report']}")
    return 0 if report["ok"] or args.dtype != "float64" else 1
