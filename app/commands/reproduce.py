"""``lsnn reproduce NAME --preset quick|paper|tiny --seeds N ...`` (:mod:`lsnn.app.reproduce`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.app.executors import add_executor_arguments
from lsnn.models.devices import DEVICES
from lsnn.training.config import MODELS, PRESETS

#: Names of the reproductions (kept here, light to import, and checked against lsnn.app.reproduce by the tests).
NAMES = ("elife-table1", "elife-fig2b", "elife-fig2a", "elife-xor", "elife-12ax", "elife-12ax-sfa-fraction", "elife-12ax-noise",
         "elife-dup-rev", "neurips-smnist", "neurips-l2l", "neurips-metarl", "neurips-timit", "elife-gsc")
#: Named variants of the comparisons beyond the plain models (as lsnn.app.published.VARIANTS, checked by the tests).
VARIANTS = ("sfa-all", "sfa-10pct", "sfa-noise0.05", "sfa-noise0.075", "sfa-noise0.1", "sfa-noise0.2", "sfa-noise0.5")
TABLE1_ROWS = ("lif", "sfa-0.2", "sfa-2", "sfa-4", "sfa-8", "sfa-power-law-8", "sfa-uniform-8")
SMNIST_ROWS = ("deep-r-lsnn", "lsnn", "lif", "lstm", "rnn")
SMNIST_SETUPS = ("1ms", "2ms")
L2L_FAMILIES = ("target_nets", "sines")
METARL_ROWS = ("lsnn",)  # and "lif", already a row name of elife-table1
#: Presets: the trainer's, and ``reduced`` (the 12AX comparisons' reduced task, lsnn.app.reproduce.TRAINING_PRESET).
REPRODUCE_PRESETS = PRESETS + ("reduced",)


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text,
                       description="lsnn reproduce NAME --preset quick --seeds 1 (resumable: finished runs are reused). "
                                   "elife-table1: 1-D STORE-RECALL accuracy by adaptation time constant and expected delay; "
                                   "elife-fig2b: SFA, LIF, ELIF, STP-D, STP-F on STORE-RECALL; elife-fig2a: 20-D STORE-RECALL; "
                                   "elife-xor: delayed XOR; elife-12ax: 12AX; elife-12ax-sfa-fraction / elife-12ax-noise: its controls (fraction of SFA "
                                   "neurons; current noise in training and testing); elife-dup-rev: duplication/reversal; neurips-smnist: "
                                   "sequential MNIST (NeurIPS Fig. 1B, Tables S1/S2; MNIST from $LSNN_MNIST_DIR or ../shared/data/mnist); neurips-l2l: "
                                   "learning-to-learn from a teacher (NeurIPS Fig. 2: target networks and sines against the linear "
                                   "predictor and backprop); neurips-metarl: meta-reinforcement learning, navigation to a hidden "
                                   "goal with PPO (NeurIPS Fig. 3, suppl. Fig. S1); neurips-timit: TIMIT frame-wise phones ($LSNN_TIMIT_DIR); "
                                   "elife-gsc: Google Speech Commands ($LSNN_SPEECH_COMMANDS_DIR; both default to the synthetic corpus "
                                   "of lsnn data synth-speech --out data/synthetic-speech).")
    p.add_argument("table", choices=NAMES, metavar="NAME", help=", ".join(NAMES))
    p.add_argument("--preset", choices=REPRODUCE_PRESETS, default="quick",
                   help="quick: a 2-core CPU (Table 1: 150 iterations, delays 0.2/2/4 s, about 30 min per seed; 12AX and "
                        "duplication/reversal: a 200-iteration pipeline check; sMNIST: 56,000 iterations of 128 digits per run, "
                        "README 'Sequential MNIST'); paper: the paper's sizes and iterations (GPU); reduced (elife-12ax, "
                        "elife-12ax-sfa-fraction, elife-12ax-noise): the REDUCED 12AX task of 30 symbols of 200 ms per episode, "
                        "4,000 iterations, 40-70 min per run on one core")
    p.add_argument("--seeds", type=int, default=1, help="runs per cell (seeds 0..N-1)")
    p.add_argument("--rows", nargs="+", choices=TABLE1_ROWS + tuple(r for r in SMNIST_ROWS if r not in TABLE1_ROWS) + L2L_FAMILIES + METARL_ROWS,
                   default=None,
                   help=f"elife-table1: subset of rows {', '.join(TABLE1_ROWS)} (default: all); neurips-smnist: rows "
                        f"{', '.join(SMNIST_ROWS)} (default quick: deep-r-lsnn lif; paper: all); neurips-l2l: function families "
                        f"{', '.join(L2L_FAMILIES)} (default: both); neurips-metarl: lsnn (the paper's network), lif (without "
                        "adaptation) (default: lsnn)")
    p.add_argument("--setups", nargs="+", choices=SMNIST_SETUPS, default=None,
                   help="neurips-smnist: ms per pixel (default quick: 1ms; paper: 1ms 2ms)")
    p.add_argument("--delays", nargs="+", type=float, default=None, help="elife-table1: subset of expected delays in s (default: the preset's)")
    p.add_argument("--models", nargs="+", choices=MODELS + VARIANTS, default=None,
                   help="figures: subset of the compared models, plus the ANN baselines lstm / rnn if wanted (default: the paper's)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="comparisons: a configuration value changed in every run (JSON, as for lsnn train), e.g. --set "
                        "n_iterations=2000; needs --out (the runs differ from the preset's)")
    p.add_argument("--validate-trials", type=int, default=None, help="test trials per run simulated in Brian2 (0: none)")
    p.add_argument("--device", choices=DEVICES, default="cpp_standalone", help="Brian2 device of the validations")
    p.add_argument("--out", type=Path, default=None, help="results folder (default results/<name>-<preset>)")
    p.add_argument("--no-progress", action="store_true")
    add_executor_arguments(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.executors import executor_options
    from lsnn.app.outputs import writable_folder
    from lsnn.app.reproduce import reproduce
    from lsnn.training.config import parse_override

    executor = executor_options(args)  # checked before anything is written
    overrides = dict(parse_override(text) for text in args.overrides)
    if overrides and args.out is None:
        raise ValueError("--set changes every run of the preset; give --out FOLDER for these runs (the default folder holds the preset's own).")
    out = writable_folder(args.out or Path("results") / f"{args.table}-{args.preset}")
    frame, stem = reproduce(args.table, out, preset=args.preset, seeds=args.seeds, rows=args.rows, delays=args.delays,
                            models=args.models, setups=args.setups, overrides=overrides, validate_trials=args.validate_trials,
                            device=args.device, progress=not args.no_progress, executor=executor)
    print((out / f"{stem}.md").read_text())
    print(f"[lsnn reproduce] wrote {out}/{stem}.md, {stem}_runs.csv, {stem}.json")
    if "brian2_identical_spikes" in frame:  # neurips-metarl: one replayed episode per run
        return 0 if frame["brian2_identical_spikes"].all() else 1
    mismatched = frame[frame["identical_trials"] < frame["validated_trials"]]
    return 1 if len(mismatched) else 0
