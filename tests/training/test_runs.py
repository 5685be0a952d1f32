"""The run folder (lsnn.training.runs): lock, atomic files, provenance, held-out trials, validation reuse."""

import json
import os

import numpy as np
import pytest
import torch

from lsnn.common.files import TMP_SUFFIX, atomic_write_text
from lsnn.models import NetworkSpec, SpecError
from lsnn.training.config import make_config
from lsnn.training.runs import (RunError, held_out_batches, load_run, reusable_validation, run_lock, validation_key,
                                write_json)
from lsnn.training.trainer import build_task, train


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "sr"
    train(make_config("store_recall", "sfa", "tiny"), run, progress=False)
    return run


def test_the_lock_never_writes_through_a_symbolic_link(tmp_path):
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").symlink_to(target)
    with pytest.raises(RunError, match="symbolic link"):
        with run_lock(run):
            pass
    assert target.read_text() == "keep me"


def test_stale_temporaries_of_killed_writes_are_removed_under_the_lock(tmp_path):
    stale = tmp_path / f".metrics.jsonl.abc123{TMP_SUFFIX}.jsonl"
    stale.write_text("half")
    keep = tmp_path / "notes.tmp"
    keep.write_text("not ours")
    with run_lock(tmp_path):
        pass
    assert not stale.exists() and keep.exists()


def test_outputs_are_readable_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "a.txt", "x")
        write_json(tmp_path / "b.json", {"v": float("nan")})
    finally:
        os.umask(old)
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)
    assert json.loads((tmp_path / "b.json").read_text()) == {"v": None}  # strict JSON: no bare NaN


def test_training_writes_provenance_and_leaves_the_global_generator_alone(tmp_path):
    state = torch.random.get_rng_state()
    train(make_config("store_recall", "sfa", "tiny", {"n_iterations": 2}), tmp_path / "run", progress=False)
    assert torch.equal(torch.random.get_rng_state(), state)  # no global torch seeding
    meta = NetworkSpec.load(tmp_path / "run" / "network.npz").meta
    assert meta["lsnn_version"] and meta["git_commit"] and meta["torch"] == torch.__version__ and meta["numpy"] == np.__version__


def test_held_out_batches_refuse_sizes_that_would_never_end():
    task = build_task(make_config("store_recall", "sfa", "tiny"))
    with pytest.raises(ValueError, match="batch size >= 1"):
        next(held_out_batches(task, 32, 0, 0))


def test_a_network_whose_dt_differs_from_its_task_is_refused(finished_run, tmp_path):
    spec = NetworkSpec.load(finished_run / "network.npz")
    other = tmp_path / "other"
    other.mkdir()
    spec.copy(dt=2e-3).save(other / "network.npz")
    with pytest.raises(SpecError, match="differs from the task's dt"):
        load_run(other)


def test_a_validation_is_reused_only_for_the_same_device_dtype_trials_and_network(finished_run, tmp_path):
    key = validation_key(finished_run, "numpy", "float64", 4)
    write_json(finished_run / "validation.json", {"key": key, "n_trials": 4})
    assert reusable_validation(finished_run, "numpy", "float64", 4) is not None
    assert reusable_validation(finished_run, "cython", "float64", 4) is None
    assert reusable_validation(finished_run, "numpy", "float32", 4) is None
    assert reusable_validation(finished_run, "numpy", "float64", 8) is None
    assert reusable_validation(finished_run, "numpy", "float64", 4, need_rasters=True) is None  # no NWB rasters
    spec = NetworkSpec.load(finished_run / "network.npz")
    spec.copy(b_out=spec.b_out + 1e-3).save(finished_run / "network.npz")  # another network in the same folder
    assert reusable_validation(finished_run, "numpy", "float64", 4) is None


def test_dale_without_rewiring_keeps_every_sign_and_exports(tmp_path):
    cfg = make_config("store_recall", "sfa", "tiny", {"dale": True, "n_iterations": 8, "lr": 0.05})
    train(cfg, tmp_path / "run", progress=False)
    spec = NetworkSpec.load(tmp_path / "run" / "network.npz")  # validates Dale's law
    assert set(np.unique(spec.sign)) == {-1, 1}
    assert np.all(spec.W_rec * spec.sign[None, :] >= 0) and np.all(spec.W_out * spec.sign[None, :] >= 0)
    metrics = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert sum(m["sign_zeroed"] for m in metrics) > 0  # signs were really at stake: some weights crossed zero


def test_a_checkpoint_of_another_network_is_refused_with_the_file_named(finished_run, tmp_path):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(finished_run, run)
    (run / "network.npz").unlink()
    (run / "test.json").unlink()
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    state["model"]["W_rec"] = torch.zeros(3, 3)
    torch.save(state, run / "checkpoint.pt")
    with pytest.raises(RunError, match="checkpoint.pt does not fit this run's network"):
        train(make_config("store_recall", "sfa", "tiny"), run, resume=True, progress=False)


def test_a_finished_run_on_a_read_only_file_system_is_reused_without_writing(finished_run, monkeypatch):
    """No lock can be created there (EROFS) and nothing is written: the finished run is still read."""
    import errno

    import lsnn.training.runs as runs

    def read_only(path):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(runs, "open_lock_file", read_only)
    monkeypatch.setattr(runs.os, "access", lambda path, mode: False)
    before = {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()}
    result = train(make_config("store_recall", "sfa", "tiny"), finished_run, resume=True, progress=False)
    assert result["finished"] and result["test"]["n_trials"] == 32
    assert {p.name: p.stat().st_mtime_ns for p in finished_run.iterdir()} == before
