"""``lsnn analyze selectivity|sequences FILE ...`` (see :mod:`lsnn.app.analyze`); loads no PyTorch or Brian2."""

from __future__ import annotations

import argparse
from pathlib import Path


def _add_trial_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("trials (spike files)")
    how = g.add_mutually_exclusive_group()
    how.add_argument("--trials", type=Path, default=None, metavar="CSV", help="trial table: start/stop or event (s) + condition columns")
    how.add_argument("--epoch", default=None, help="name of the file's epoch whose intervals are the trials (e.g. trials)")
    how.add_argument("--event", default=None, help="name of the file's event; trials are --window around each event")
    g.add_argument("--window", nargs=2, default=None, metavar=("START", "STOP"),
                   help="window relative to each trial's start/event, e.g. 0ms 500ms or -200ms 1s (half-open: [START, STOP))")
    g.add_argument("--align", default=None, metavar="COLUMN",
                   help="align the trials of --trials/--epoch to this column of event times (s), e.g. stim_on (needs --window)")
    g.add_argument("--covariate", default=None, metavar="NAME", help="label trials by a behavioural series of the file (e.g. heading)")
    g.add_argument("--covariate-bins", type=int, default=8, metavar="N", help="equal bins of --covariate (circular for directions)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: FILE's stem + _analysis)")
    p.add_argument("--seed", type=int, default=0)


def add_parser(sub, name: str, help_text: str) -> None:
    p = sub.add_parser(name, help=help_text)
    measures = p.add_subparsers(dest="measure", required=True)
    sel = measures.add_parser("selectivity", help="per-neuron type-II ANOVA with all interactions (eLife selectivity analysis)")
    sel.add_argument("file", type=Path, help="CSV of counts (factor columns + one column per neuron) or a spike file (NWB, NIX, ...)")
    sel.add_argument("--factors", nargs="+", required=True, help="condition names (CSV columns or trial annotations)")
    sel.add_argument("--alpha", type=float, default=0.001)
    sel.add_argument("--omega2-min", type=float, default=0.14)
    sel.add_argument("--rate-range", nargs=2, type=float, default=(2.0, 60.0), metavar=("MIN", "MAX"),
                     help="keep neurons with mean rate in the window within [MIN, MAX] Hz (spike files; eLife 2 60)")
    sel.add_argument("--no-rate-filter", action="store_true", help="analyse every neuron (no --rate-range rule)")
    sel.add_argument("--count-window", default=None, metavar="DURATION",
                     help="counts tables: the window the counts were taken in (e.g. 500ms), for rates and the rate rule")
    sel.add_argument("--neurons", nargs="+", default=None, metavar="COLUMN",
                     help="counts tables (wide): the neuron columns, names or patterns such as 'unit*' (default: numeric columns "
                          "other than the factors and id columns such as trial, unit, session)")
    sel.add_argument("--balanced", action="store_true", help="resample every condition to the smallest cell first")
    sel.add_argument("--population", action="store_true",
                     help="also test the factors with neurons as replicates (linear mixed model; implied by a factor that is a unit property)")
    sel.add_argument("--plot-neurons", nargs="+", default=None, metavar="NAME",
                     help="neurons to draw (tuning, raster and PSTH by condition); default: the two most selective")
    _add_trial_options(sel)
    seq = measures.add_parser("sequences", help="peak-time sorting with cross-validation, time-cell shuffle test (poster A-B)")
    seq.add_argument("file", type=Path, help="spike file (NWB, NIX, ...)")
    seq.add_argument("--bin", default="50ms", help="bin size, e.g. 50ms")
    seq.add_argument("--shuffles", type=int, default=1000)
    seq.add_argument("--alpha", type=float, default=0.01, help="time cell if shuffle p < alpha")
    seq.add_argument("--conditions", nargs="*", default=(), help="trial annotations; invariant = same peak bin (+-1) in every condition")
    _add_trial_options(seq)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from lsnn.app.analyze import selectivity_from_file, sequences_from_file

    return selectivity_from_file(args) if args.measure == "selectivity" else sequences_from_file(args)
