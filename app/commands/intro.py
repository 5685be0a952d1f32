"""``lsnn intro [--out DIR] [--device cython]``: the poster's introduction panel."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.models.devices import DEVICES


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text)
    p.add_argument("--out", type=Path, default=Path("results/intro"))
    p.add_argument("--device", choices=DEVICES, default="cython")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.intro import run_poster_intro
    from lsnn.app.outputs import writable_folder

    writable_folder(args.out)
    run_poster_intro(args.out, args.device)
    return 0
