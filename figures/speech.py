"""One held-out example of a trained speech network (TIMIT frame-wise phones, Speech Commands keywords): the MFCC
input currents, the network's spikes (adaptive neurons on top), the adaptive thresholds, and the answer -- for TIMIT
the phone the network names in every frame against the transcription, for Speech Commands the softmax of the
readout over time with the true word marked. Data: :class:`lsnn.app.speech.SpeechTrial`."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import style_context


def figure_speech_trial(trial) -> Figure:
    """Four panels sharing the time axis (s); the title names the corpus (SYNTHETIC where it is)."""
    T = trial.features.shape[0]
    t = np.arange(T) * trial.dt
    with style_context():
        fig = Figure(figsize=(9.5, 10.0), layout="constrained")
        axes = fig.subplots(4, 1, sharex=True, height_ratios=[1.1, 1.5, 0.9, 2.2])
        image = axes[0].imshow(trial.features.T, aspect="auto", origin="lower", cmap="magma", extent=(0, T * trial.dt, 0, trial.features.shape[1]),
                               interpolation="nearest")
        axes[0].set_ylabel("MFCC channel")
        axes[0].set_title(f"input currents: {trial.feature_label} (standardised)", fontsize=9)
        fig.colorbar(image, ax=axes[0], label="z-score", pad=0.01)
        adaptive = np.flatnonzero(trial.adaptive)
        order = np.r_[np.flatnonzero(~trial.adaptive), adaptive]
        steps, neurons = np.nonzero(trial.spikes[:, order])
        axes[1].scatter(steps * trial.dt, neurons, s=0.6, c=np.where(np.isin(order[neurons], adaptive), "tab:red", "0.2"), linewidths=0)
        if 0 < len(adaptive) < len(order):
            axes[1].axhline(len(order) - len(adaptive) - 0.5, color="tab:red", lw=0.6, ls=":")
        axes[1].set_ylim(-0.5, len(order) - 0.5)
        axes[1].set_ylabel("neuron")
        which = ("all neurons adaptive (red)" if len(adaptive) == len(order) else "no adaptive neurons" if not len(adaptive)
                 else "adaptive neurons in red, above the dotted line")
        axes[1].set_title(f"spikes ({trial.rate_hz:.1f} Hz; {which})", fontsize=9)
        if len(adaptive):
            shown = adaptive[: min(8, len(adaptive))]
            axes[2].plot(t, trial.thresholds[:, shown] * 1e3, lw=0.7)
            axes[2].set_title(f"adaptive thresholds A_j(t) of {len(shown)} adaptive neurons", fontsize=9)
        else:
            axes[2].text(0.5, 0.5, "no adaptive neurons (LIF network)", transform=axes[2].transAxes, ha="center", va="center")
        axes[2].set_ylabel("threshold (mV)")
        trial.draw_answer(axes[3])
        axes[3].set_xlabel("time (s)")
        axes[3].set_xlim(0, T * trial.dt)
        fig.suptitle(trial.title, fontsize=10)
    return fig
