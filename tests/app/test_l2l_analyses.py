"""NeurIPS Fig. 2C/E/F analyses on a trained L2L run: the network's errors, the linear predictor on its
spikes (random split and online), and backprop on the target-network architecture."""

import numpy as np
import pytest

from lsnn.app.l2l import EpisodeErrors, backprop_errors, l2l_errors, linear_baselines, mean_step_traces
from lsnn.training.config import make_config
from lsnn.training.tasks.l2l import target_network, target_network_params
from lsnn.training.trainer import train


@pytest.fixture(scope="module")
def tiny_l2l(tmp_path_factory):
    run = tmp_path_factory.mktemp("l2l") / "run"
    train(make_config("l2l_target_nets", "sfa", "tiny"), run, progress=False)
    return run


def test_network_errors_and_the_linear_predictor_on_its_spikes(tiny_l2l):
    errors = l2l_errors(tiny_l2l, 4)
    assert errors.squared_error.shape == (4, 12) and errors.spikes.shape == (4, 240, 20)
    np.testing.assert_allclose(errors.squared_error, (errors.predictions - errors.targets) ** 2)
    baselines = linear_baselines(errors, n_test_steps=3, seed=5)
    assert baselines.split_mse.shape == (4,) and baselines.online_squared_error.shape == (4, 11)
    # the network is scored on the very steps the linear predictor is tested on
    rng = np.random.default_rng(5)
    for k in range(4):
        test = np.sort(rng.permutation(12)[:3])
        assert baselines.network_split_mse[k] == pytest.approx(errors.squared_error[k, test].mean())
    with pytest.raises(ValueError, match="two training steps"):
        linear_baselines(errors, n_test_steps=11)


def test_mean_step_traces_of_a_regular_train():
    """A neuron firing every 2 ms has a 20 ms exponential trace of about 500 Hz once it has built up."""
    spikes = np.zeros((400, 2))
    spikes[::2, 0] = 1
    traces = mean_step_traces(spikes, 1e-3, 0.02)
    assert traces.shape == (20, 2) and np.all(traces[:, 1] == 0)
    assert traces[-1, 0] == pytest.approx(500, rel=0.05)


def test_backprop_on_the_target_network_architecture_learns_online():
    rng = np.random.default_rng(0)
    p = target_network_params(rng, 3)
    x = rng.uniform(-1, 1, (3, 300, 2))
    y = target_network(p, x)
    errors = EpisodeErrors(np.zeros_like(y), np.zeros_like(y), y, x, np.zeros((3, 1, 1)), 0.02, {})
    bp = backprop_errors(errors)
    assert bp.shape == (3, 300) and np.all(bp >= 0)
    assert bp[:, -100:].mean() < 0.5 * bp[:, :20].mean()  # it learns: late errors well below the first ones
    np.testing.assert_array_equal(bp, backprop_errors(errors))  # seeded
    with pytest.raises(ValueError, match="2 inputs"):
        backprop_errors(EpisodeErrors(y, y, y, x[..., :1], x, 0.02, {}))


def test_other_runs_are_refused(tmp_path):
    train(make_config("store_recall", "sfa", "tiny"), tmp_path / "sr", progress=False)
    with pytest.raises(ValueError, match="l2l_target_nets"):
        l2l_errors(tmp_path / "sr")


def test_tiny_l2l_reproduction_tabulates_against_the_paper_and_validates(tmp_path, cli):
    rc, out, _ = cli.run("reproduce", "neurips-l2l", "--preset", "tiny", "--device", "cython", "--out", tmp_path, "--no-progress")
    assert rc == 0, out
    import pandas as pd

    frame = pd.read_csv(tmp_path / "neurips-l2l_runs.csv")
    assert list(frame.family) == ["target_nets", "sines"] and list(frame.paper_mse) == [0.0056, 0.3134]
    assert list(frame.paper_linear_mse) == [0.0217, 1.4592] and (frame.identical_trials == frame.validated_trials).all()
    assert (frame.validated_trials == 2).all() and frame.backprop_mse.notna().tolist() == [True, False]
    saved = np.load(tmp_path / "runs" / "target_nets-s0" / "l2l_errors.npz")
    assert saved["network"].shape == (8, 12) and saved["linear_online"].shape == (8, 11) and saved["backprop"].shape == (8, 12)
    assert frame.mse.iloc[0] == pytest.approx(saved["network"].mean())
    text = (tmp_path / "neurips-l2l.md").read_text()
    assert "0.0056 +- 0.0039" in text and "1.4592 +- 1.2958" in text and "| target_nets |" in text
    cli.error("reproduce", "neurips-l2l", "--preset", "tiny", "--models", "sfa", "--out", tmp_path, match="do not apply")
    rc, out, _ = cli.run("reproduce", "neurips-l2l", "--preset", "tiny", "--rows", "sines", "--device", "cython", "--out", tmp_path / "one",
                         "--no-progress")
    assert rc == 0 and list(pd.read_csv(tmp_path / "one" / "neurips-l2l_runs.csv").family) == ["sines"]
    rc, out, _ = cli.run("figures", tmp_path)
    drawn = {p.name for p in (tmp_path / "figures").iterdir()}
    assert rc == 0 and drawn == {f"{f}-s0_{kind}.png" for f in ("target_nets", "sines") for kind in ("step_errors", "learning_curve", "episode")} | {
        "target_nets-s0_internal_model.png", "sines-s0_sine_prior.png"}


def test_internal_model_is_the_continuation_of_the_episode(tiny_l2l):
    """Probing forks the network's state: a probe step continues exactly the history of the examples shown.
    With one probe per fork and the same input spikes, the forked answer equals that of running the whole
    sequence (examples, then the probe) straight through; and the k = 0 answer ignores every example."""
    import torch

    from lsnn.app.l2l import internal_model, target_network_slice
    from lsnn.training.model import LSNN
    from lsnn.training.runs import load_run

    trained = load_run(tiny_l2l)
    task, L = trained.task, trained.task.step_steps
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (6, 2))
    targets = rng.uniform(0, 1, 6)
    probes = np.array([[0.3, -0.2]])
    m = internal_model(tiny_l2l, x, targets, probes, np.zeros(1), [0, 4], seed=3, repeats=1)
    # the same draws: examples first, then the probe inputs of k = 0 and k = 4, in internal_model's order
    rng = np.random.default_rng(3)
    shown = task.encode(rng, x[None], np.concatenate([[0.0], targets[:-1]])[None])[0]
    probe0 = task.encode(rng, probes[None], np.zeros((1, 1)))[0]
    probe4 = task.encode(rng, probes[None], np.full((1, 1), targets[3]))[0]
    net = LSNN.from_spec(trained.spec, dtype=torch.float64)
    with torch.no_grad():
        straight = net(np.concatenate([shown[: 4 * L], probe4])[None].astype(np.float64))
        first = net(probe0[None].astype(np.float64))
    assert m.predictions[1, 0] == pytest.approx(float(straight.outputs[0, 4 * L :, 0].mean()), abs=1e-12)
    assert m.predictions[0, 0] == pytest.approx(float(first.outputs[0, :, 0].mean()), abs=1e-12)
    with pytest.raises(ValueError, match="after must lie in 0..6 examples"):
        internal_model(tiny_l2l, x, targets, probes, np.zeros(1), [7])
    tn = target_network_slice(tiny_l2l, n_probes=5, after=(0, 2, 5))
    assert tn.predictions.shape == (3, 5) and np.all((tn.truth >= 0) & (tn.truth <= 1))
