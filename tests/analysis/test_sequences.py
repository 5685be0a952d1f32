"""Sequence tuning on planted time cells: sorting, cross-validated reliability, shuffle test, invariance."""

import numpy as np
import pytest

from lsnn.analysis.sequences import condition_invariant, cross_validated_sequence, normalized_traces, peak_bins, time_cell_test


def _planted(rng, n_trials=60, n_bins=40, n_time=20, n_noise=10, shift_in_condition=None):
    """Neurons 0..n_time-1 fire a bump at bin 2j (in a random neuron order); the rest fire at random."""
    peaks = 2 * np.arange(n_time)
    perm = rng.permutation(n_time)
    rate = np.full((n_trials, n_bins, n_time + n_noise), 0.5)
    conditions = rng.integers(0, 2, n_trials)
    for k, j in enumerate(perm):
        centre = np.full(n_trials, peaks[k])
        if shift_in_condition is not None and j in shift_in_condition:
            centre = np.where(conditions == 1, (centre + 10) % n_bins, centre)
        bins = np.arange(n_bins)[None, :]
        rate[:, :, j] += 4 * np.exp(-((bins - centre[:, None]) ** 2) / 2.0)
    return rng.poisson(rate).astype(float), perm, peaks, conditions


def test_peaks_traces_and_cross_validated_sorting_recover_the_planted_sequence():
    rng = np.random.default_rng(0)
    counts, perm, peaks, _ = _planted(rng)
    np.testing.assert_array_equal(peak_bins(counts)[perm], peaks)
    traces = normalized_traces(counts)
    assert traces.max() == pytest.approx(1.0) and np.allclose(traces.max(axis=0), 1.0)
    seq = cross_validated_sequence(counts, rng)
    assert [j for j in seq.order if j < 20] == list(perm)  # the time cells come out in the planted order
    assert cross_validated_sequence(counts[:, :, :20], rng).reliability > 0.9  # time cells replicate
    assert set(seq.sort_trials).isdisjoint(seq.display_trials)
    noise_only = cross_validated_sequence(counts[:, :, 20:], rng)
    assert abs(noise_only.reliability) < 0.8  # a sequence sorted out of noise does not replicate


def test_shuffle_test_separates_time_cells_from_noise():
    rng = np.random.default_rng(1)
    counts, perm, _, _ = _planted(rng)
    p = time_cell_test(counts, rng, n_shuffles=200)
    assert np.all(p[:20] < 0.01)
    assert np.mean(p[20:] < 0.01) <= 0.2


def test_condition_invariance_rejects_neurons_whose_peak_moves():
    rng = np.random.default_rng(2)
    counts, perm, _, conditions = _planted(rng, shift_in_condition={3, 7})
    invariant = condition_invariant(counts, conditions, np.ones(counts.shape[2], dtype=bool), tolerance=1)
    assert not invariant[3] and not invariant[7]
    assert invariant[[j for j in range(20) if j not in (3, 7)]].all()
    with pytest.raises(ValueError, match="label each"):
        condition_invariant(counts, conditions[:-1], invariant)
    with pytest.raises(ValueError, match="n_trials, n_bins, n_neurons"):
        peak_bins(np.zeros((3, 4)))
