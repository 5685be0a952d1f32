"""The trainer: run folder, determinism, bit-identical resume, DEEP R runs, export, command line."""

import json

import numpy as np
import pytest
import torch

from lsnn.models import NetworkSpec, simulate
from lsnn.training import LSNN
from lsnn.training.config import make_config
from lsnn.training.trainer import RunError, build_model, build_task, load_checkpoint, train


def _tiny(**overrides):
    return make_config("store_recall", "sfa", "tiny", overrides)


def _metrics(run_dir):
    lines = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    for line in lines:
        line.pop("time_s")
    return lines


def test_training_writes_a_complete_run_folder(tmp_path):
    result = train(_tiny(), tmp_path / "run", progress=False)
    run = tmp_path / "run"
    assert result["finished"] and {p.name for p in run.iterdir()} >= {"config.json", "metrics.jsonl", "checkpoint.pt", "test.json", "network.npz"}
    metrics = _metrics(run)
    assert [m["iteration"] for m in metrics] == list(range(6))
    assert all(np.isfinite(m["loss"]) and 0 <= m["accuracy"] <= 1 and m["rate_hz"] > 0 for m in metrics)
    state = load_checkpoint(run / "checkpoint.pt")  # weights_only=True
    assert state["iteration"] == 6
    spec = NetworkSpec.load(run / "network.npz")
    assert spec.meta["config"] == _tiny().to_dict() and spec.meta["task"]["name"] == "store_recall"
    assert spec.meta["seed"] == 0 and spec.meta["git_commit"] and spec.meta["test"]["n_trials"] == 32
    assert 0 <= result["test"]["accuracy"] <= 1
    # the exported network is the trained module
    assert torch.equal(torch.as_tensor(spec.W_rec, dtype=torch.float32), state["model"]["W_rec"] * state["model"]["mask_rec"])


def test_same_seed_gives_the_same_weights_and_another_seed_does_not(tmp_path):
    specs = []
    for name, seed in (("a", 0), ("b", 0), ("c", 1)):
        train(_tiny(seed=seed), tmp_path / name, progress=False)
        specs.append(NetworkSpec.load(tmp_path / name / "network.npz"))
    np.testing.assert_array_equal(specs[0].W_rec, specs[1].W_rec)
    assert not np.array_equal(specs[0].W_rec, specs[2].W_rec)


