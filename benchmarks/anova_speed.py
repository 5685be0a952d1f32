"""Speed of ``lsnn.analysis.anova_selectivity`` against statsmodels' ``anova_lm(typ=2)`` neuron by neuron.

Workload (issue "Analysis toolkit"): 320 neurons x 41,850 samples, factors Task (2) x Position (5) x
Symbol (31) with all interactions (310 cells x 135 samples), Poisson counts with planted effects.
Prints both wall times, the speed-up, and the largest relative differences of F and p.

    .venv/bin/python benchmarks/anova_speed.py                    # all 320 neurons through statsmodels (minutes)
    .venv/bin/python benchmarks/anova_speed.py --sm-neurons 32    # statsmodels on 32 neurons, time scaled to 320
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd


def workload(n_neurons: int = 320, reps: int = 135, seed: int = 0):
    rng = np.random.default_rng(seed)
    task, position, symbol = (a.ravel() for a in np.meshgrid(np.arange(2), np.arange(5), np.arange(31), indexing="ij"))
    factors = {"Task": np.repeat(task, reps), "Position": np.repeat(position, reps), "Symbol": np.repeat(symbol, reps)}
    n = len(factors["Task"])
    rates = 4 + 2 * rng.random(n_neurons)
    counts = rng.poisson(rates, (n, n_neurons)).astype(float)
    counts[:, : n_neurons // 4] += 2 * factors["Task"][:, None]
    counts[:, n_neurons // 4 : n_neurons // 2] += 1.5 * (factors["Position"][:, None] == 2)
    return counts, factors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neurons", type=int, default=320)
    parser.add_argument("--sm-neurons", type=int, default=None, help="neurons run through statsmodels (default: all)")
    args = parser.parse_args()
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    from lsnn.analysis.selectivity import anova_selectivity

    counts, factors = workload(args.neurons)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpus; {counts.shape[1]} neurons x {counts.shape[0]} samples, 310 cells")
    t0 = time.perf_counter()
    table = anova_selectivity(counts, factors)
    ours = time.perf_counter() - t0
    n_sm = args.sm_neurons or args.neurons
    t0 = time.perf_counter()
    worst_F = worst_p = 0.0
    for j in range(n_sm):
        df = pd.DataFrame({"y": counts[:, j], **factors})
        ref = anova_lm(smf.ols("y ~ C(Task)*C(Position)*C(Symbol)", df).fit(), typ=2).drop(index="Residual")
        for name, row in ref.iterrows():
            mine = table[(table.neuron == j) & (table.effect == name.replace("C(", "").replace(")", ""))].iloc[0]
            worst_F = max(worst_F, abs(mine.F - row.F) / abs(row.F))
            worst_p = max(worst_p, abs(mine.p - row["PR(>F)"]) / max(row["PR(>F)"], 1e-300))
    sm = time.perf_counter() - t0
    sm_all = sm * args.neurons / n_sm
    label = "" if n_sm == args.neurons else f" (measured on {n_sm} neurons, scaled x{args.neurons / n_sm:g})"
    print(f"lsnn anova_selectivity: {ours:.2f} s for {args.neurons} neurons")
    print(f"statsmodels anova_lm(typ=2), neuron by neuron: {sm_all:.1f} s{label}")
    print(f"speed-up: {sm_all / ours:.0f}x; max relative difference F {worst_F:.1e}, p {worst_p:.1e}")
    print(f"selective neurons per effect: {table[table.selective].groupby('effect').size().to_dict()}")


if __name__ == "__main__":
    main()
