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


def test_direct_nwb_writer_gives_the_file_neo_writes(tmp_path):
    """``save_rasters_nwb`` (pynwb, in bulk) and ``save_nwb(to_neo(...))`` (Neo's NWBIO) give files that read
    back as the same block through Neo and lsnn (trains, names, annotations, signals), the direct one valid
    for pynwb's validator, and an empty trial and a silent neuron survive."""
    import pynwb

    from lsnn.models.neo_io import save_rasters_nwb

    spec, res = _result()
    res.spikes[1, :, 3] = 0  # a silent neuron in trial 1
    conditions = [{"stored_value": 1, "delay_s": 0.5}, {"stored_value": 0, "delay_s": np.float64(1.5)}]
    save_nwb(to_neo(res, spec, conditions, name="blk"), tmp_path / "neo.nwb")
    save_rasters_nwb(res, spec, tmp_path / "direct.nwb", conditions, name="blk")
    a, b = load_nwb(tmp_path / "neo.nwb"), load_nwb(tmp_path / "direct.nwb")
    assert [s.name for s in b.segments] == ["trial 0", "trial 1"] and b.segments[1].annotations == {"trial": 1, "stored_value": 0, "delay_s": 1.5}
    for sa, sb in zip(a.segments, b.segments):
        assert sa.annotations == sb.annotations
        assert [st.name for st in sa.spiketrains] == [st.name for st in sb.spiketrains]
        for x, y in zip(sa.spiketrains, sb.spiketrains):
            assert x.annotations == y.annotations and x.t_stop == y.t_stop
            np.testing.assert_array_equal(x.magnitude, y.magnitude)
        names = [sa.name + n for n in (" V 0", " output 2", " threshold 1")]  # as Neo reads them: by name
        assert [s.name for s in sa.analogsignals] == [s.name for s in sb.analogsignals] == names
        for x, y in zip(sa.analogsignals, sb.analogsignals):
            np.testing.assert_array_equal(x.magnitude, y.magnitude)
            assert x.sampling_period == y.sampling_period and x.units == y.units
    assert len(b.segments[1].spiketrains[3]) == 0
    with pynwb.NWBHDF5IO(str(tmp_path / "direct.nwb"), "r") as io:
        assert not pynwb.validate(io)
        units = io.read().units
        np.testing.assert_allclose(units.get_unit_spike_times(spec.n_rec + 2), np.nonzero(res.spikes[1, :, 2])[0] * spec.dt)
