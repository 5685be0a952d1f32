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


def _metrics_lines(run_dir):
    path = run_dir / "metrics.jsonl"
    return path.read_text().splitlines() if path.exists() else []


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


def test_a_stop_signal_checkpoints_the_last_iteration_and_the_run_resumes_bit_identically(tmp_path, monkeypatch):
    """SIGTERM (or Ctrl-C) during an iteration is taken at its end: that iteration is checkpointed, although
    ``checkpoint_every`` is not due, and the resumed run ends with the uninterrupted run's weights and metrics."""
    import os
    import signal

    from lsnn.training import trainer

    cfg = _tiny(n_iterations=7, checkpoint_every=100)
    train(cfg, tmp_path / "full", progress=False)
    step = trainer.train_step

    def step_then_signal(*args, **kwargs):
        record = step(*args, **kwargs)
        if len(_metrics_lines(tmp_path / "cut")) == 3:  # during the fourth iteration
            os.kill(os.getpid(), signal.SIGTERM)
        return record

    monkeypatch.setattr(trainer, "train_step", step_then_signal)
    with pytest.raises(KeyboardInterrupt, match="after iteration 3"):
        train(cfg, tmp_path / "cut", progress=False)
    monkeypatch.setattr(trainer, "train_step", step)
    assert load_checkpoint(tmp_path / "cut" / "checkpoint.pt")["iteration"] == 4 and len(_metrics(tmp_path / "cut")) == 4
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handlers are put back
    train(cfg, tmp_path / "cut", resume=True, progress=False)
    full, cut = (load_checkpoint(tmp_path / d / "checkpoint.pt") for d in ("full", "cut"))
    for key in full["model"]:
        assert torch.equal(full["model"][key], cut["model"][key]), key
    assert _metrics(tmp_path / "full") == _metrics(tmp_path / "cut")


def test_lsnn_train_stopped_by_sigterm_exits_130_with_its_last_iteration_checkpointed(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "lsnn.app.cli", "train", "--task", "store_recall", "--preset", "tiny", "--set",
                             "n_iterations=100000", "--set", "checkpoint_every=100000", "--run-dir", str(run), "--no-progress"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(_metrics_lines(run)) < 5 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1].startswith("lsnn train: interrupted (stopped after iteration") and "Traceback" not in err
    n_logged = len(_metrics_lines(run))
    assert n_logged >= 5 and load_checkpoint(run / "checkpoint.pt")["iteration"] == n_logged


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


def test_per_synapse_recurrent_delays_train_and_run_spike_for_spike_in_brian2(tmp_path):
    """``d_rec_max``: one delay per recurrent synapse drawn from {d_rec, ..., d_rec_max} (the NeurIPS TIMIT network's
    {1, 2} ms), drawn after everything else, so the rest of the network is that of one delay; exported in the spec."""
    one, two = _tiny(connectivity=0.5, dale=True), _tiny(connectivity=0.5, dale=True, d_rec_max=2)
    task = build_task(one)
    net_one, net_two = build_model(one, task), build_model(two, task)
    assert set(np.unique(net_one.d_rec.numpy())) == {1} and set(np.unique(net_two.d_rec.numpy())) == {1, 2}
    for name in ("W_in", "W_rec", "W_out", "mask_rec", "tau_a", "sign"):
        torch.testing.assert_close(getattr(net_one, name), getattr(net_two, name), rtol=0, atol=0)
    assert abs((net_two.d_rec == 2).double().mean().item() - 0.5) < 0.1
    train(two.replace(dtype="float64", n_iterations=6), tmp_path / "run", progress=False)
    spec = NetworkSpec.load(tmp_path / "run" / "network.npz")
    assert set(np.unique(spec.d_rec[spec.mask_rec])) == {1, 2}
    batch = build_task(two).sample(np.random.default_rng(3), 2)
    with torch.no_grad():
        out = LSNN.from_spec(spec)(torch.as_tensor(batch.x, dtype=torch.float64))
    res = simulate(spec, batch.x, device="numpy")
    assert out.spikes.sum() > 10
    np.testing.assert_array_equal(res.spikes, out.spikes.numpy())
    np.testing.assert_allclose(res.outputs, out.outputs.numpy(), atol=1e-9)
    with pytest.raises(ValueError, match="d_rec_max"):
        _tiny(d_rec=3, d_rec_max=2)
    with pytest.raises(ValueError, match="task_params.max_delay"):  # meta-RL draws its own delays: refused, not ignored
        make_config("metarl_navigation", "sfa", "tiny", {"d_rec_max": 2})
    assert make_config("timit", "sfa", "paper").d_rec_max == 2 and make_config("timit", "sfa", "quick").d_rec_max is None


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
