"""Meta-RL figures of the NeurIPS paper (Fig. 3, suppl. Fig. S1).

* :func:`figure_metarl_learning_curves` (Fig. 3A/B): reward and goals per episode and the number of steps from
  one goal to the next after the first find, against the training iteration (outer loop).
* :func:`figure_metarl_paths` (Fig. 3C/D, S1A): paths in the arena before and after training, with the goal.
* :func:`figure_metarl_connectivity` (Fig. S1B): connection probabilities between sub-populations after DEEP R.
* :func:`figure_metarl_activity` (Fig. S1C): position, reward, spike raster and adaptive thresholds of one episode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from .style import style_context


def _running_mean(values: np.ndarray, window: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        chunk = chunk[np.isfinite(chunk)]
        if len(chunk):
            out[i] = chunk.mean()
    return out


def figure_metarl_learning_curves(curves: Mapping[str, Mapping[str, np.ndarray]], n_episodes: int, window: int = 25, title: str = "") -> Figure:
    """``curves[label]`` with arrays ``iteration``, ``reward_per_episode``, ``goals_per_episode`` and
    ``steps_between_goals`` (NaN where an iteration's episodes had fewer than two goals); each iteration is the
    mean over its ``n_episodes`` episodes. Thin lines: every iteration; thick: running mean over ``window``."""
    panels = (("reward_per_episode", f"reward per episode\n(mean of {n_episodes} episodes)", "A  reward"),
              ("goals_per_episode", "goals reached per episode", "A  goals (the positive rewards)"),
              ("steps_between_goals", "steps from one goal to the next\n(after the first find)", "B  steps to goal after the first find"))
    with style_context():
        fig = Figure(figsize=(10.5, 3.0), layout="constrained")
        axes = fig.subplots(1, 3)
        for k, (label, c) in enumerate(curves.items()):
            color = f"C{k}" if k else "tab:red"
            it = np.asarray(c["iteration"]) + 1
            for ax, (key, _, _) in zip(axes, panels):
                y = np.asarray(c[key], dtype=float)
                ax.plot(it, y, color=color, alpha=0.25, lw=0.6)
                ax.plot(it, _running_mean(y, window), color=color, lw=1.6, label=label)
        for ax, (_, ylabel, panel_title) in zip(axes, panels):
            ax.set(xlabel="training iteration", ylabel=ylabel, title=panel_title)
        axes[0].axhline(0, color="0.6", lw=0.6)
        axes[0].legend(frameon=False, fontsize=7, title=f"running mean of {window}", title_fontsize=7)
        if title:
            fig.suptitle(title, fontsize=9)
    return fig


def _arena(ax, goal: np.ndarray, goal_radius: float) -> None:
    ax.add_patch(Circle((0, 0), 1.0, fill=False, color="0.3", lw=1))
    ax.add_patch(Circle(tuple(goal), goal_radius, color="tab:green", alpha=0.25, lw=0))
    ax.set(xlim=(-1.08, 1.08), ylim=(-1.08, 1.08), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1])


def figure_metarl_paths(episodes: Sequence[Mapping[str, np.ndarray]], titles: Sequence[str], goal_radius: float = 0.3,
                        dt_ms: float = 1.0) -> Figure:
    """One arena per episode: ``positions`` (T, 2) before each step, ``reached`` (T,) goal reached by the step,
    ``goal`` (2,). The path is coloured by time and broken at each relocation after a goal (black crosses)."""
    with style_context():
        fig = Figure(figsize=(3.3 * len(episodes) + 0.6, 3.3), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(episodes)))
        line = None
        for ax, ep, title in zip(axes, episodes, titles):
            pos, reached = np.asarray(ep["positions"]), np.asarray(ep["reached"], dtype=bool)
            _arena(ax, np.asarray(ep["goal"]), goal_radius)
            steps = np.arange(len(pos))
            segments = np.stack([pos[:-1], pos[1:]], axis=1)[~reached[:-1]]  # no segment across a relocation
            line = LineCollection(segments, array=steps[:-1][~reached[:-1]] * dt_ms / 1000, cmap="viridis", lw=0.9)
            line.set_clim(0, len(pos) * dt_ms / 1000)
            ax.add_collection(line)
            hits = np.flatnonzero(reached)
            ax.plot(pos[hits, 0], pos[hits, 1], "x", color="k", ms=5, label=f"goal reached ({len(hits)}x)")
            ax.plot(*pos[0], "o", color="tab:orange", ms=4, label="start")
            ax.set(title=title, xlabel="x")
            ax.legend(frameon=False, fontsize=7, loc="lower left")
        axes[0].set_ylabel("y")
        if line is not None:
            fig.colorbar(line, ax=axes, shrink=0.8, label="time in the episode (s)")
    return fig


def figure_metarl_connectivity(probability: np.ndarray, pre_labels: Sequence[str], post_labels: Sequence[str], title: str = "") -> Figure:
    """``probability[post, pre]``: fraction of possible connections that are active between sub-populations
    (NaN where there are none to make, e.g. from the inputs to the readout: drawn blank)."""
    probability = np.asarray(probability, dtype=float)
    top = float(np.nanmax(probability)) if np.isfinite(probability).any() else 1.0
    with style_context():
        fig = Figure(figsize=(5.0, 3.6), layout="constrained")
        ax = fig.subplots()
        im = ax.imshow(np.ma.masked_invalid(probability), cmap="Greys", vmin=0, vmax=max(top, 1e-9))
        for (i, j), p in np.ndenumerate(probability):
            text = "n/a" if not np.isfinite(p) else f"{100 * p:.1f} %"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="w" if np.isfinite(p) and p > 0.6 * top else "k")
        ax.set(xticks=range(len(pre_labels)), xticklabels=pre_labels, yticks=range(len(post_labels)), yticklabels=post_labels,
               xlabel="from (presynaptic)", ylabel="to (postsynaptic)", title=title)
        fig.colorbar(im, ax=ax, label="connection probability")
    return fig


def figure_metarl_activity(positions: np.ndarray, rewards: np.ndarray, spikes: np.ndarray, thresholds: np.ndarray,
                           groups: Mapping[str, np.ndarray], dt_ms: float = 1.0, title: str = "") -> Figure:
    """Fig. S1C for one stretch of an episode: x, y (T, 2), rewards (T,), the raster of the neurons of ``groups``
    (name -> indices, drawn in that order) and the thresholds A(t) (T, n) of the adaptive group (mV)."""
    t = np.arange(len(positions)) * dt_ms / 1000
    with style_context():
        fig = Figure(figsize=(6.4, 5.6), layout="constrained")
        axes = fig.subplots(4, 1, sharex=True, height_ratios=[1, 0.5, 2.4, 1.2])
        axes[0].plot(t, positions[:, 0], label="x")
        axes[0].plot(t, positions[:, 1], label="y")
        axes[0].set(ylabel="position", ylim=(-1.05, 1.05))
        axes[0].legend(frameon=False, fontsize=7, ncol=2, loc="lower right", bbox_to_anchor=(1.0, 0.98))
        for value, color, name in ((1.0, "tab:green", "goal (+1)"), (-0.02, "tab:red", "wall (-0.02)")):
            hit = np.flatnonzero(np.isclose(rewards, value))
            axes[1].vlines(t[hit], 0, 1, color=color, lw=1, label=name)
        axes[1].set(yticks=[], ylabel="reward")
        axes[1].legend(frameon=False, fontsize=7, ncol=2, loc="upper right")
        row, ticks = 0, []
        for k, (name, idx) in enumerate(groups.items()):
            step, neuron = np.nonzero(spikes[:, idx])
            axes[2].plot(t[step], row + neuron, "|", ms=2, color=f"C{k}")
            ticks.append((row + len(idx) / 2, name))
            row += len(idx)
        axes[2].set(ylim=(-0.5, row - 0.5), yticks=[p for p, _ in ticks], yticklabels=[n for _, n in ticks], ylabel="neurons")
        axes[3].plot(t, 1e3 * thresholds, lw=0.6, alpha=0.8)
        axes[3].set(ylabel="threshold A\nof adaptive\nneurons (mV)", xlabel="time (s)")
        if title:
            fig.suptitle(title, fontsize=9)
    return fig
