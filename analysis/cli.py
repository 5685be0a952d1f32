"""``lsnn analyze``: thin command-line front ends of the analysis measures.

    lsnn analyze selectivity COUNTS.csv --factors Task Position Symbol [--out table.csv] [--balanced --seed 0]

``COUNTS.csv`` holds one row per sample: the factor columns named by ``--factors`` and one column per
neuron (all other numeric columns). Writes the per-neuron, per-effect table (F, p, omega2, selective)
and prints the number of selective neurons per effect.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from .selectivity import anova_selectivity, balanced_indices, selectivity_counts


def add_analyze_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``analyze`` and its measures on the ``lsnn`` parser."""
    p = sub.add_parser("analyze", help="spike-code analyses on tables of counts (selectivity)")
    measures = p.add_subparsers(dest="measure", required=True)
    sel = measures.add_parser("selectivity", help="per-neuron type-II ANOVA with all interactions (eLife selectivity analysis)")
    sel.add_argument("counts", type=Path, help="CSV: factor columns + one numeric column per neuron")
    sel.add_argument("--factors", nargs="+", required=True)
    sel.add_argument("--alpha", type=float, default=0.001)
    sel.add_argument("--omega2-min", type=float, default=0.14)
    sel.add_argument("--balanced", action="store_true", help="resample every condition to the smallest cell first")
    sel.add_argument("--seed", type=int, default=0)
    sel.add_argument("--out", type=Path, default=None, help="output CSV (default: <counts>_selectivity.csv)")


def run_analyze(args: argparse.Namespace) -> int:
    if args.measure != "selectivity":
        raise SystemExit(f"lsnn analyze: unknown measure {args.measure!r}")
    try:
        data = pd.read_csv(args.counts)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SystemExit(f"lsnn analyze: cannot read {args.counts} as CSV: {exc}") from None
    missing = [f for f in args.factors if f not in data.columns]
    if missing:
        raise SystemExit(f"lsnn analyze: factor column(s) {missing} not in {args.counts} (columns: {list(data.columns)[:20]})")
    neurons = [c for c in data.columns if c not in args.factors and pd.api.types.is_numeric_dtype(data[c])]
    if not neurons:
        raise SystemExit(f"lsnn analyze: {args.counts} has no numeric neuron columns besides the factors.")
    factors = {f: data[f].to_numpy() for f in args.factors}
    counts = data[neurons].to_numpy(dtype=float)
    if args.balanced:
        idx = balanced_indices(factors, np.random.default_rng(args.seed))
        counts, factors = counts[idx], {k: v[idx] for k, v in factors.items()}
    try:
        table = anova_selectivity(counts, factors, alpha=args.alpha, omega2_min=args.omega2_min)
    except ValueError as exc:
        raise SystemExit(f"lsnn analyze: {exc}") from None
    table["neuron"] = np.asarray(neurons)[table["neuron"].to_numpy()]
    out = args.out or args.counts.with_name(args.counts.stem + "_selectivity.csv")
    table.to_csv(out, index=False)
    print(f"[lsnn analyze] {len(neurons)} neurons x {len(counts)} samples; selective neurons per effect:")
    print(selectivity_counts(table).to_string())
    print(f"[lsnn analyze] wrote {out}")
    return 0
