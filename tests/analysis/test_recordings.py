"""Recordings written by other labs' pipelines (built here with pynwb directly, not through lsnn), each
carrying one property that used to break the analysis: spikes exactly on window edges (1 ms rasters and
30 kHz ticks), unit names with locations and electrode groups, text columns and tags of the trials
table, a per-trial event-time column, labelled annotation events, a CompassDirection, a recording that
ends after its last spike; counts tables with id columns and in long form; the rate rule on every route."""

from datetime import datetime, timezone

import neo
import numpy as np
import pandas as pd
import pytest
import quantities as pq

from lsnn.analysis import load_trials, preferred_condition, population_test, window_counts
from lsnn.analysis.io import read_recording
from lsnn.analysis.recording import binned_counts, recording_from_times, trials_from_table
from lsnn.analysis.recording import window_counts as array_counts

N_TRIALS = 40
pytestmark = pytest.mark.filterwarnings("ignore:AnnotationSeries is deprecated")  # other labs still write them


def _write(nwb, path):
    import pynwb

    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return path


def _lab_file(path, tick: float):
    """Four named units (CA1 / ADn) whose spikes sit on a grid of ``tick`` s, with a spike exactly at every
    trial's start and one exactly at every trial's stop; trials with text, numeric, tag and event-time
    columns; a labelled cue series; a heading; the recording running on after the last spike."""
    import pynwb
    from pynwb.behavior import CompassDirection, SpatialSeries
    from pynwb.misc import AnnotationSeries

    rng = np.random.default_rng(0)
    nwb = pynwb.NWBFile(session_description="lab", identifier="lab", session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    device = nwb.create_device(name="probe")
    groups = {loc: nwb.create_electrode_group(name=f"shank-{loc}", description="tetrode", location=loc, device=device) for loc in ("CA1", "ADn")}
    starts = np.round((2.0 + 2.0 * np.arange(N_TRIALS)) / tick) * tick
    task = rng.integers(0, 2, N_TRIALS)
    symbol = rng.choice(["a", "b"], N_TRIALS)
    stim_on = starts + np.round(0.3 / tick) * tick
    for column, text in (("task", "task id"), ("symbol", "stimulus"), ("stim_on", "stimulus onset (s)")):
        nwb.add_trial_column(name=column, description=text)
    for k in range(N_TRIALS):
        nwb.add_trial(start_time=starts[k], stop_time=starts[k] + 1.0, task=int(task[k]), symbol=str(symbol[k]), stim_on=stim_on[k],
                      tags=["rewarded"] if k % 3 == 0 else ["unrewarded"])
    nwb.add_unit_column(name="unit_name", description="the lab's name of the unit")
    spikes = []
    for j in range(4):
        times = [starts, starts + 1.0]  # on the edges of every trial window [start, start + 1 s)
        for k in range(N_TRIALS):
            rate = 20 + 20 * task[k] * (j == 0) + 25 * (symbol[k] == "a") * (j == 1)
            n = rng.poisson(rate * 0.8)
            times.append(starts[k] + 0.1 + np.round(rng.uniform(0, 0.8, n) / tick) * tick)
        spikes.append(np.unique(np.concatenate(times)))
        nwb.add_unit(spike_times=spikes[-1], electrode_group=groups["CA1" if j < 2 else "ADn"], unit_name=f"{'CA1' if j < 2 else 'ADn'}-cell{j}")
    cue_times = starts + 0.5
    nwb.add_acquisition(AnnotationSeries(name="cue", data=[f"cue-{s}" for s in symbol], timestamps=cue_times))  # older files
    licks = nwb.create_events_table(name="licks", description="licks")  # NWB 2.9 events
    licks.add_column(name="annotation", description="side")
    for k in range(N_TRIALS):
        licks.add_row(timestamp=starts[k] + 0.7, annotation="left" if task[k] else "right")
    heading_t = np.arange(0, 90.0, 0.02)
    heading = SpatialSeries(name="heading", data=np.mod(heading_t * 0.7, 2 * np.pi), reference_frame="north", unit="radians", timestamps=heading_t)
    nwb.add_acquisition(CompassDirection(spatial_series=heading, name="CompassDirection"))
    _write(nwb, path)
    return dict(starts=starts, task=task, symbol=symbol, stim_on=stim_on, spikes=spikes, cue_times=cue_times)


@pytest.fixture(scope="module", params=[1e-3, 1 / 30000], ids=["1ms", "30kHz"])
def lab(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("lab") / "lab.nwb"
    return path, _lab_file(path, request.param)


def _expected(spikes, lo, hi):
    return np.array([[int(np.sum((s >= a) & (s < b))) for s in spikes] for a, b in zip(lo, hi)])


def test_spikes_on_window_edges_are_in_or_out_by_one_exact_rule(lab, cli, tmp_path):
    path, truth = lab
    recording, _ = read_recording(path)
    trials = trials_from_table(recording, recording.intervals["trials"])
    counts = array_counts(recording, trials)
    np.testing.assert_array_equal(counts, _expected(truth["spikes"], truth["starts"], truth["starts"] + 1.0))  # start in, stop out
    # the Neo route (segments per trial) gives the same counts and never refuses an edge spike
    segments = load_trials(path, epoch="trials")
    np.testing.assert_array_equal(window_counts(segments), counts)
    assert all(st.times.min() >= st.t_start for seg in segments for st in seg.spiketrains if len(st))
    # windows with a negative start around each trial's start: the spike at start is at time 0 of the window
    counts = array_counts(recording, trials.with_window((-0.5, 0.0)))
    np.testing.assert_array_equal(counts, _expected(truth["spikes"], truth["starts"] - 0.5, truth["starts"]))
    assert cli.run("analyze", "sequences", path, "--epoch", "trials", "--window", "-200ms", "1s", "--bin", "100ms", "--shuffles", "20",
                   "--out", tmp_path / "seq")[0] == 0


def test_conditions_come_from_text_columns_tags_event_labels_and_headings(lab):
    path, truth = lab
    recording, _ = read_recording(path)
    trials = recording.intervals["trials"]
    assert list(trials["symbol"]) == list(truth["symbol"]) and list(trials["task"]) == list(truth["task"])
    assert trials["tags"].iloc[0] == "rewarded" and trials["tags"].iloc[1] == "unrewarded"
    assert list(recording.events["cue"]["label"]) == [f"cue-{s}" for s in truth["symbol"]]
    assert list(recording.events["licks"]["label"]) == ["left" if t else "right" for t in truth["task"]]
    heading = recording.covariates["heading"]
    assert heading.values.shape == (4500,) and "CompassDirection" in recording.covariates
    assert recording.t_stop * 1e-9 >= 89.98  # the heading runs on after the last spike and trial: the file's end


def test_cli_aligns_to_an_event_column_and_labels_trials_by_events_and_headings(lab, cli, tmp_path):
    path, truth = lab
    rc, out, _ = cli.run("analyze", "selectivity", path, "--epoch", "trials", "--align", "stim_on", "--window", "-200ms", "400ms",
                         "--factors", "task", "symbol", "tags", "--out", tmp_path / "a")
    assert rc == 0, out
    table = pd.read_csv(tmp_path / "a" / "selectivity.csv")
    assert {"tags", "task:symbol:tags"} <= set(table["effect"])
    rc, out, _ = cli.run("analyze", "selectivity", path, "--event", "cue", "--window", "-400ms", "400ms", "--factors", "label",
                         "--out", tmp_path / "b")
    assert rc == 0
    by_name = pd.read_csv(tmp_path / "b" / "selectivity.csv").set_index("neuron")
    assert by_name.loc["CA1-cell1", "selective"] and by_name.loc["CA1-cell1", "preferred"] == "label=cue-a"
    rc, out, _ = cli.run("analyze", "selectivity", path, "--epoch", "trials", "--covariate", "heading", "--covariate-bins", "4",
                         "--factors", "heading", "--out", tmp_path / "c")
    assert rc == 0 and set(pd.read_csv(tmp_path / "c" / "selectivity.csv")["effect"]) == {"heading"}


def test_names_locations_and_groups_travel_into_every_table(lab, cli, tmp_path):
    path, _ = lab
    assert cli.run("analyze", "selectivity", path, "--epoch", "trials", "--factors", "task", "--out", tmp_path)[0] == 0
    for table in ("selectivity.csv", "neurons.csv"):
        frame = pd.read_csv(tmp_path / table)
        name_column = "neuron" if "neuron" in frame else "name"
        assert set(frame[name_column]) >= {"CA1-cell0", "ADn-cell3"} and set(frame["location"]) == {"CA1", "ADn"}
        assert set(frame["electrode_group"]) == {"shank-CA1", "shank-ADn"}
    assert (tmp_path / "neuron_CA1-cell0.png").stat().st_size > 10_000  # raster and PSTH of the most selective neuron


def test_the_rate_rule_is_the_same_on_every_route_and_names_what_it_drops(tmp_path, cli):
    rng = np.random.default_rng(3)
    starts = 1.0 + 1.5 * np.arange(80)
    task = rng.integers(0, 2, 80)
    rates = [lambda k: 1.0 + 1.5 * task[k], lambda k: 10 + 20 * task[k], lambda k: 15.0]  # unit 0: 1-2.5 Hz, below the rule on average
    spikes = [np.sort(np.concatenate([s + rng.uniform(0, 1, rng.poisson(r(k))) for k, s in enumerate(starts)])) for r in rates]
    recording_block = neo.Block()
    seg = neo.Segment()
    for j, times in enumerate(spikes):
        seg.spiketrains.append(neo.SpikeTrain(times * pq.s, t_stop=125 * pq.s, name=f"n{j}"))
    recording_block.segments.append(seg)
    neo.io.NixIO(str(tmp_path / "rec.nix"), mode="ow").write_block(recording_block)  # the README's NIX example
    pd.DataFrame({"start": starts, "stop": starts + 1.0, "task": task}).to_csv(tmp_path / "trials.csv", index=False)
    rc, out_spikes, _ = cli.run("analyze", "selectivity", tmp_path / "rec.nix", "--trials", tmp_path / "trials.csv", "--factors", "task",
                                "--out", tmp_path / "s")
    assert rc == 0
    counts = array_counts(recording_from_times(spikes, t_start=0, t_stop=125),
                          trials_from_table(recording_from_times(spikes, t_start=0, t_stop=125), pd.read_csv(tmp_path / "trials.csv")))
    pd.DataFrame({"trial": np.arange(80), "task": task, **{f"n{j}": counts[:, j] for j in range(3)}}).to_csv(tmp_path / "counts.csv", index=False)
    rc, out_table, _ = cli.run("analyze", "selectivity", tmp_path / "counts.csv", "--factors", "task", "--count-window", "1s", "--out", tmp_path / "t")
    assert rc == 0
    for out, folder in ((out_spikes, "s"), (out_table, "t")):
        assert "2 of 3 neurons firing 2-60 Hz analysed" in out and "dropped n0: rate 1." in out
        neurons = pd.read_csv(tmp_path / folder / "neurons.csv")
        assert list(neurons["kept"]) == [False, True, True]
    a, b = (pd.read_csv(tmp_path / f / "selectivity.csv") for f in ("s", "t"))
    assert list(a["neuron"]) == list(b["neuron"]) == ["n1", "n2"] and list(a["selective"]) == list(b["selective"]) == [True, False]
    assert "trial" not in set(b["neuron"])  # an id column is never a neuron
    rc, out, _ = cli.run("analyze", "selectivity", tmp_path / "counts.csv", "--factors", "task", "--no-rate-filter", "--out", tmp_path / "u")
    assert "3 of 3 all neurons analysed" in out or "3 of 3" in out


def test_long_tables_analyse_neurons_of_different_sessions_together(tmp_path, cli):
    rng = np.random.default_rng(4)
    rows = []
    for session, neurons, n_trials in (("s1", ["a", "b"], 50), ("s2", ["c"], 70)):
        task = rng.integers(0, 2, n_trials)
        for neuron in neurons:
            gain = 8 if neuron in ("a", "c") else 0
            for k in range(n_trials):
                rows.append({"neuron": neuron, "session": session, "trial": k, "task": task[k], "count": rng.poisson(5 + gain * task[k])})
    pd.DataFrame(rows).to_csv(tmp_path / "long.csv", index=False)
    rc, out, _ = cli.run("analyze", "selectivity", tmp_path / "long.csv", "--factors", "task", "--count-window", "500ms", "--out", tmp_path / "o")
    assert rc == 0, out
    table = pd.read_csv(tmp_path / "o" / "selectivity.csv").set_index("neuron")
    assert table["selective"].to_dict() == {"a": True, "b": False, "c": True}
    assert table.loc["c", "session"] == "s2"


def test_preferred_condition_is_the_one_with_the_highest_mean_rate():
    rng = np.random.default_rng(5)
    # direction 0 sampled often with a modest rise (the largest t statistic), direction 2 rarely with the strongest response
    direction = np.r_[np.zeros(300), np.ones(60), np.full(8, 2)].astype(int)
    counts = np.r_[rng.normal(12, 1, 300), rng.normal(8, 1, 60), rng.normal(20, 6, 8)]
    levels, t, p = preferred_condition(counts[:, None], {"direction": direction}, "direction", 0)
    assert levels == (2,) and t > 0
    from scipy.stats import ttest_ind

    assert ttest_ind(counts[direction == 0], counts[direction != 0], equal_var=False).statistic > t  # Welch t would pick 0


def _regions(seed: int, region_effect: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for j in range(16):
        region = "CA1" if j < 8 else "ADn"
        offset = rng.normal(0, 3) + region_effect * (region == "CA1")  # neurons differ: the replicate variation
        for k in range(40):
            state = "run" if k % 2 else "rest"
            rows.append({"neuron": j, "region": region, "state": state, "rate": 10 + offset + 4 * (state == "run") + rng.normal(0, 1)})
    return pd.DataFrame(rows)


def test_population_test_uses_neurons_as_replicates():
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    data = _regions(8, 0.0)  # no region effect; the 8 + 8 neurons' own offsets differ by chance
    result = population_test(data, "rate", ["region", "state"]).set_index("term")
    assert list(result.index) == ["region", "state", "region:state"]
    assert result.loc["state", "p"] < 1e-10 and result.loc["region", "p"] > 0.05
    # trials taken as replicates (a plain ANOVA over all samples) would call the chance difference significant
    naive = sm.stats.anova_lm(smf.ols("rate ~ C(region) * C(state)", data).fit(), typ=2)
    assert naive.loc["C(region)", "PR(>F)"] < 1e-10
    planted = population_test(_regions(8, 12.0), "rate", ["region", "state"]).set_index("term")
    assert planted.loc["region", "p"] < 1e-3


def test_bad_times_bins_and_memory_are_one_line_errors(lab, cli, tmp_path):
    path, _ = lab
    cli.error("analyze", "sequences", path, "--epoch", "trials", "--bin", "50", "--out", tmp_path, match="time '50' has no unit; write 50ms or 50s")
    cli.error("analyze", "sequences", path, "--epoch", "trials", "--bin", "2s", "--out", tmp_path, match="longer than the window")
    recording, _ = read_recording(path)
    trials = trials_from_table(recording, recording.intervals["trials"])
    with pytest.raises(ValueError, match="is too many"):
        binned_counts(recording, trials, 1e-8)
    cli.error("analyze", "selectivity", path, "--epoch", "trials", "--align", "nope", "--window", "0ms", "1s", "--factors", "task",
              "--out", tmp_path, match="no column 'nope' to align the trials to")


def test_a_property_of_the_units_as_factor_runs_the_population_test(lab, cli, tmp_path):
    path, _ = lab
    rc, out, _ = cli.run("analyze", "selectivity", path, "--epoch", "trials", "--factors", "location", "task", "--out", tmp_path)
    assert rc == 0, out
    population = pd.read_csv(tmp_path / "population.csv").set_index("term")
    assert list(population.index) == ["location", "task", "location:task"] and "neurons as replicates" in out
    assert set(pd.read_csv(tmp_path / "selectivity.csv")["effect"]) == {"task"}  # per neuron: the trial-level factor only
