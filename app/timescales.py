"""Intrinsic time scales and adaptation indices of a trained network's neurons (eLife Appendix 1 §1 and
the adaptation index of its appendix figures), LIF and ALIF neurons side by side.

* :func:`network_timescales`: the network runs its held-out trials (PyTorch, float64, the map whose
  rasters Brian2 reproduces); spikes are counted in bins of 50 ms over a 500 ms window of every trial
  (the authors' ``autocorr.py``), and :func:`lsnn.analysis.intrinsic_timescales` fits
  ``R(k) = A (exp(-k dt / tau) + B)`` to each neuron's across-trial autocorrelation. The paper (64
  networks of 200 LIF + 200 ALIF on 1-D STORE-RECALL) found the two distributions "very similar".
* :func:`neuron_adaptation_indices`: every recurrent neuron alone (no input, no recurrence) under a
  current step of ``amplitude`` times its own base threshold, its spike train scored by
  :func:`lsnn.analysis.adaptation_index` (0 for LIF neurons, positive with adaptation).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import quantities as pq

from lsnn.analysis import TimescaleResult


@dataclass(frozen=True)
class NetworkTimescales:
    """Per recurrent neuron: the fit (``result``), its kind (LIF / ALIF / ELIF), its rate in the window (Hz)."""

    result: TimescaleResult
    kinds: np.ndarray
    rates_hz: np.ndarray
    window: tuple[float, float]  # s, from the trial's start
    n_trials: int
    name: str

    def summary(self) -> dict[str, dict[str, float]]:
        """Median time scale (ms) and the number of fitted neurons of each kind."""
        tau = np.asarray(self.result.tau.rescale(pq.ms))
        out = {}
        for kind in np.unique(self.kinds):
            values = tau[(self.kinds == kind) & np.isfinite(tau)]
            out[str(kind)] = {"median_ms": float(np.median(values)) if len(values) else float("nan"),
                              "n_fitted": len(values), "n_neurons": int((self.kinds == kind).sum())}
        return out


def network_timescales(run: str | os.PathLike, n_trials: int = 256, start: float = 0.0, duration: float = 0.5,
                       bin_size: float = 0.05) -> NetworkTimescales:
    """Intrinsic time scales of the recurrent neurons of the finished run ``run`` (module docstring) from its
    first ``n_trials`` held-out trials, counting in ``[start, start + duration)`` s in bins of ``bin_size`` s."""
    from lsnn.analysis import intrinsic_timescales
    from lsnn.training.heldout import held_out_activity
    from lsnn.training.runs import load_run

    trained = load_run(run)
    dt = trained.spec.dt
    n_trials = min(int(n_trials), trained.cfg.n_test)
    if n_trials < 3:
        raise ValueError(f"the autocorrelation across trials needs at least 3 held-out trials; the run has n_test = {trained.cfg.n_test}.")
    per_bin, n_bins, first = round(bin_size / dt), round(duration / bin_size), round(start / dt)
    if per_bin < 1 or n_bins < 3 or first < 0:
        raise ValueError(f"need bin_size >= dt ({dt * 1e3:g} ms), at least 3 bins in the window and start >= 0; "
                         f"got bin_size {bin_size} s, duration {duration} s, start {start} s.")
    act = held_out_activity(trained, n_trials, record_state=False)
    if act.spikes.shape[1] < first + n_bins * per_bin:
        raise ValueError(f"the window [{start:g}, {start + duration:g}) s lies beyond the trials of {trained.cfg.task} "
                         f"({act.spikes.shape[1] * dt:g} s); choose an earlier start or a shorter duration.")
    spikes = act.spikes[:, first:first + n_bins * per_bin]
    counts = spikes.reshape(len(spikes), n_bins, per_bin, -1).sum(axis=2)
    result = intrinsic_timescales(counts, bin_size * 1e3 * pq.ms)
    rates = spikes.mean(axis=(0, 1)) / dt
    return NetworkTimescales(result, trained.spec.kinds, rates, (start, start + duration), n_trials, os.path.basename(os.fspath(run)))


def neuron_adaptation_indices(spec, amplitude: float = 1.5, duration: float = 2.0) -> np.ndarray:
    """Adaptation index of every recurrent neuron of ``spec`` alone under a ``duration`` s current step of
    ``amplitude`` x its base threshold b0 (module docstring), simulated with the reference map."""
    import neo

    from lsnn.analysis import adaptation_index
    from lsnn.models.reference import simulate_reference

    if amplitude <= 1.0:
        raise ValueError(f"the step must exceed the threshold to drive spikes: amplitude > 1 (x b0); got {amplitude}.")
    n_steps = round(duration / spec.dt)
    isolated = spec.copy(W_in=np.zeros_like(spec.W_in), W_rec=np.zeros_like(spec.W_rec))
    i_ext = np.broadcast_to(amplitude * np.asarray(spec.b0, dtype=float), (n_steps, spec.n_rec)).copy()
    spikes = simulate_reference(isolated, np.zeros((n_steps, spec.n_in)), i_ext=i_ext).spikes
    trains = [neo.SpikeTrain(np.nonzero(spikes[:, j])[0] * spec.dt, t_stop=duration, units="s") for j in range(spec.n_rec)]
    return adaptation_index(trains)
