"""One held-out example of a trained speech run for its figure (:func:`lsnn.figures.speech.figure_speech_trial`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from lsnn.training.heldout import held_out_activity
from lsnn.training.runs import load_run


@dataclass
class SpeechTrial:
    """Inputs, activity and answers of one held-out TIMIT sentence or Speech Commands clip."""

    features: np.ndarray  # (T, channels) input currents
    spikes: np.ndarray  # (T, n_rec)
    thresholds: np.ndarray  # (T, n_rec) V
    adaptive: np.ndarray  # (n_rec,) bool
    outputs: np.ndarray  # (T, n_out) readout
    labels: np.ndarray  # (windows,) true class per window (-1: none)
    windows: np.ndarray  # (windows, 2) steps
    class_names: tuple[str, ...]
    dt: float
    rate_hz: float
    feature_label: str
    title: str
    kind: str  # "timit" or "gsc"

    def predicted(self) -> np.ndarray:
        """The class the readout names in each window (mean over the window, argmax)."""
        return np.array([self.outputs[a:b].mean(axis=0).argmax() for a, b in self.windows])

    def draw_answer(self, ax) -> None:
        """TIMIT: predicted vs true phone per frame (39-phone folding marks the right ones); GSC: softmax over time."""
        if self.kind == "timit":
            from lsnn.training.speech.timit import fold_39

            has = self.labels >= 0
            centre = (self.windows[:, 0] + self.windows[:, 1]) / 2 * self.dt
            pred = self.predicted()
            right = has & (fold_39(np.where(has, self.labels, 0)) == fold_39(pred))
            used = np.unique(np.r_[self.labels[has], pred[has]])  # one row per phone that occurs, in the class order
            row = lambda classes: np.searchsorted(used, classes)  # noqa: E731
            ax.scatter(centre[has], row(self.labels[has]), s=6, c="0.6", label="transcription (.PHN)", marker="s", linewidths=0)
            ax.scatter(centre[has & right], row(pred[has & right]), s=5, c="tab:green", label="network, right (39 phones)")
            ax.scatter(centre[has & ~right], row(pred[has & ~right]), s=5, c="tab:red", label="network, wrong")
            ax.set_ylabel("phone (those that occur)")
            ax.set_yticks(np.arange(len(used)), [self.class_names[k] for k in used], fontsize=6 if len(used) < 30 else 5)
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
            ax.set_title(f"phone per 10 ms frame: {100 * right[has].mean():.0f} % of {int(has.sum())} frames right (39 phones)", fontsize=9)
        else:
            z = self.outputs - self.outputs.max(axis=1, keepdims=True)
            p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            t = np.arange(len(p)) * self.dt
            truth = int(self.labels[0])
            for k, name in enumerate(self.class_names):
                ax.plot(t, p[:, k], lw=2.0 if k == truth else 0.6, color="tab:green" if k == truth else "0.6",
                        label=f"true class: {name}" if k == truth else None)
            answer = int(self.predicted()[0])
            ax.set_ylabel("softmax of the readout")
            ax.set_ylim(0, 1)
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
            ax.set_title(f"answer (readout averaged over the clip): {self.class_names[answer]!r}, true {self.class_names[truth]!r}", fontsize=9)


def speech_trial(run_dir: str | os.PathLike, index: int = 0) -> SpeechTrial:
    """Held-out example ``index`` of a TIMIT or Speech Commands run through its trained network (PyTorch, float64)."""
    from lsnn.training.speech import commands as gsc
    from lsnn.training.speech.timit import PHONES_61
    from lsnn.training.tasks.speech import SpeechCommands, TimitFrames

    run = load_run(run_dir)
    task = run.task
    if not isinstance(task, (TimitFrames, SpeechCommands)):
        raise ValueError(f"{run_dir} was trained on {run.cfg.task!r}, not a speech task (timit, gsc).")
    act = held_out_activity(run, index + 1, first=index)
    timit = isinstance(task, TimitFrames)
    x = act.batch.x[0]
    if timit:  # drop the zero padding after the sentence
        n = int((act.batch.labels[0] >= 0).sum())
        T = n * task.steps_per_frame
    else:
        n, T = 1, x.shape[0]
    corpus = task.variant or f"{'TIMIT' if timit else 'Speech Commands'} ({task.root})"
    return SpeechTrial(
        features=x[:T], spikes=act.spikes[0][:T], thresholds=act.thresholds[0][:T], adaptive=run.spec.beta > 0, outputs=act.outputs[0][:T],
        labels=act.batch.labels[0][:n], windows=act.batch.windows[:n], class_names=PHONES_61 if timit else gsc.CLASSES, dt=run.spec.dt,
        rate_hz=float(act.spikes[0][:T].mean() / run.spec.dt),
        feature_label=(f"13 MFCC + deltas + delta-deltas, each 10 ms frame held {task.steps_per_frame} steps" if timit
                       else "40 MFCC, 30 ms window every 1 ms"),
        title=f"{run.cfg.task} / {run.cfg.model}, held-out example {index} ({os.path.basename(os.fspath(run_dir))}); data: {corpus}",
        kind="timit" if timit else "gsc",
    )
