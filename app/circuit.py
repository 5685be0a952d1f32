"""Negative imprinting in the hand-set two-neuron circuit of Salaj et al. 2021 (eLife) Fig. 1D-E.

Two SFA neurons without recurrence (:func:`lsnn.models.examples.two_neuron_circuit_spec`): at STORE the
neuron of the shown value fires and its threshold rises by half the base threshold per spike; at RECALL
both receive the same drive, and the neuron that fired during STORE fires *less* -- the stored value is
read from the neuron that stays quieter. The sequence (default :data:`SEQUENCE`: STORE 1, RECALL, STORE 0,
RECALL, steps of 200 ms) is simulated in Brian2 and in the NumPy reference map, which must agree spike
for spike. Departure from the paper's task: value populations are shown only during STORE steps (no
distractor values), so that the two feed-forward neurons store nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: (command, value) per 200 ms step: 0 none, 1 STORE, 2 RECALL.
SEQUENCE = ((0, 0), (1, 1), (0, 0), (0, 0), (2, 0), (0, 0), (1, 0), (0, 0), (0, 0), (2, 0), (0, 0), (0, 0))


@dataclass(frozen=True)
class CircuitTrial:
    """One simulated sequence of the two-neuron circuit (time-major arrays; neuron 0 NL, 1 NR)."""

    x: np.ndarray  # (T, 40) input spikes
    spikes: np.ndarray  # (T, 2) Brian2
    thresholds: np.ndarray  # (T, 2) Brian2, volts
    outputs: np.ndarray  # (T, 2) Brian2 readout
    reference_spikes: np.ndarray  # (T, 2) NumPy reference map
    commands: np.ndarray  # (steps,)
    values: np.ndarray  # (steps,) the value shown at STORE steps
    step_duration: float  # s
    dt: float  # s
    device: str

    @property
    def counts(self) -> np.ndarray:
        """Spikes per step and neuron (steps, 2)."""
        return self.spikes.reshape(len(self.commands), -1, 2).sum(1)

    def recalls(self) -> list[dict]:
        """Per RECALL: the value of the last STORE, spikes of NL and NR there and at the RECALL, the recalled
        value (mean readout over the step) and whether the neuron that fired more at STORE fired less at RECALL."""
        steps = int(round(self.step_duration / self.dt))
        rows, last_store = [], None
        for k, command in enumerate(self.commands):
            if command == 1:
                last_store = k
            elif command == 2 and last_store is not None:
                store, recall = self.counts[last_store], self.counts[k]
                answer = int(self.outputs[k * steps:(k + 1) * steps].mean(0).argmax())
                rows.append({"recall_step": k, "stored": int(self.values[last_store]), "recalled": answer,
                             "store_spikes_NL_NR": store.tolist(), "recall_spikes_NL_NR": recall.tolist(),
                             "negative_imprinting": bool(store.argmax() == recall.argmin() and store.max() > store.min()
                                                         and recall.max() > recall.min())})
        return rows


def two_neuron_trial(seed: int = 0, device: str = "cython", sequence=SEQUENCE, step_duration: float = 0.2) -> CircuitTrial:
    """Simulate ``sequence`` in Brian2 on ``device`` and in the reference map (module docstring)."""
    from lsnn.models import simulate
    from lsnn.models.examples import store_recall_input, two_neuron_circuit_spec
    from lsnn.models.reference import simulate_reference

    spec = two_neuron_circuit_spec()
    commands, values = np.array([c for c, _ in sequence]), np.array([v for _, v in sequence])
    steps = int(round(step_duration / spec.dt))
    x = store_recall_input(np.random.default_rng(seed), commands, values, step_steps=steps).astype(float)
    res = simulate(spec, x, device=device, record_v=False, record_threshold=True, progress=False)
    reference = simulate_reference(spec, x)
    return CircuitTrial(x, res.spikes, res.thresholds, res.outputs, reference.spikes, commands, values, step_duration, spec.dt, device)
