"""Poster introduction panel (Subramoney, Krausnikovic, Salaj et al. 2020; eLife 2021 Fig. 1B):
response of a LIF neuron with spike-frequency adaptation to a step of input current.

Each spike raises the adaptive threshold A(t) = b0 + beta*a(t) (a jumps by (1 - rho) and decays with
tau_a, NeurIPS suppl. eq. 5), so under a constant current the inter-spike intervals lengthen and the
firing rate adapts over seconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from .style import style_context

if TYPE_CHECKING:
    from lsnn.models.simulation import SimulationResult


def plot_input_current(ax, t: np.ndarray, i_ext: np.ndarray):
    """Injected current R_m*I (mV) against time (s)."""
    (line,) = ax.plot(t, i_ext * 1e3, color="0.3")
    ax.set_ylabel("R_m I (mV)")
    return [line]


def plot_membrane(ax, t: np.ndarray, v: np.ndarray, threshold: np.ndarray, spike_steps: np.ndarray):
    """V(t) and the adaptive threshold A(t) in mV, with spikes marked above the traces."""
    (lv,) = ax.plot(t, v * 1e3, color="tab:blue", label="V")
    (la,) = ax.plot(t, threshold * 1e3, color="tab:red", label="threshold A")
    top = max(np.max(v), np.max(threshold)) * 1e3
    marks = ax.vlines(t[spike_steps], top * 1.02, top * 1.12, color="k", linewidth=0.6, label="spikes")
    ax.set_ylabel("mV")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return [lv, la, marks]


def plot_adapting_rate(ax, spike_times: np.ndarray):
    """Instantaneous rate 1/ISI (Hz) at each spike after the first (``spike_times`` in s)."""
    if len(spike_times) < 2:
        ax.text(0.5, 0.5, "fewer than 2 spikes", transform=ax.transAxes, ha="center")
        return []
    (line,) = ax.plot(spike_times[1:], 1.0 / np.diff(spike_times), "o-", ms=2, color="k")
    ax.set_ylabel("rate 1/ISI (Hz)")
    return [line]


def figure_poster_intro(result: "SimulationResult", i_ext: np.ndarray, neuron: int = 0) -> Figure:
    """Compose the panel: input current, V and threshold with spikes, adapting firing rate.

    Parameters
    ----------
    result : SimulationResult
        One trial of a simulation with ``record_v=True, record_threshold=True``.
    i_ext : ndarray, (T, n_rec)
        The injected current (volts) used in the simulation.
    """
    if result.v is None or result.thresholds is None:
        raise ValueError("figure_poster_intro needs a result simulated with record_v=True and record_threshold=True.")
    if result.spikes.ndim != 2:
        raise ValueError("figure_poster_intro draws one trial; pass result of a (T, n_in) input.")
    T = result.spikes.shape[0]
    t = np.arange(T) * result.dt
    steps = np.nonzero(result.spikes[:, neuron])[0]
    with style_context():
        fig = Figure(figsize=(7, 5))
        ax_i, ax_v, ax_r = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [1, 2, 1.5]})
        plot_input_current(ax_i, t, np.asarray(i_ext)[:, neuron])
        plot_membrane(ax_v, t, result.v[:, neuron], result.thresholds[:, neuron], steps)
        plot_adapting_rate(ax_r, t[steps])
        ax_r.set_xlabel("time (s)")
        ax_i.set_title("LIF neuron with spike-frequency adaptation: response to a current step")
        fig.align_ylabels()
    return fig
