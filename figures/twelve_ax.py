"""eLife Fig. 3B from a trained 12AX network: one held-out episode with its symbols, the network's
spikes (LIF and SFA neurons), adaptive thresholds, and the L/R answers against the targets.

The episode comes from ``lsnn.app.episodes.twelve_ax_episode`` (PyTorch in float64, whose rasters are
identical to Brian2's; ``lsnn validate`` checks this for every run).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from .store_recall import plot_raster, plot_thresholds
from .style import style_context


@dataclass
class TwelveAXEpisode:
    """One held-out 12AX episode run through a trained network (time-major arrays, one trial)."""

    symbols: np.ndarray  # (n_symbols,) indices into symbol_names
    targets: np.ndarray  # (n_symbols,) 0 = L, 1 = R
    answers: np.ndarray  # (n_symbols,) the network's answers
    x: np.ndarray  # (T, n_in) input spikes
    spikes: np.ndarray  # (T, n_rec)
    thresholds: np.ndarray  # (T, n_rec) volts
    adaptive: np.ndarray  # (n_rec,) bool, beta > 0
    dt: float
    step_duration: float
    symbol_names: tuple[str, ...]  # label of each symbol index
    variant: str = ""  # the task's reduced variant ('' for the paper's task)


def figure_12ax_episode(ep: TwelveAXEpisode, n_thresholds: int = 5, t_max: float | None = None) -> Figure:
    """Symbols and input raster, network raster (LIF grey, SFA blue), SFA thresholds, answers vs targets."""
    t_max = ep.spikes.shape[0] * ep.dt if t_max is None else t_max
    n_show = int(min(len(ep.symbols), np.ceil(t_max / ep.step_duration)))
    with style_context():
        fig = Figure(figsize=(10, 7))
        axes = fig.subplots(4, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2, 1.2, 0.8]})
        plot_raster(axes[0], ep.x, ep.dt, s=4)
        for k in range(n_show):
            axes[0].text((k + 0.5) * ep.step_duration, ep.x.shape[1] + 1, ep.symbol_names[ep.symbols[k]], ha="center", va="bottom", fontsize=7)
        axes[0].set_ylim(0, ep.x.shape[1] + 8)
        axes[0].set_ylabel("input")
        order = np.r_[np.flatnonzero(~ep.adaptive), np.flatnonzero(ep.adaptive)]
        n_lif = int((~ep.adaptive).sum())
        ordered = ep.spikes[:, order]
        is_sfa = np.arange(len(order)) >= n_lif
        plot_raster(axes[1], ordered * ~is_sfa, ep.dt, color="0.4", s=4)
        plot_raster(axes[1], ordered * is_sfa, ep.dt, color="tab:blue", s=4)
        axes[1].set_ylabel("neuron (LIF | SFA)")
        sfa = np.flatnonzero(ep.adaptive)
        if sfa.size:
            shown = sfa[np.argsort(ep.spikes[:, sfa].sum(axis=0))[::-1][:n_thresholds]]  # the most active SFA neurons
            plot_thresholds(axes[2], ep.thresholds, None, ep.dt, shown)
        centers = (np.arange(n_show) + 0.5) * ep.step_duration
        axes[3].plot(centers, ep.targets[:n_show], "s", mfc="none", color="k", label="target")
        axes[3].plot(centers, ep.answers[:n_show], "o", ms=3, color="tab:red", label="network")
        axes[3].set_yticks([0, 1], ["L", "R"])
        axes[3].set_xlabel("time (s)")
        axes[3].legend(loc="center right", fontsize="small", ncol=2)
        axes[3].set_xlim(0, t_max)
        if ep.variant:
            fig.suptitle(f"12AX, task variant -- {ep.variant}", fontsize=9)
        fig.tight_layout()
    return fig
