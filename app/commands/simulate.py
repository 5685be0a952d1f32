"""``lsnn simulate NETWORK.npz [INPUTS.npy] [--device cython] [--out out.npz] [--show-equations]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lsnn.models.devices import DEVICES


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text, description="Simulate a NetworkSpec file in Brian2 on inputs from a .npy file "
                       "((T, n_in) or (trials, T, n_in)); writes spikes and readouts to --out. --show-equations prints "
                       "the network's final Brian2 equations instead.")
    p.add_argument("network", type=Path)
    p.add_argument("inputs", type=Path, nargs="?", help=".npy of inputs (not needed with --show-equations)")
    p.add_argument("--out", type=Path, default=Path("results/simulation.npz"))
    p.add_argument("--device", choices=DEVICES, default="cython")
    p.add_argument("--show-equations", action="store_true", help="print the Brian2 equations of the network and exit")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from lsnn.common.files import atomic_path
    from lsnn.models import NetworkSpec

    spec = NetworkSpec.load(args.network)
    if args.show_equations:
        from lsnn.models import network_equations

        print(network_equations(spec))
        return 0
    if args.inputs is None:
        raise ValueError("give the inputs (.npy) to simulate, or --show-equations.")
    if not args.inputs.is_file():
        raise FileNotFoundError(f"no inputs file at {args.inputs}.")
    try:
        x = np.load(args.inputs, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"cannot read inputs {args.inputs} as a .npy array without pickle: {exc}") from None
    from lsnn.app.outputs import writable_folder
    from lsnn.models import simulate

    writable_folder(args.out.parent)
    res = simulate(spec, x, device=args.device, record_v=False)
    with atomic_path(args.out) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, spikes=res.spikes, outputs=res.outputs, dt=res.dt)
    print(f"[lsnn simulate] {int(res.spikes.sum())} spikes in {res.wall_time:.1f} s; wrote {args.out}")
    return 0
