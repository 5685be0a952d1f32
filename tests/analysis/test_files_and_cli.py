"""Analyses straight from spike files: trials from an NWB trials table, a CSV trial table or a file's
segments; ``lsnn analyze selectivity|sequences`` end to end; every kind of bad input named clearly."""

from datetime import datetime, timezone

import neo
import numpy as np
import pandas as pd
import pytest
import quantities as pq

from lsnn.analysis import (categories_per_neuron, load_trials, preferred_condition, save_nwb, trial_conditions,
                           window_counts)

N_TRIALS, TRIAL_S = 160, 1.0


def _planted_recording(rng):
    """Continuous 4-unit recording: unit 0 fires more in task 1, unit 1 for symbol 'a' in task 0 only
    (an interaction), unit 2 at a fixed rate, unit 3 silent. Trials every 1.5 s, conditions in columns."""
    task = rng.integers(0, 2, N_TRIALS)
    symbol = rng.choice(["a", "b"], N_TRIALS)
    starts = 1.0 + 1.5 * np.arange(N_TRIALS)
    spikes = [[], [], [], []]
    for k, t0 in enumerate(starts):
        rates = [10 + 25 * task[k], 8 + 30 * (symbol[k] == "a") * (task[k] == 0), 12, 0]
        for j, rate in enumerate(rates):
            spikes[j].append(t0 + rng.uniform(0, 0.5, rng.poisson(rate * 0.5)))  # spikes in [start, start + 0.5)
            spikes[j].append(t0 + 0.5 + rng.uniform(0, 0.5, rng.poisson(3 * 0.5)))  # a quiet second half
    return [np.sort(np.concatenate(s)) for s in spikes], starts, task, symbol


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    import pynwb

    rng = np.random.default_rng(1)
    spikes, starts, task, symbol = _planted_recording(rng)
    nwb = pynwb.NWBFile(session_description="planted", identifier="planted-1", session_start_time=datetime(2024, 1, 1, tzinfo=timezone.utc))
    nwb.add_trial_column(name="task", description="task id")
    nwb.add_trial_column(name="symbol", description="stimulus")
    for s, t, sym in zip(starts, task, symbol):
        nwb.add_trial(start_time=s, stop_time=s + TRIAL_S, task=int(t), symbol=str(sym))
    for times in spikes:
        nwb.add_unit(spike_times=times)
    folder = tmp_path_factory.mktemp("rec")
    path = folder / "planted.nwb"
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    table = folder / "trials.csv"
    pd.DataFrame({"start": starts, "stop": starts + TRIAL_S, "task": task, "symbol": symbol}).to_csv(table, index=False)
    return path, table, spikes, starts, task, symbol


def test_trials_from_the_nwb_trials_table_and_from_a_csv_trial_table_agree(recording):
    path, table, spikes, starts, task, symbol = recording
    by_epoch = load_trials(path, epoch="trials")
    by_table = load_trials(path, trial_table=table)
    assert len(by_epoch) == len(by_table) == N_TRIALS
    window = (0 * pq.s, 0.5 * pq.s)
    counts = window_counts(by_epoch, window)
    np.testing.assert_array_equal(counts, window_counts(by_table, window))
    expected = [[np.count_nonzero((s >= t) & (s < t + 0.5)) for s in spikes] for t in starts]
    np.testing.assert_array_equal(counts, expected)
    for trials in (by_epoch, by_table):
        labels = trial_conditions(trials, ["task", "symbol"])
        np.testing.assert_array_equal(labels["task"].astype(int), task)
        np.testing.assert_array_equal(labels["symbol"].astype(str), symbol)


