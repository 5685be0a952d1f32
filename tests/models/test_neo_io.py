"""Simulation results as Neo blocks and NWB files (written and read back through Neo)."""

import numpy as np
import quantities as pq

from lsnn.models import simulate
from lsnn.models.examples import poisson_input, random_spec
from lsnn.models.neo_io import load_nwb, save_nwb, to_neo


def _result():
    rng = np.random.default_rng(5)
    spec = random_spec(rng, n_in=6, n_rec=8, n_out=2, frac_alif=0.5, dale=True)
    x = poisson_input(rng, 400, spec.n_in, n_trials=2)
    return spec, simulate(spec, x, device="numpy", record_threshold=True, progress=False)


def test_block_has_one_segment_per_trial_with_annotated_trains():
    spec, res = _result()
    block = to_neo(res, spec, trial_annotations=[{"stored_value": 1}, {"stored_value": 0}])
    assert len(block.segments) == 2
    seg = block.segments[1]
    assert seg.annotations["stored_value"] == 0
    assert len(seg.spiketrains) == spec.n_rec
    for j, st in enumerate(seg.spiketrains):
        assert st.annotations["neuron"] == j
        assert st.annotations["kind"] == spec.kinds[j] and st.annotations["population"] == spec.kinds[j]
        assert st.annotations["sign"] == spec.sign[j]
        steps = np.nonzero(res.spikes[1, :, j])[0]
        np.testing.assert_allclose(st.times.rescale(pq.s).magnitude, steps * spec.dt)
        assert st.t_stop == 0.4 * pq.s
    signals = {s.name: s for s in seg.analogsignals}
    np.testing.assert_array_equal(signals["V"].magnitude, res.v[1])
    np.testing.assert_array_equal(signals["threshold"].magnitude, res.thresholds[1])
    assert signals["V"].sampling_period == spec.dt * pq.s


def test_nwb_round_trip_keeps_spikes_and_annotations(tmp_path):
    spec, res = _result()
    assert res.spikes.sum() > 10
    block = to_neo(res, spec, trial_annotations=[{"stored_value": 1}, {"stored_value": 0}])
    path = save_nwb(block, tmp_path / "sim.nwb")
    back = load_nwb(path)
    assert len(back.segments) == 2
    for k, seg in enumerate(back.segments):
        assert seg.annotations["stored_value"] == 1 - k
        by_neuron = {st.annotations["neuron"]: st for st in seg.spiketrains}
        for j in range(spec.n_rec):
            steps = np.nonzero(res.spikes[k, :, j])[0]
            np.testing.assert_allclose(by_neuron[j].times.rescale(pq.s).magnitude, steps * spec.dt)
            assert by_neuron[j].annotations["kind"] == spec.kinds[j]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.nwb"]
