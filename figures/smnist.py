"""Sequential MNIST, NeurIPS 2018 Fig. 1 B-D, and the time-to-accuracy curve of a run.

* :func:`figure_smnist_accuracy` (Fig. 1B): test accuracy per model and setup (1 / 2 ms per pixel), our
  mean +- s.d. over seeds with every seed as a dot, the paper's mean (bar outline) and maximum (tick).
* :func:`figure_connectivity` (Fig. 1C): connection probabilities between the input populations X(E),
  X(I), the excitatory, inhibitory and adaptive recurrent neurons E, I, A, and the readout Y, as a matrix
  of percentages (presynaptic rows, postsynaptic columns).
* :func:`figure_smnist_trial` (Fig. 1D): one test digit -- the image, the input raster, rasters of
  random subsets of E, I and A neurons, thresholds of adaptive neurons and the softmax of the readout.
* :func:`figure_time_to_accuracy`: held-out accuracy against training time of one run or several, with
  the times at which chosen accuracies were first reached.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .store_recall import plot_raster
from .style import style_context

#: Labels of the rows of Tables S1/S2 and Fig. 1B.
ROW_LABELS = {"lstm": "LSTM", "rnn": "RNN", "lif": "LIF", "lsnn": "LSNN", "deep-r-lsnn": "DEEP R\nLSNN"}
#: Order of the populations in Fig. 1C.
POPULATIONS = ("X(E)", "X(I)", "X", "E", "I", "A", "R", "Y")


def figure_smnist_accuracy(frame: pd.DataFrame) -> Figure:
    """Fig. 1B from the per-run table of ``lsnn reproduce neurips-smnist`` (columns ``row``, ``setup``,
    ``accuracy`` in %, ``paper_mean``, ``paper_max``)."""
    rows = [r for r in ROW_LABELS if r in set(frame["row"])]
    setups = list(dict.fromkeys(frame["setup"]))
    width = 0.8 / len(setups)
    with style_context():
        # room for the legend beside the axes, so that even one bar leaves the title whole
        fig = Figure(figsize=(2.9 + 0.9 * len(rows), 3.4), layout="constrained")
        ax = fig.subplots()
        for s, setup in enumerate(setups):
            for k, row in enumerate(rows):
                part = frame[(frame["row"] == row) & (frame["setup"] == setup)]
                if part.empty:
                    continue
                x = k + (s - (len(setups) - 1) / 2) * width
                acc = part["accuracy"].to_numpy(dtype=float)
                ax.bar(x, acc.mean(), width * 0.9, yerr=acc.std(ddof=1) if len(acc) > 1 else None, capsize=2,
                       color=f"C{s}", alpha=0.85, label=f"ours, {setup} per pixel" if k == 0 else None)
                ax.plot(np.full(len(acc), x), acc, "o", color="k", ms=2.5, label="seeds" if (k == 0 and s == 0) else None)
                paper_mean, paper_max = part["paper_mean"].iloc[0], part["paper_max"].iloc[0]
                if pd.notna(paper_mean):
                    ax.bar(x, paper_mean, width * 0.9, fill=False, edgecolor="k", lw=0.8, ls="--",
                           label="paper, mean" if (k == 0 and s == 0) else None)
                if pd.notna(paper_max):
                    ax.plot([x - width * 0.45, x + width * 0.45], [paper_max, paper_max], "k-", lw=2,
                            label="paper, max" if (k == 0 and s == 0) else None)
        ax.set_xticks(range(len(rows)), [ROW_LABELS[r] for r in rows])
        ax.set_xlim(-0.7, len(rows) - 0.3)
        ax.set_ylim(0, 100)
        ax.set_ylabel("test accuracy (%)")
        sizes = frame.groupby(["row", "setup"]).size()
        lo, hi = int(sizes.min()), int(sizes.max())
        seeds = "one run each" if hi == 1 else f"mean ± s.d. over {hi} seeds" if lo == hi else f"mean (± s.d.) over {lo}-{hi} seeds"
        ax.set_title(f"Sequential MNIST\n(bars: {seeds})", fontsize=9)
        ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def figure_connectivity(table: pd.DataFrame, title: str = "") -> Figure:
    """Fig. 1C: a matrix of connection probabilities (%) from ``table`` (columns ``pre``, ``post``,
    ``probability``, ``n_connections``, ``n_possible``; :func:`lsnn.analysis.connection_probabilities`)."""
    pres = [p for p in POPULATIONS if p in set(table["pre"])]
    posts = [p for p in POPULATIONS if p in set(table["post"])]
    matrix = np.full((len(pres), len(posts)), np.nan)
    for _, r in table.iterrows():
        matrix[pres.index(r["pre"]), posts.index(r["post"])] = 100 * r["probability"]
    overall = 100 * table["n_connections"].sum() / table["n_possible"].sum()
    with style_context():
        fig = Figure(figsize=(1.6 + 0.75 * len(posts), 1.0 + 0.5 * len(pres)), layout="constrained")
        ax = fig.subplots()
        image = ax.imshow(matrix, cmap="Greys", vmin=0, vmax=max(np.nanmax(matrix), 1e-9) * 1.25, aspect="auto")
        for i in range(len(pres)):
            for j in range(len(posts)):
                if np.isfinite(matrix[i, j]):
                    ax.text(j, i, f"{matrix[i, j]:.1f}", ha="center", va="center", fontsize=8,
                            color="white" if matrix[i, j] > 0.6 * np.nanmax(matrix) * 1.25 else "black")
        ax.set_xticks(range(len(posts)), posts)
        ax.set_yticks(range(len(pres)), pres)
        ax.set_xlabel("postsynaptic population")
        ax.set_ylabel("presynaptic population")
        fig.colorbar(image, ax=ax, label="connection probability (%)", shrink=0.9)
        ax.set_title((title + "\n" if title else "") + f"{overall:.1f} % of all possible synapses connected", fontsize=8)
    return fig


def figure_smnist_trial(image: np.ndarray, x: np.ndarray, spikes: np.ndarray, groups: Sequence[str], thresholds: np.ndarray | None,
                        probabilities: np.ndarray, dt: float, *, label: int, answer_window: tuple[int, int], n_show: int = 20,
                        rng: np.random.Generator | None = None, title: str = "") -> Figure:
    """Fig. 1D for one digit.

    ``image`` (28, 28) grey values; ``x`` (T, n_in) input spikes; ``spikes`` (T, n_rec); ``groups`` the
    population (``E``, ``I``, ``A`` or ``R``) of each neuron; ``thresholds`` (T, n_rec) volts or None;
    ``probabilities`` (T, 10) softmax of the readout; ``answer_window`` the steps whose mean readout is the
    answer (shaded); ``n_show`` neurons per population drawn at random with ``rng``."""
    rng = rng if rng is not None else np.random.default_rng(0)
    groups = np.asarray(groups)
    T = spikes.shape[0]
    t = np.arange(T) * dt
    populations = [g for g in ("E", "I", "A", "R") if (groups == g).any()]
    shown = {g: np.sort(rng.choice(np.flatnonzero(groups == g), min(n_show, int((groups == g).sum())), replace=False)) for g in populations}
    colours = {"E": "tab:red", "I": "tab:blue", "A": "tab:green", "R": "0.3"}
    n_panels = 2 + len(populations) + (thresholds is not None)
    ratios = [1.4] + [1.0] * len(populations) + ([1.0] if thresholds is not None else []) + [1.3]
    with style_context():
        fig = Figure(figsize=(8.0, 1.3 * n_panels + 0.6), layout="constrained")
        grid = fig.add_gridspec(n_panels, 2, width_ratios=[1, 6], height_ratios=ratios)
        ax_img = fig.add_subplot(grid[0, 0])
        ax_img.imshow(image, cmap="Greys", vmin=0, vmax=1)
        ax_img.set_xticks([])
        ax_img.set_yticks([])
        for spine in ax_img.spines.values():
            spine.set_visible(False)
        ax_img.set_title(f"digit {label}", fontsize=8)
        axes = [fig.add_subplot(grid[0, 1])]
        for k in range(1, n_panels):
            axes.append(fig.add_subplot(grid[k, 1], sharex=axes[0]))
        plot_raster(axes[0], x, dt, s=1.5)
        axes[0].set_ylim(-0.5, x.shape[1] - 0.5)
        axes[0].set_ylabel("input X")
        for ax, g in zip(axes[1:], populations):
            plot_raster(ax, spikes[:, shown[g]], dt, s=2, color=colours[g])
            ax.set_ylim(-0.5, len(shown[g]) - 0.5)
            rate = spikes[:, groups == g].mean() / dt
            ax.set_ylabel(f"{g} ({len(shown[g])} of {int((groups == g).sum())})")
            ax.set_title(f"{g}: {rate:.1f} Hz per neuron", fontsize=7, loc="right")
        k = 1 + len(populations)
        if thresholds is not None:
            adaptive = np.flatnonzero(groups == "A")
            varied = adaptive[np.argsort(-np.ptp(thresholds[:, adaptive], axis=0), kind="stable")[:5]] if len(adaptive) else adaptive
            for j in varied:
                axes[k].plot(t, thresholds[:, j] * 1e3, lw=0.8)
            axes[k].set_ylabel("threshold (mV)")
            axes[k].set_title(f"thresholds of the {len(varied)} A neurons that adapt most", fontsize=7, loc="right")
            k += 1
        for digit in range(probabilities.shape[1]):
            axes[k].plot(t, probabilities[:, digit], lw=1.6 if digit == label else 0.7, color="k" if digit == label else None,
                         label=f"{digit}")
        axes[k].set_ylim(0, 1)
        axes[k].set_ylabel("softmax of Y")
        axes[k].set_xlabel("time (s)")
        axes[k].legend(frameon=False, fontsize=6, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.1), title="digit", title_fontsize=6)
        for ax in axes:
            ax.axvspan(answer_window[0] * dt, answer_window[1] * dt, color="gold", alpha=0.3, lw=0, zorder=-1)
            if ax is not axes[-1]:
                ax.tick_params(labelbottom=False)
        axes[0].set_xlim(0, T * dt)
        if title:
            fig.suptitle(title, fontsize=9)
    return fig


def figure_time_to_accuracy(curves: pd.DataFrame | Mapping[str, pd.DataFrame], thresholds: Sequence[float] = (60, 80, 90),
                            title: str = "") -> Figure:
    """Held-out accuracy (%) against training time (min) of one run (``curves`` a frame with columns ``time_min``,
    ``accuracy`` in %) or several (a mapping label -> frame, e.g. the rows of a reproduction), with the first
    time each curve reached each of ``thresholds``. Where a frame has ``n_trials`` and its last test used another
    number of trials than the first (the final test on the whole test set), that point is an open square, labelled."""
    curves = {"": curves} if isinstance(curves, pd.DataFrame) else dict(curves)
    with style_context():
        fig = Figure(figsize=(5.4, 3.4), layout="constrained")
        ax = fig.subplots()
        for level in thresholds:
            ax.axhline(level, color="0.7", lw=0.6, ls="--")
        for c, (label, curve) in enumerate(curves.items()):
            color = "tab:green" if len(curves) == 1 else f"C{c}"
            ax.plot(curve["time_min"], curve["accuracy"], "o-", color=color, ms=3, lw=1, label=label or None)
            if "n_trials" in curve and len(curve) > 1 and curve["n_trials"].iloc[-1] != curve["n_trials"].iloc[0]:
                # the final test runs on another number of trials (the whole test set): marked and labelled apart
                last = curve.iloc[-1]
                ax.plot(last["time_min"], last["accuracy"], "s", mfc="white", mec=color, ms=6, mew=1.2)
                ax.annotate(f"final test, {int(last['n_trials']):,} trials: {last['accuracy']:.2f} %",
                            (last["time_min"], last["accuracy"]), xytext=(-6, 8), textcoords="offset points", ha="right",
                            fontsize=7)
            for k, level in enumerate(thresholds):
                reached = curve[curve["accuracy"] >= level]
                if not reached.empty:
                    t_reach = reached["time_min"].iloc[0]
                    ax.plot(t_reach, reached["accuracy"].iloc[0], "v", color="k", ms=6)
                    ax.annotate(f"{level:g} % after {t_reach:.0f} min", (t_reach, level), xytext=(6, -12 - 10 * k),
                                textcoords="offset points", fontsize=7)
        ax.set_ylim(0, 100)
        ax.set_xlim(left=0)
        ax.set_xlabel("training time (min)")
        ax.set_ylabel("test accuracy (%)")
        if len(curves) > 1:
            ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)
        if title:
            ax.set_title(title, fontsize=8)
    return fig