def test_resume_after_interruption_is_bit_identical(tmp_path):
    cfg = _tiny(n_iterations=7, checkpoint_every=2)
    train(cfg, tmp_path / "full", progress=False)
    partial = train(cfg, tmp_path / "cut", progress=False, max_iterations=5)  # killed after 5: checkpoint at 4
    assert not partial["finished"] and load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["iteration"] == 4
    assert len(_metrics(tmp_path / "cut")) == 5
    train(cfg, tmp_path / "cut", resume=True, progress=False)
    full, cut = (load_checkpoint(tmp_path / d / "checkpoint.pt") for d in ("full", "cut"))
    for key in full["model"]:
        assert torch.equal(full["model"][key], cut["model"][key]), key
    assert _metrics(tmp_path / "full") == _metrics(tmp_path / "cut")
    # the training clock continues across the sessions: time_s never goes back, the test reports the total
    times = [json.loads(line)["time_s"] for line in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert times == sorted(times) and json.loads((tmp_path / "cut" / "test.json").read_text())["train_time_s"] >= times[-1]


def test_run_folder_misuse_is_refused_without_losing_anything(tmp_path):
    run = tmp_path / "run"
    train(_tiny(), run, progress=False)
    before = (run / "network.npz").read_bytes()
    with pytest.raises(RunError, match="--resume"):
        train(_tiny(), run, progress=False)
    with pytest.raises(RunError, match="another configuration"):
        train(_tiny(lr=0.02), run, resume=True, progress=False)
    assert train(_tiny(), run, resume=True, progress=False)["finished"]  # finished run: reused
    assert (run / "network.npz").read_bytes() == before
    (run / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RunError, match="unreadable"):
        train(_tiny(), run, resume=True, progress=False)


def test_deep_r_training_of_an_ei_network_exports_a_valid_sparse_spec(tmp_path):
    cfg = _tiny(connectivity=0.3, dale=True, n_iterations=8)
    train(cfg, tmp_path / "run", progress=False)
    metrics = _metrics(tmp_path / "run")
    assert len({m["active"] for m in metrics}) == 1  # constant number of connections
    spec = NetworkSpec.load(tmp_path / "run" / "network.npz")  # validates Dale's law and masks
    total = spec.mask_in.size + spec.mask_rec.size - spec.n_rec + spec.mask_out.size
    n_active = spec.mask_in.sum() + spec.mask_rec.sum() + spec.mask_out.sum()
    assert n_active == metrics[0]["active"] and abs(n_active / total - 0.3) < 0.02
    assert set(np.unique(spec.sign)) == {-1, 1}


def test_trained_network_runs_spike_for_spike_in_brian2(tmp_path):
    cfg = _tiny(model="sfa")
    train(cfg, tmp_path / "run", progress=False)
    spec = NetworkSpec.load(tmp_path / "run" / "network.npz")
    batch = build_task(cfg).sample(np.random.default_rng(3), 2)
    with torch.no_grad():
        out = LSNN.from_spec(spec)(batch.x)
    res = simulate(spec, batch.x, device="numpy")
    assert out.spikes.sum() > 10
    np.testing.assert_array_equal(res.spikes, out.spikes.numpy())
    np.testing.assert_allclose(res.outputs, out.outputs.numpy(), atol=1e-9)


def test_command_line_trains_and_reuses(tmp_path, cli):
    args = ["train", "--task", "delayed_xor", "--model", "lif", "--preset", "tiny", "--run-dir", tmp_path / "r", "--no-progress"]
    rc, out, _ = cli.run(*args)
    assert rc == 0 and "test:" in out
    cli.error(*args, match="--resume")
    assert cli.run(*args, "--resume")[0] == 0
    cli.error(*args, "--set", "n_layers=3", match="unknown configuration keys")
    spec = NetworkSpec.load(tmp_path / "r" / "network.npz")
    assert spec.input_kind == "analog" and np.all(spec.beta == 0)


def test_gradient_norm_is_accumulated_in_float64_and_clipped():
    from lsnn.training.trainer import clip_gradient_norm

    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(1))
    a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([4.0])
    assert clip_gradient_norm([a, b], None) == 5.0 and a.grad[0] == 3.0  # measured, untouched
    assert clip_gradient_norm([a, b], 1.0) == 5.0
    torch.testing.assert_close(a.grad, torch.tensor([0.6, 0.0]))
    a.grad, b.grad = torch.full((2,), 1e20), torch.full((1,), 1e20)  # squares overflow float32
    assert clip_gradient_norm([a, b], 1.0) == pytest.approx(np.sqrt(3) * 1e20)
    assert torch.isfinite(a.grad).all() and float(torch.cat([a.grad, b.grad]).norm()) == pytest.approx(1.0)


def test_long_episode_presets_floor_tau_a_where_the_gradient_explodes():
    cfg = make_config("duplication_reversal", "sfa", "quick")
    assert cfg.tau_a_min == 0.03 and make_config("12ax", "sfa", "paper").tau_a_min == 0.03
    net = build_model(cfg, build_task(cfg))
    adaptive = net.beta > 0
    assert net.tau_a[adaptive].min() >= 0.03 and net.tau_a[adaptive].max() <= 6.0
    assert make_config("store_recall", "sfa", "quick").tau_a_min == 1e-6  # Table 1's spreads unchanged


def test_a_run_folder_in_use_by_another_process_is_refused(tmp_path):
    import fcntl

    run = tmp_path / "run"
    run.mkdir()
    with open(run / ".lock", "w") as other:  # another process (a second descriptor) holds the lock
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(RunError, match="being trained by another process"):
            train(_tiny(), run, progress=False)
    assert not (run / "config.json").exists()  # nothing written
    train(_tiny(n_iterations=2), run, progress=False)  # free again


def test_evaluation_in_chunks_of_trials_answers_as_the_whole_batch(monkeypatch):
    """Long test batches run in chunks of trials (memory); the answers, spikes and per-trial results are unchanged."""
    from lsnn.training import trainer
    from lsnn.training.trainer import evaluate

    cfg = make_config("store_recall", "sfa", "tiny", {"dtype": "float64"})
    task = build_task(cfg)
    net = build_model(cfg, task)
    whole = evaluate(net, task, 12, 12, 5, per_trial=True, current_noise=0.02)
    monkeypatch.setattr(trainer, "EVAL_CHUNK_BYTES", 1)  # one trial per chunk
    chunked = evaluate(net, task, 12, 12, 5, per_trial=True, current_noise=0.02)
    assert chunked == whole and whole["rate_hz"] > 0
