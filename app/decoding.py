"""Decoding the stored word from a trained 20-D STORE-RECALL network's Brian2 rasters (eLife Fig. 2A, Methods
"Decoding memory from the network activity").

The run's held-out trials (unseen test words) are simulated in Brian2; per trial, every RECALL step
gives one sample, labelled by the word shown at the last STORE (20 classes). Features are each neuron's
spike count over a 200 ms step (the authors' code), decoded with the grid-searched SVM of
:mod:`lsnn.analysis.decoding` (5-fold nested cross-validation):

* ``before_recall``: the step just before RECALL (paper 4.38 +- 1.29 %, chance); RECALLs that follow
  their STORE directly are left out, since the step before them is the STORE step itself, where the
  word is on the input (a departure the paper does not discuss);
* ``recall``: the RECALL step (paper 100 %);
* ``store_to_recall`` / ``recall_to_store``: trained on the STORE step, tested on the RECALL step and
  the reverse (paper 0.0 %: the code is inverted between the phases, negative imprinting).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

#: The paper's decoding accuracies (%), eLife Fig. 2A.
PAPER = {"before_recall": 4.38, "recall": 100.0, "store_to_recall": 0.0, "recall_to_store": 0.0}


@dataclass(frozen=True)
class MemoryDecoding:
    """Accuracies (fractions) of the four decoders, with the sample counts and chance level."""

    accuracy: dict[str, float]
    accuracy_std: dict[str, float]
    n_samples: dict[str, int]
    chance: float
    n_trials: int
    device: str

    def table(self) -> list[dict]:
        """One row per decoder with ours and the paper's accuracy in %."""
        return [{"decoder": name, "accuracy": round(100 * value, 2), "std": round(100 * self.accuracy_std.get(name, 0.0), 2),
                 "samples": self.n_samples[name], "paper": PAPER[name], "chance": round(100 * self.chance, 2)}
                for name, value in self.accuracy.items()]


def phase_counts(spikes: np.ndarray, commands: np.ndarray, words: np.ndarray, store: int = 1, recall: int = 2) -> dict[str, np.ndarray]:
    """Per RECALL step: counts of the STORE step, the step before RECALL and the RECALL step, and the stored word.

    ``spikes`` (trials, T, neurons) cut into ``commands.shape[1]`` equal steps; ``commands`` and ``words``
    (trials, steps) as the task's conditions (``word_shown`` is the word at STORE steps). Returns ``store``,
    ``before``, ``recall`` (samples, neurons), ``label`` (samples,), ``has_before`` (the RECALL does not follow
    its STORE directly)."""
    n_trials, n_time, n_neurons = spikes.shape
    n_steps = commands.shape[1]
    if n_time % n_steps or commands.shape != words.shape or commands.shape[0] != n_trials:
        raise ValueError(f"spikes {spikes.shape} do not split into the {n_steps} steps of commands {commands.shape} / words {words.shape}.")
    counts = spikes.reshape(n_trials, n_steps, n_time // n_steps, n_neurons).sum(axis=2)
    rows = {"store": [], "before": [], "recall": [], "label": [], "has_before": []}
    for b in range(n_trials):
        last_store = -1
        for k in range(n_steps):
            if commands[b, k] == store:
                last_store = k
            elif commands[b, k] == recall and last_store >= 0:
                rows["store"].append(counts[b, last_store])
                rows["before"].append(counts[b, k - 1])
                rows["recall"].append(counts[b, k])
                rows["label"].append(int(words[b, last_store]))
                rows["has_before"].append(k - 1 > last_store)
    if not rows["label"]:
        raise ValueError("no RECALL after a STORE in these trials: nothing to decode.")
    return {k: np.asarray(v) for k, v in rows.items()}


def memory_decoding(run: str | os.PathLike, n_trials: int = 512, device: str = "cython", n_splits: int = 5,
                    seed: int = 0, progress: bool = False) -> MemoryDecoding:
    """The four decoders of the module docstring on the first ``n_trials`` held-out trials of the finished
    20-D STORE-RECALL run ``run``, simulated in Brian2 on ``device``."""
    from lsnn.analysis import cross_phase_accuracy, decode
    from lsnn.models import simulate
    from lsnn.training.noise import held_out_noise
    from lsnn.training.runs import held_out_set, load_run

    spec, cfg, task = load_run(run)
    if cfg.task != "store_recall_20d":
        raise ValueError(f"memory decoding reads a 20-D STORE-RECALL run; {run} is a {cfg.task} run.")
    batch = held_out_set(cfg, task, min(int(n_trials), cfg.n_test))
    commands, words = batch.conditions["command"], batch.conditions["word_shown"]
    planned = phase_counts(np.zeros((*commands.shape, 1)), commands, words)  # labels only, before any simulation
    for name, labels in (("before RECALL", planned["label"][planned["has_before"]]), ("RECALL", planned["label"])):
        rarest = np.unique(labels, return_counts=True)[1].min() if len(labels) else 0
        if rarest < n_splits:
            raise ValueError(f"{len(batch.x)} held-out trials give a word only {rarest} times {name}; "
                             f"{n_splits}-fold decoding needs {n_splits}: use more trials (n_test).")
    noise = held_out_noise(cfg.current_noise, cfg.test_seed, 0, len(batch.x), batch.x.shape[1], spec.n_rec)  # as validated
    spikes = simulate(spec, batch.x, i_ext=noise, device=device, record_v=False, progress=progress).spikes
    phases = phase_counts(spikes, commands, words)
    label = phases["label"]
    before = phases["has_before"]
    found = {"before_recall": decode(phases["before"][before], label[before], n_splits, seed),
             "recall": decode(phases["recall"], label, n_splits, seed)}
    accuracy = {name: r.accuracy for name, r in found.items()}
    accuracy_std = {name: r.accuracy_std for name, r in found.items()}
    accuracy["store_to_recall"] = cross_phase_accuracy(phases["store"], label, phases["recall"], label, n_splits, seed)
    accuracy["recall_to_store"] = cross_phase_accuracy(phases["recall"], label, phases["store"], label, n_splits, seed)
    n_samples = {"before_recall": int(before.sum()), "recall": len(label), "store_to_recall": len(label), "recall_to_store": len(label)}
    chance = float(np.max(np.unique(label, return_counts=True)[1]) / len(label))
    return MemoryDecoding(accuracy, accuracy_std, n_samples, chance, len(batch.x), device)
