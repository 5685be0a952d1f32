"""Intrinsic time scales (eLife Appendix 1 §1) and adaptation indices of groups of neurons.

:func:`figure_intrinsic_timescales` takes, per group (e.g. "LIF, store_recall-lif" and "ALIF, ..."), the
across-trial autocorrelation by lag of every neuron and the fitted time scales, and draws (A) the mean
autocorrelation +- s.e.m. against the lag, (B) the distribution of the time scales on a log axis with each
group's median, and, when given, (C) the adaptation index of the neurons under a current step.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from .style import style_context


def figure_intrinsic_timescales(autocorrelations: Mapping[str, np.ndarray], lags_ms: np.ndarray, taus_ms: Mapping[str, np.ndarray],
                                adaptation: Mapping[str, np.ndarray] | None = None, title: str = "",
                                step: str = "current step") -> Figure:
    """Panels A-C of the module docstring; ``autocorrelations[g]`` is (neurons, lags), ``taus_ms[g]`` (neurons,)
    with NaN where the fit failed (counted in the legend); ``step`` describes the current step of panel C."""
    groups = list(autocorrelations)
    n_panels = 3 if adaptation else 2
    with style_context():
        fig = Figure(figsize=(3.4 * n_panels, 3.6), layout="constrained")
        axes = fig.subplots(1, n_panels)
        for k, group in enumerate(groups):
            acf = np.asarray(autocorrelations[group], dtype=float)
            acf = acf[np.isfinite(acf).any(axis=1)]  # silent neurons have no correlation at all
            if len(acf):
                n = np.isfinite(acf).sum(axis=0)
                with warnings.catch_warnings():  # lags without any finite value stay NaN (not drawn)
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = np.nanmean(acf, axis=0)
                    sem = np.where(n > 1, np.nanstd(acf, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1)), 0.0)
                axes[0].errorbar(lags_ms, mean, yerr=sem, color=f"C{k}", marker="o", ms=3, capsize=2,
                                 label=f"{group} ({len(acf)} of {len(autocorrelations[group])} neurons vary)")
        axes[0].axhline(0, color="0.6", lw=0.6)
        axes[0].set_xlabel("lag (ms)")
        axes[0].set_ylabel("count autocorrelation (mean ± s.e.m.)")
        axes[0].set_title("A  autocorrelation", loc="left")
        axes[0].legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
        finite = [np.asarray(taus_ms[g], dtype=float) for g in groups]
        finite = [t[np.isfinite(t)] for t in finite]
        pooled = np.concatenate(finite) if any(len(t) for t in finite) else np.array([1.0, 1000.0])
        edges = np.logspace(np.log10(max(pooled.min(), 1e-1)) - 0.1, np.log10(pooled.max()) + 0.1, 25)
        for k, (group, values) in enumerate(zip(groups, finite)):
            n_all = len(np.asarray(taus_ms[group]))
            if len(values):
                axes[1].hist(values, bins=edges, histtype="step", lw=1.5, color=f"C{k}",
                             label=f"{group}: median {np.median(values):.0f} ms ({len(values)}/{n_all} fitted)")
                axes[1].axvline(np.median(values), color=f"C{k}", ls="--", lw=1)
        bin_ms = float(np.asarray(lags_ms)[0])
        axes[1].axvspan(edges[0], bin_ms, color="0.92", zorder=0, label=f"shorter than one {bin_ms:g} ms bin: not resolved")
        axes[1].set_xscale("log")
        axes[1].set_xlabel("intrinsic time scale τ (ms)")
        axes[1].set_ylabel("neurons")
        axes[1].set_title("B  time scales", loc="left")
        axes[1].legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22))
        if adaptation:
            for k, group in enumerate(adaptation):
                values = np.asarray(adaptation[group], dtype=float)
                values = values[np.isfinite(values)]
                jitter = np.random.default_rng(k).uniform(-0.15, 0.15, len(values))
                axes[2].plot(np.full(len(values), k) + jitter, values, "o", ms=3, alpha=0.6, color=f"C{k}")
            axes[2].axhline(0, color="0.6", lw=0.6)
            axes[2].set_xticks(range(len(adaptation)), list(adaptation), fontsize=7)
            axes[2].set_ylabel("adaptation index")
            axes[2].set_title(f"C  {step}", loc="left", fontsize=9)
        if title:
            fig.suptitle(title, fontsize=9)
    return fig