def test_analyze_selectivity_on_an_nwb_file_finds_the_planted_effects(recording, tmp_path, cli):
    path, *_ = recording
    out = tmp_path / "sel"
    rc, stdout, _ = cli.run("analyze", "selectivity", path, "--epoch", "trials", "--factors", "task", "symbol", "--window", "0ms", "500ms", "--out", out)
    assert rc == 0
    assert "3 of 4 neurons firing 2-60 Hz analysed" in stdout and "dropped unit 3: rate 0.00 Hz < 2 Hz" in stdout  # the silent unit, named
    table = pd.read_csv(out / "selectivity.csv")
    selective = {(r.neuron, r.effect) for r in table.itertuples() if r.selective}
    assert ("unit 0", "task") in selective and ("unit 1", "task:symbol") in selective
    assert not any(n == "unit 2" for n, _ in selective)
    cats = pd.read_csv(out / "categories.csv", index_col=0)
    assert cats.loc["unit 2", "class"] == "non-selective" and cats.loc["unit 1", "class"] == "mixed"
    assert (out / "selectivity.png").stat().st_size > 10_000


def test_preferred_condition_and_categories_of_the_planted_neurons(recording):
    path, *_ = recording
    trials = load_trials(path, epoch="trials", window=(0 * pq.s, 0.5 * pq.s))
    counts = window_counts(trials)
    factors = trial_conditions(trials, ["task", "symbol"])
    levels, t, p = preferred_condition(counts, factors, "task:symbol", neuron=1)
    assert (int(levels[0]), str(levels[1])) == (0, "a") and p < 1e-10
    with pytest.raises(ValueError, match="not in"):
        preferred_condition(counts, factors, "task:colour", neuron=1)


def test_analyze_sequences_on_simulation_style_trials(tmp_path, cli):
    rng = np.random.default_rng(2)
    n_neurons, n_trials, bin_s = 12, 60, 0.05
    planted_bins = np.arange(n_neurons) * 3 // 2
    peaks = planted_bins * bin_s + bin_s / 2  # planted peak time of each neuron (s): a bin centre
    block = neo.Block()
    for k in range(n_trials):
        seg = neo.Segment(name=f"trial {k}", trial=k, task=int(k % 2))
        for j in range(n_neurons):
            times = np.clip(peaks[j] + 0.006 * rng.standard_normal(rng.poisson(3)), 0, 0.999)
            if j == n_neurons - 1:
                times = rng.uniform(0, 1, 3)  # no timing: not a time cell
            seg.spiketrains.append(neo.SpikeTrain(np.sort(times) * pq.s, t_stop=1 * pq.s, name=f"n{j}"))
        block.segments.append(seg)
    path = save_nwb(block, tmp_path / "sim.nwb")
    out = tmp_path / "seq"
    assert cli.run("analyze", "sequences", path, "--bin", "50ms", "--shuffles", "200", "--conditions", "task", "--out", out)[0] == 0
    table = pd.read_csv(out / "sequences.csv")
    np.testing.assert_array_equal(table.peak_bin[:-1], planted_bins[:-1])
    assert table.time_cell[:-1].all() and not table.time_cell.iloc[-1]
    assert table.invariant[:-1].all()
    summary = pd.read_json(out / "sequences.json", typ="series")
    assert summary["reliability"] > 0.95 and summary["time_cells"] == n_neurons - 1


@pytest.mark.parametrize("args, message", [
    (["--factors", "colour"], "condition 'colour' is neither a trial condition .*'symbol', 'task'.* nor a property of the units"),
    (["--factors", "task", "--epoch", "trial"], "no epoch named 'trial'; epochs: \\['trials'\\]"),
    (["--factors", "task"], "no trial information"),
    (["--factors", "task", "--epoch", "trials", "--window", "0ms", "2s"], "outside the recording|not inside"),
    (["--factors", "task", "--epoch", "trials", "--window", "0ms", "half"], "cannot read 'half' as a time"),
])
def test_bad_requests_on_a_file_exit_with_a_clear_message(recording, tmp_path, args, message, cli):
    path, *_ = recording
    if "colour" in args:
        args = args + ["--epoch", "trials"]
    cli.error(*["analyze", "selectivity", str(path), "--out", str(tmp_path)] + args, match=message)


