"""C++ standalone projects kept compiled between simulations (``lsnn.models.simulation.project_folder``):
results identical to a fresh project, nothing rebuilt for the same network, inputs and recordings not
kept, a failed build not kept, a folder in use left alone, the least recently used ones removed."""

import fcntl

import numpy as np
import pytest

from lsnn.models import simulate, simulate_reference
from lsnn.models import simulation as simulation_module
from lsnn.models.examples import poisson_input, random_spec


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LSNN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "brian2-projects"


def small_network(seed: int):
    spec = random_spec(np.random.default_rng(seed), n_in=8, n_rec=12, n_out=2, p_connect=0.6)
    return spec, poisson_input(np.random.default_rng(seed + 10), 200, spec.n_in, rate=40.0, n_trials=6)


def projects(cache):
    return sorted(p for p in cache.iterdir() if p.is_dir())


def test_cached_project_gives_the_reference_and_is_not_rebuilt_for_the_same_network(cache):
    spec, x = small_network(0)
    first = simulate(spec, x, device="cpp_standalone", trials_per_run=3, progress=False)  # two re-runs of one binary
    (folder,) = projects(cache)
    assert not (folder / "results").exists() and not (folder / "static_arrays").exists()  # inputs and recordings not kept
    built = {p: p.stat().st_mtime_ns for p in folder.rglob("*.o")}
    assert len(built) > 5
    again = simulate(spec, x, device="cpp_standalone", trials_per_run=3, progress=False)
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*.o")} == built  # make found nothing to recompile
    for k in range(len(x)):
        ref = simulate_reference(spec, x[k])
        np.testing.assert_array_equal(first.spikes[k], ref.spikes)
        np.testing.assert_array_equal(again.spikes[k], ref.spikes)
        np.testing.assert_allclose(again.v[k], ref.v, rtol=0, atol=1e-12)
    other_spec, other_x = small_network(1)  # same sizes, other weights and synapse counts: the same folder, rebuilt as needed
    other = simulate(other_spec, other_x, device="cpp_standalone", trials_per_run=3, progress=False)
    assert projects(cache) == [folder]
    np.testing.assert_array_equal(other.spikes[2], simulate_reference(other_spec, other_x[2]).spikes)


def test_a_folder_in_use_is_left_alone_and_a_failed_build_is_not_kept(cache, monkeypatch):
    spec, x = small_network(0)
    simulate(spec, x, device="cpp_standalone", progress=False)
    (folder,) = projects(cache)
    with open(folder.with_suffix(".lock"), "w") as held:  # another process simulating this network now
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        res = simulate(spec, x, device="cpp_standalone", progress=False)  # in a temporary folder instead
    np.testing.assert_array_equal(res.spikes[0], simulate_reference(spec, x[0]).spikes)

    def failing_run(self, *args, **kwargs):
        raise KeyboardInterrupt  # e.g. the user stops a build half-way

    monkeypatch.setattr(simulation_module.StandaloneRunner, "run", failing_run)
    monkeypatch.setenv("LSNN_BRIAN2_CACHE", "0")  # cache switched off: a temporary folder fails, the cached one is untouched
    with pytest.raises(KeyboardInterrupt):
        simulate(spec, x, device="cpp_standalone", progress=False)
    assert projects(cache) == [folder]
    monkeypatch.delenv("LSNN_BRIAN2_CACHE")
    with pytest.raises(KeyboardInterrupt):
        simulate(spec, x, device="cpp_standalone", progress=False)
    assert projects(cache) == []


def test_least_recently_used_projects_are_removed_unless_in_use(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(simulation_module, "PROJECT_CACHE_SIZE", 2)
    folders = [tmp_path / f"cpp_standalone-{k}" for k in range(5)]
    for age, folder in enumerate(folders):
        folder.mkdir()
        os.utime(folder, (1e9 + age, 1e9 + age))  # folder 4 most recently used
    with open(folders[0].with_suffix(".lock"), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        simulation_module._prune_projects(tmp_path, keep=folders[1])
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["cpp_standalone-0", "cpp_standalone-1", "cpp_standalone-4"]


def test_packed_input_bits_give_back_every_input_spike():
    """The re-run layout packs 30 input channels into one TimedArray value (Brian2 keeps TimedArray values as doubles);
    the input group's threshold, evaluated as Brian2 evaluates it, gives back x exactly, across copies and words."""
    from lsnn.models.network import INPUT_BITS, input_timed_array

    x = (np.random.default_rng(5).random((7, 40, 80)) < 0.3).astype(np.uint8)  # 560 flat channels: 19 words, the last partial
    values = np.asarray(input_timed_array(x, 1e-3).values)
    assert values.shape == (40, -(-7 * 80 // INPUT_BITS)) and values.max() < 2.0**INPUT_BITS
    i = np.arange(7 * 80)
    fired = np.floor(values[:, i // INPUT_BITS] / 2.0 ** (i % INPUT_BITS)) % 2 > 0.5  # INPUT_THRESHOLD, step by step
    np.testing.assert_array_equal(fired, x.transpose(1, 0, 2).reshape(40, 7 * 80) == 1)


def test_trials_are_spread_evenly_over_the_fewest_networks(monkeypatch):
    from lsnn.models import simulation

    spec, _ = small_network(0)
    per_trial = int((spec.mask_in & (spec.W_in != 0)).sum() + (spec.mask_rec & (spec.W_rec != 0)).sum() + spec.n_rec)
    monkeypatch.setattr(simulation, "SYNAPSE_BUDGET", 491 * per_trial)
    assert simulation._default_batch(spec, 1000) == 334  # 3 networks of 334, not 491 + 491 + 18 padded to 491
    assert simulation._default_batch(spec, 491) == 491 and simulation._default_batch(spec, 492) == 246 and simulation._default_batch(spec, 5) == 5
