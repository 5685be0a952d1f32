"""``lsnn figures FOLDER [--out DIR]``: the paper's figures of a run or results folder (:mod:`lsnn.app.render`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.models.devices import DEVICES


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description="Draw the figures of a run folder (lsnn train: learning curves and a "
                       "held-out trial of its task) or of a results folder (lsnn reproduce: the table or comparison next to the "
                       "paper; lsnn demo: accuracy, trials, imprinting) as PNG files.")
    p.add_argument("folder", type=Path, help="run folder or results folder")
    p.add_argument("--out", type=Path, default=None, help="output folder (default FOLDER/figures)")
    p.add_argument("--device", choices=DEVICES, default="numpy", help="Brian2 device of trials drawn over PyTorch")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.render import render

    for path in render(args.folder, args.out, args.device):
        print(f"[lsnn figures] wrote {path}")
    return 0