def test_bad_files_and_tables_are_refused(recording, tmp_path, cli):
    path, table, *_ = recording
    junk = tmp_path / "junk.nix"
    junk.write_bytes(b"\x00" * 100)
    cli.error(*["analyze", "selectivity", str(junk), "--factors", "task"], match="could not be read|no reader")
    bad = tmp_path / "bad_trials.csv"
    pd.DataFrame({"start": [1.0, 3.0], "stop": [2.0, 2.5], "task": [0, 1]}).to_csv(bad, index=False)
    cli.error(*["analyze", "selectivity", str(path), "--trials", str(bad), "--factors", "task"], match="row 1 has stop <= start")
    short = tmp_path / "short.csv"
    pd.read_csv(table).iloc[:5].assign(start=lambda d: d.start, stop=lambda d: d.stop).to_csv(short, index=False)
    trials = load_trials(path, trial_table=short)
    assert len(trials) == 5  # a table may define a subset of the recording's trials
    cli.error(*["analyze", "sequences", str(table)], match="sequences need spike times")
    cli.error(*["analyze", "sequences", str(tmp_path / "missing.nwb")], match="no file at")


def test_categories_per_neuron_classes():
    table = pd.DataFrame({"neuron": [0, 0, 1, 1, 2, 2], "effect": ["A", "A:B"] * 3, "selective": [True, False, False, True, False, False]})
    cats = categories_per_neuron(table)
    assert list(cats["class"]) == ["pure", "mixed", "non-selective"]
    assert list(cats["n_categories"]) == [1, 1, 0]


def test_any_neo_format_gives_the_same_trials(tmp_path):
    """The same block through Neo's MATLAB writer and through NWB: identical counts and conditions."""
    rng = np.random.default_rng(3)
    block = neo.Block()
    for k in range(6):
        seg = neo.Segment(name=f"trial {k}", trial=k, task=int(k % 2))
        for j in range(3):
            seg.spiketrains.append(neo.SpikeTrain(np.sort(rng.uniform(0, 1, 5 + j)) * pq.s, t_stop=1 * pq.s, name=f"u{j}"))
        block.segments.append(seg)
    neo.io.NeoMatlabIO(str(tmp_path / "rec.mat")).write_block(block)
    from_mat = load_trials(tmp_path / "rec.mat")
    from_nwb = load_trials(save_nwb(block, tmp_path / "rec.nwb"))
    window = (0.2 * pq.s, 0.7 * pq.s)
    np.testing.assert_array_equal(window_counts(from_mat, window), window_counts(from_nwb, window))
    np.testing.assert_array_equal(trial_conditions(from_mat, ["task"])["task"], [0, 1, 0, 1, 0, 1])


def test_pickled_recordings_are_refused_before_anything_is_unpickled(tmp_path, cli):
    import pickle

    marker = tmp_path / "pwned"

    class Payload:  # unpickling it would create the marker file
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for name in ("recording.pkl", "recording.pickle"):
        (tmp_path / name).write_bytes(pickle.dumps(Payload()))
        cli.error("analyze", "selectivity", tmp_path / name, "--factors", "task", match="refusing to open .*pickle.*can run arbitrary code")
    assert not marker.exists()


def test_nan_spike_times_are_refused_with_the_unit_named(tmp_path):
    from lsnn.analysis import read_spikes

    block = neo.Block()
    seg = neo.Segment(name="trial 0", trial=0)
    seg.spiketrains.append(neo.SpikeTrain([0.1, 0.2] * pq.s, t_stop=1 * pq.s, name="good"))
    bad = neo.SpikeTrain([0.1, 0.5] * pq.s, t_stop=1 * pq.s, name="bad unit")
    bad.magnitude[1] = np.nan
    seg.spiketrains.append(bad)
    block.segments.append(seg)
    neo.io.NeoMatlabIO(str(tmp_path / "rec.mat")).write_block(block)
    with pytest.raises(ValueError, match="spike train bad unit of segment trial 0 holds 1 NaN or infinite spike times"):
        read_spikes(tmp_path / "rec.mat")
