"""Reading another lab's NWB file (units table, electrode groups, trials without optional columns,
CompassDirection in acquisition), event-aligned trials and covariate-defined conditions."""

from datetime import datetime, timezone

import numpy as np
import pytest
import quantities as pq

from lsnn.analysis import covariate_conditions, event_aligned_trials, read_nwb_units


@pytest.fixture(scope="module")
def lab_file(tmp_path_factory):
    import pynwb
    from pynwb.behavior import CompassDirection, SpatialSeries

    nwb = pynwb.NWBFile(session_description="head-direction recording", identifier="lab-1", session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    device = nwb.create_device(name="probe")
    group = nwb.create_electrode_group(name="shank0", description="tetrode", location="ADN", device=device)
    rng = np.random.default_rng(0)
    spikes = [np.sort(rng.uniform(0, 10, 50 + 10 * k)) for k in range(3)]
    for k, times in enumerate(spikes):
        nwb.add_unit(spike_times=times, electrode_group=group)
    nwb.add_trial(start_time=1.0, stop_time=2.0)  # no optional columns at all
    nwb.add_trial(start_time=4.0, stop_time=5.5)
    heading = SpatialSeries(name="heading", data=np.linspace(0, 2 * np.pi, 1000), reference_frame="north", timestamps=np.linspace(0, 10, 1000))
    nwb.add_acquisition(CompassDirection(spatial_series=heading, name="CompassDirection"))
    path = tmp_path_factory.mktemp("nwb") / "lab.nwb"
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path, spikes


def test_units_electrode_groups_and_trials_of_a_lab_file(lab_file):
    path, spikes = lab_file
    block = read_nwb_units(path)
    seg = block.segments[0]
    assert len(seg.spiketrains) == 3
    for st, times in zip(seg.spiketrains, spikes):
        np.testing.assert_allclose(st.times.rescale(pq.s).magnitude, times)
        assert st.annotations["electrode_group"] == "shank0" and st.annotations["location"] == "ADN"
    trials = [e for e in seg.epochs if e.name == "trials"][0]
    np.testing.assert_allclose(trials.times.magnitude, [1.0, 4.0])
    np.testing.assert_allclose(trials.durations.magnitude, [1.0, 1.5])


def test_event_aligned_trials_and_covariate_conditions(lab_file):
    path, spikes = lab_file
    seg = read_nwb_units(path).segments[0]
    events = np.array([0.1, 2.0, 5.0, 9.95]) * pq.s
    trials = event_aligned_trials(seg.spiketrains, events, (-0.5 * pq.s, 1.0 * pq.s))
    assert [t.annotations["event_index"] for t in trials] == [1, 2]  # windows of 0.1 s and 9.95 s leave the recording
    expected = np.sum((spikes[1] >= 1.5) & (spikes[1] < 3.0))
    assert len(trials[0].spiketrains[1]) == expected
    assert trials[0].spiketrains[1].times.min() >= -0.5 * pq.s
    heading = np.linspace(0, 2 * np.pi, 1000)
    labels = covariate_conditions(heading, np.linspace(0, 10, 1000) * pq.s, np.array([0.0, 2.6, 7.6]) * pq.s, np.linspace(0, 2 * np.pi, 5))
    np.testing.assert_array_equal(labels, [0, 1, 3])
    with pytest.raises(ValueError, match="whole window"):
        event_aligned_trials(seg.spiketrains, np.array([0.01]) * pq.s, (-0.5 * pq.s, 1.0 * pq.s))


def test_files_without_units_or_not_nwb_are_refused(tmp_path):
    bad = tmp_path / "x.nwb"
    bad.write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="could not be read as NWB"):
        read_nwb_units(bad)
    with pytest.raises(FileNotFoundError):
        read_nwb_units(tmp_path / "missing.nwb")
