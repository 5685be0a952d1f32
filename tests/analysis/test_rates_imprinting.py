"""Rates, trial-binned counts, event-aligned averages and the imprinting index on planted data."""

import neo
import numpy as np
import pytest
import quantities as pq

from lsnn.analysis import binned_counts, event_aligned_average, imprinting, mean_rates, phase_selectivity


def _segment(times_per_neuron, t_stop=1.0):
    seg = neo.Segment()
    for times in times_per_neuron:
        seg.spiketrains.append(neo.SpikeTrain(np.asarray(times) * pq.s, t_stop=t_stop * pq.s))
    return seg


def test_mean_rates_and_binned_counts_are_exact():
    segs = [_segment([[0.05, 0.15, 0.16, 0.95], []]), _segment([[0.5], [0.01, 0.99]])]
    np.testing.assert_allclose(mean_rates(segs[0].spiketrains).rescale(pq.Hz).magnitude, [4.0, 0.0])
    counts = binned_counts(segs, 0.25 * pq.s)
    assert counts.shape == (2, 4, 2)
    np.testing.assert_array_equal(counts[0, :, 0], [3, 0, 0, 1])
    np.testing.assert_array_equal(counts[1, :, 1], [1, 0, 0, 1])
    with pytest.raises(ValueError, match="same number"):
        binned_counts([segs[0], _segment([[0.1]])], 0.25 * pq.s)


def _planted(rng, sign, n_trials=200, n_bins=10, n_neurons=30):
    """Neurons 0-9 respond to value 1 at STORE (+4 spikes) and sign*4 at RECALL; others are noise."""
    cmd = rng.choice([0, 1, 2], size=(n_trials, n_bins), p=[0.6, 0.2, 0.2])
    values = rng.integers(0, 2, (n_trials, n_bins))
    counts = rng.poisson(5, (n_trials, n_bins, n_neurons)).astype(float)
    counts[..., :10] += 4 * ((cmd == 1) & (values == 1))[..., None]
    counts[..., :10] += sign * 4 * ((cmd == 2) & (values == 1))[..., None] + 4 * (cmd == 2)[..., None]
    return counts, cmd, values


def test_imprinting_index_detects_negative_imprinting_and_not_shuffled_labels():
    rng = np.random.default_rng(0)
    counts, cmd, values = _planted(rng, sign=-1)
    res = imprinting(counts, cmd == 1, cmd == 2, values, 0.2 * pq.s)
    assert res.index < -0.8 and res.p_value < 1e-6
    # planted selectivity in Hz: +4 spikes / 0.2 s = +20 Hz at STORE, -20 Hz at RECALL
    assert res.store_selectivity[:10].mean().magnitude == pytest.approx(20, abs=2)
    assert res.recall_selectivity[:10].mean().magnitude == pytest.approx(-20, abs=2)
    c2, cmd2, v2 = _planted(rng, sign=+1)
    assert imprinting(c2, cmd2 == 1, cmd2 == 2, v2, 0.2 * pq.s).index > 0.8  # positive imprinting is told apart
    shuffled = rng.permuted(values, axis=0)
    null = imprinting(counts, cmd == 1, cmd == 2, shuffled, 0.2 * pq.s)
    assert abs(null.index) < 0.5 and null.p_value > 0.001
    with pytest.raises(ValueError, match="do not match"):
        phase_selectivity(counts, cmd[:, :5] == 1, values, 0.2 * pq.s)


def test_event_aligned_average_of_a_known_signal():
    # signal = time since start (ramp); the average around events at 0.3 s and 0.6 s is the mean ramp
    dt = 0.001 * pq.s
    t = np.arange(1000) * 0.001
    sig = neo.AnalogSignal(t[:, None] * pq.V, sampling_period=dt)
    ev = neo.SpikeTrain([0.3, 0.6] * pq.s, t_stop=1.0 * pq.s)
    avg, n = event_aligned_average([sig, sig], [ev, neo.SpikeTrain([] * pq.s, t_stop=1.0 * pq.s)], (-0.1 * pq.s, 0.1 * pq.s))
    assert n == 2
    trace = avg.magnitude[:, 0]
    assert trace[0] == pytest.approx(0.35, abs=2e-3) and trace[-1] == pytest.approx(0.55, abs=2e-3)


def test_isi_cv_and_fano_factor_limits():
    from lsnn.analysis import fano_factor, isi_cv

    regular = neo.SpikeTrain(np.arange(0.01, 10, 0.1) * pq.s, t_stop=10 * pq.s)
    rng = np.random.default_rng(0)
    poisson = neo.SpikeTrain(np.sort(rng.uniform(0, 100, 2000)) * pq.s, t_stop=100 * pq.s)
    sparse = neo.SpikeTrain([1.0] * pq.s, t_stop=10 * pq.s)
    cvs = isi_cv([regular, poisson, sparse])
    assert cvs[0] == pytest.approx(0, abs=1e-9) and cvs[1] == pytest.approx(1, abs=0.06) and np.isnan(cvs[2])
    trials = [neo.SpikeTrain(np.sort(rng.uniform(0, 1, rng.poisson(20))) * pq.s, t_stop=1 * pq.s) for _ in range(400)]
    assert fano_factor(trials) == pytest.approx(1, abs=0.2)
    assert fano_factor([regular, regular]) == 0
    with pytest.raises(ValueError, match="two"):
        fano_factor([regular])


def test_counts_round_trip_through_neo_segments():
    from lsnn.analysis import binned_counts, segments_from_counts

    counts = np.random.default_rng(5).poisson(1.5, (4, 20, 6))
    segments = segments_from_counts(counts, 25 * pq.ms, t_start=-0.1 * pq.s)
    assert len(segments) == 4 and len(segments[0].spiketrains) == 6
    assert segments[0].spiketrains[0].t_start == -0.1 * pq.s
    np.testing.assert_array_equal(binned_counts(segments, 25 * pq.ms), counts)
    with pytest.raises(ValueError, match="whole numbers"):
        segments_from_counts(counts + 0.5, 25 * pq.ms)
    with pytest.raises(ValueError, match="negative"):
        segments_from_counts(-counts, 25 * pq.ms)


def test_adaptation_index_of_known_interval_sequences():
    """(ISI_{k+1} - ISI_k) / (ISI_{k+1} + ISI_k) averaged: (r - 1) / (r + 1) for intervals growing by r each
    spike, 0 for a regular train, negative for an accelerating one, NaN below three spikes."""
    from lsnn.analysis import adaptation_index

    def train(intervals):
        return neo.SpikeTrain(np.cumsum(intervals), t_stop=100.0, units="s")

    r = 1.3
    growing = train(0.01 * r ** np.arange(8))
    regular = train(np.full(10, 0.02))
    accelerating = train(0.05 * 0.8 ** np.arange(6))
    short = train([0.1, 0.2])
    index = adaptation_index([growing, regular, accelerating, short])
    np.testing.assert_allclose(index[:3], [(r - 1) / (r + 1), 0.0, (0.8 - 1) / 1.8], atol=1e-12)
    assert np.isnan(index[3])
