"""The run folder: everything ``lsnn train``, ``lsnn validate`` and the pipelines read and write in it.

Layout (``runs/<task>-<model>-<preset>-s<seed>/`` by default)::

    config.json               the resolved TrainConfig
    metrics.jsonl             one JSON line per iteration (loss, accuracy, firing rate, lr, time)
    checkpoint.pt             model + optimizer state, iteration (torch.save of plain tensors and numbers)
    test.json                 held-out test metrics (``n_test`` trials drawn from ``test_seed``)
    network.npz               the trained network as a NetworkSpec, provenance in ``meta``
    baseline.pt               instead of network.npz for the LSTM / tanh-RNN baselines
    validation.json           Brian2 vs PyTorch on held-out trials (lsnn validate)
    validation_rasters.nwb    the Brian2 rasters of that validation, trial conditions annotated
    .lock                     held (flock) by the process that trains in the folder

Every file is written atomically (:mod:`lsnn.common.files`); the lock never follows a symbolic link.
The held-out trials of a run are drawn by :func:`held_out_batches` from ``test_seed`` alone, so the
trainer's evaluation, the Brian2 validation and every figure of held-out trials see the same trials.
A validation is reused only when :func:`validation_key` -- device, dtype, number of trials and the
network file's content -- matches (:func:`reusable_validation`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import platform
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from lsnn.common.files import atomic_path, atomic_write_text, open_lock_file, remove_stale_temporaries
from lsnn.common.jsonsafe import dumps
from lsnn.common.version import __version__, git_commit
from lsnn.models.spec import NetworkSpec, SpecError

from .config import TrainConfig

CONFIG, METRICS, CHECKPOINT, TEST = "config.json", "metrics.jsonl", "checkpoint.pt", "test.json"
NETWORK, BASELINE = "network.npz", "baseline.pt"
VALIDATION, VALIDATION_RASTERS, LOCK = "validation.json", "validation_rasters.nwb", ".lock"


class RunError(RuntimeError):
    """A run folder cannot be used as asked (exists with another config, corrupt checkpoint, busy, ...)."""


class TrainedRun(NamedTuple):
    """A finished run: its network, training configuration and task."""

    spec: NetworkSpec
    cfg: TrainConfig
    task: Any  # lsnn.training.tasks.Task


# --------------------------------------------------------------------------------------------- files
def write_json(path: str | os.PathLike, value: Any) -> Path:
    """Strict JSON (no bare NaN), written atomically."""
    return atomic_write_text(path, dumps(value, indent=2) + "\n")


@contextlib.contextmanager
def run_lock(run_dir: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``run_dir`` (file ``.lock``, released when the process ends): two
    processes training into one folder would interleave checkpoints and metrics. Under the lock,
    temporary files of writes that a killed process left behind are removed."""
    run_dir = Path(run_dir)
    try:
        fd = open_lock_file(run_dir / LOCK)
    except OSError as exc:
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and not os.access(run_dir, os.W_OK):
            # a read-only folder (a finished run on a read-only file system): nobody can write into it,
            # so no lock is needed; anything that would write fails with the file named
            yield
            return
        raise RunError(f"cannot lock {run_dir}: {exc.strerror or exc}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise RunError(f"{run_dir} is being trained by another process; wait for it or choose another run folder.") from None
        remove_stale_temporaries(run_dir)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """``torch.save(state)`` atomically (a kill never leaves a half-written checkpoint)."""
    import torch

    with atomic_path(path) as tmp:
        torch.save(state, tmp)


@contextlib.contextmanager
def stop_requests() -> Iterator[Callable[[], bool]]:
    """Hold SIGINT (Ctrl-C) and SIGTERM (``kill``, a batch system's preemption) until the end of an iteration.

    Yields a function that says whether a stop was asked for: the training loop reads it after each iteration,
    checkpoints that iteration and stops (:class:`KeyboardInterrupt`), so an interrupted run loses nothing and
    resumes where it stopped. A second signal stops at once (the last checkpoint is kept). A signal that the
    process ignores (SIGINT of a background job started from a script) stays ignored. Outside the main thread
    (where Python cannot install handlers) signals act as usual.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return

    def request_stop(signum: int, frame: Any) -> None:
        received.append(signum)
        if len(received) > 1:
            raise KeyboardInterrupt

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, request_stop)
    try:
        yield lambda: bool(received)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def load_checkpoint(path: str | os.PathLike, required: tuple[str, ...] = ()) -> dict[str, Any]:
    """Read a checkpoint with ``weights_only=True`` (plain tensors and numbers, never arbitrary pickles).

    Raises :class:`RunError` naming the file when it is unreadable or lacks one of ``required``."""
    import torch

    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
        reason = str(exc).splitlines()[0][:160] if str(exc) else ""
        raise RunError(f"checkpoint {path} is unreadable ({exc.__class__.__name__}: {reason}); delete it to restart the run.") from None
    if not isinstance(state, dict) or any(key not in state for key in required):
        missing = [key for key in required if not isinstance(state, dict) or key not in state]
        raise RunError(f"checkpoint {path} lacks {missing}; it was not written by lsnn train. Delete it to restart the run.")
    return state


def provenance() -> dict[str, str]:
    """Versions of what made a run: lsnn, its git commit, torch, numpy, Python."""
    import torch

    return {"lsnn_version": __version__, "git_commit": git_commit(), "torch": str(torch.__version__), "numpy": np.__version__,
            "python": platform.python_version()}


# --------------------------------------------------------------------------------------------- runs
def read_config(run_dir: str | os.PathLike) -> TrainConfig:
    """The configuration of a run folder (``config.json``); :class:`RunError` when absent or invalid."""
    path = Path(run_dir) / CONFIG
    if not path.is_file():
        raise RunError(f"{run_dir} holds no {CONFIG}: it is not a run folder of lsnn train.")
    try:
        return TrainConfig.from_dict(json.loads(path.read_text()))
    except (ValueError, TypeError) as exc:
        raise RunError(f"{path} is not a valid configuration ({exc}).") from None


def load_run(run_dir: str | os.PathLike) -> TrainedRun:
    """The trained network of a finished run folder, its training configuration and its task."""
    from .trainer import build_task

    run_dir = Path(run_dir)
    network_path = run_dir / NETWORK
    if (run_dir / BASELINE).is_file():
        raise ValueError(f"{run_dir} is an ANN baseline (LSTM / tanh-RNN): it has no spiking network to simulate in Brian2.")
    if not network_path.is_file():
        raise FileNotFoundError(f"{network_path} does not exist; train the run to completion first (lsnn train ... --resume).")
    spec = NetworkSpec.load(network_path)
    if "config" not in spec.meta:
        raise ValueError(f"{network_path} carries no training configuration in its provenance; it was not written by lsnn train.")
    try:
        cfg = TrainConfig.from_dict(spec.meta["config"])
    except (ValueError, TypeError) as exc:
        raise SpecError(f"{network_path}: meta.config is not a valid training configuration ({exc}).") from None
    task = build_task(cfg)
    if abs(task.dt - spec.dt) > 1e-12:
        raise SpecError(f"{network_path}: dt = {spec.dt:g} s differs from the task's dt = {task.dt:g} s; the network does not belong to this task.")
    return TrainedRun(spec, cfg, task)


def held_out_batches(task, n_test: int, batch_size: int, seed: int) -> Iterator:
    """The held-out test set as the trainer draws it: ``task.held_out().held_out_batches(n_test,
    batch_size, seed)`` (:meth:`lsnn.training.tasks.Task.held_out_batches`; by default batches drawn from
    ``default_rng([seed, 2])``, the test digits in order for sequential MNIST). Evaluation, validation and
    figures of held-out trials all read it from here."""
    if int(n_test) < 1 or int(batch_size) < 1:
        raise ValueError(f"the held-out set needs n_test >= 1 and a batch size >= 1; got n_test = {n_test}, batch size = {batch_size}.")
    return task.held_out().held_out_batches(int(n_test), int(batch_size), seed)


def held_out_set(cfg: TrainConfig, task, n_trials: int | None = None):
    """The first ``n_trials`` (default ``cfg.n_test``) trials of the run's held-out set, as one TaskBatch."""
    from .tasks import TaskBatch

    n_total = cfg.n_test if n_trials is None else int(n_trials)
    if n_total < 1:
        raise ValueError(f"the number of held-out trials must be at least 1; got {n_total}.")
    parts: list = []
    batches = held_out_batches(task, cfg.n_test, cfg.test_batch, cfg.test_seed)
    while sum(p.n_trials for p in parts) < n_total:
        parts.append(next(batches))
    x = np.concatenate([p.x for p in parts])[:n_total]
    labels = np.concatenate([p.labels for p in parts])[:n_total]
    conditions = {k: np.concatenate([p.conditions[k] for p in parts])[:n_total] for k in parts[0].conditions}
    return TaskBatch(x, labels, parts[0].windows, conditions, parts[0].phases)


# --------------------------------------------------------------------------------------- validation
def network_digest(run_dir: str | os.PathLike) -> str:
    """SHA-256 of the run's ``network.npz`` (the network a validation is about)."""
    h = hashlib.sha256()
    with open(Path(run_dir) / NETWORK, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def validation_key(run_dir: str | os.PathLike, device: str, dtype: str, n_trials: int) -> dict[str, Any]:
    """What a validation is a validation *of*: device, dtype, number of held-out trials and the network's content."""
    return {"device": device, "dtype": dtype, "n_trials": int(n_trials), "network_sha256": network_digest(run_dir)}


def reusable_validation(run_dir: str | os.PathLike, device: str, dtype: str, n_trials: int, need_rasters: bool = False) -> dict | None:
    """The run's ``validation.json`` if it validated exactly this (:func:`validation_key`), else None."""
    path = Path(run_dir) / VALIDATION
    if not path.is_file() or (need_rasters and not (Path(run_dir) / VALIDATION_RASTERS).is_file()):
        return None
    try:
        report = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(report, dict) or report.get("key") != validation_key(run_dir, device, dtype, n_trials):
        return None
    return report
