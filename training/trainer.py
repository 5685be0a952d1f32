"""The trainer: ``train(config, run_dir)`` runs BPTT (+ DEEP R) on a task and writes a run folder.

The run folder and its files are those of :mod:`lsnn.training.runs`. The loop, top to bottom:
prepare the folder (:func:`prepare_run_folder`), build the task, the network and the optimizer, restore
the last checkpoint (:func:`restore`), then for every iteration draw the batch, call the pure
:func:`train_step` (forward, loss, backward, clipping, Adam step), rewire (DEEP R) or keep Dale's
signs, log, checkpoint; finally evaluate on the held-out set and export ``network.npz``
(:func:`finish`).

Determinism: the batch of iteration i is drawn from ``numpy.random.default_rng([seed, 1, i])`` and
DEEP R's randomness from a generator seeded with (seed, i); the learning rate is a pure function of
i; nothing reads or seeds torch's global generator. A resumed run therefore continues bit-identically
on the same CPU. Checkpoints are read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from lsnn.common.files import atomic_write_text
from lsnn.common.jsonsafe import dumps
from lsnn.models.spec import MAX_DT_OVER_TAU

from .baselines import KINDS as BASELINE_KINDS
from .baselines import ANNBaseline
from .config import RL_TASKS, STP_MODELS, TrainConfig
from .deep_r import DeepR
from .distributed import DataParallel, launched_by_torchrun, resolve_device
from .distributed import start as start_data_parallel
from .distributed import stop as stop_data_parallel
from .init import adaptation_time_constants, ei_weights, gaussian_weights, random_signs, sparse_mask
from .kernel import keep_freed_memory
from .kernel import load as load_kernel
from .model import LSNN
from .noise import held_out_noise, training_noise
from .regularizers import rate_deviation_loss, step_decay
from .runs import (BASELINE, CHECKPOINT, CONFIG, METRICS, NETWORK, TEST, RunError, held_out_batches, load_checkpoint,
                   provenance, read_config, run_lock, save_checkpoint, stop_requests, write_json)
from .tasks import TASKS, Task, TaskBatch, window_means

__all__ = ["RunError", "build_model", "build_task", "evaluate", "train", "train_step"]


def build_task(cfg: TrainConfig) -> Task:
    """The task object of ``cfg`` (``task`` name and ``task_params``)."""
    if cfg.task not in TASKS:
        raise ValueError(f"unknown task {cfg.task!r}; available: {sorted(TASKS)}")
    try:
        return TASKS[cfg.task].from_params(**cfg.task_params)
    except TypeError as exc:  # an unknown task parameter
        raise ValueError(f"task_params of {cfg.task}: {exc}") from None


def build_model(cfg: TrainConfig, task: Task) -> LSNN | ANNBaseline:
    """A freshly initialised LSNN for ``task`` (NeurIPS suppl. recipes; seeded by ``cfg.seed``), or,
    for ``model`` ``lstm`` / ``rnn``, the ANN baseline with ``baseline_hidden`` units or, when that is None,
    the same number of parameters."""
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    if cfg.model in BASELINE_KINDS:
        with torch.random.fork_rng(devices=[]):  # seeded initialisation, global generator restored afterwards
            torch.manual_seed(int(np.random.SeedSequence([cfg.seed, 0]).generate_state(1)[0]))
            if cfg.baseline_hidden is not None:
                return ANNBaseline(cfg.model, task.n_in, cfg.baseline_hidden, task.n_out, dt=task.dt, dtype=dtype)
            return ANNBaseline.matched(cfg.model, task.n_in, cfg.n_rec, task.n_out, dt=task.dt, dtype=dtype)
    rng = np.random.default_rng([cfg.seed, 0])
    n, n_in, n_out = cfg.n_rec, task.n_in, task.n_out
    n_adapt = int(round(cfg.frac_adaptive * n)) if cfg.model in ("sfa", "elif") else 0
    adaptive = np.zeros(n, dtype=bool)
    adaptive[rng.permutation(n)[:n_adapt]] = True
    beta = {"sfa": cfg.beta, "elif": -abs(cfg.beta)}.get(cfg.model, 0.0) * adaptive
    b0 = np.where(adaptive & (cfg.model == "elif"), cfg.elif_b0, cfg.b0)
    A_min = np.where(beta < 0, cfg.A_min, 0.0)
    # drawn time constants stay where exp(dt/tau_a) is finite (the spec's bound); only draws below 1.4 us at dt = 1 ms move
    tau_a = adaptation_time_constants(rng, n, cfg.tau_a, cfg.tau_a_distribution, floor=max(cfg.tau_a_min, task.dt / MAX_DT_OVER_TAU * (1 + 1e-9)))
    masks = {"mask_in": None, "mask_rec": None, "mask_out": None}
    sign = sign_in = None
    if cfg.dale:
        sign, sign_in = random_signs(rng, n, cfg.frac_excitatory), random_signs(rng, n_in, cfg.frac_excitatory)
        W_in, W_rec = ei_weights(rng, n, n_in, sign_in), ei_weights(rng, n, n, sign)
        W_out = np.abs(gaussian_weights(rng, n_out, n)) * sign[None, :]
    else:
        W_in, W_rec, W_out = gaussian_weights(rng, n, n_in), gaussian_weights(rng, n, n), gaussian_weights(rng, n_out, n)
    if cfg.connectivity is not None:
        masks = {"mask_in": sparse_mask(rng, (n, n_in), cfg.connectivity),
                 "mask_rec": sparse_mask(rng, (n, n), cfg.connectivity, forbid_diagonal=True),
                 "mask_out": sparse_mask(rng, (n_out, n), cfg.connectivity)}
    stp = {}
    if cfg.model in STP_MODELS:  # LIF neurons with STP recurrent synapses, time constants drawn per presynaptic neuron
        stp = {"stp_U": cfg.stp_U, "stp_F": rng.uniform(cfg.stp_F - cfg.stp_F_spread, cfg.stp_F + cfg.stp_F_spread, n),
               "stp_D": rng.uniform(cfg.stp_D - cfg.stp_D_spread, cfg.stp_D + cfg.stp_D_spread, n)}
    # per-synapse recurrent delays are drawn last, so that every other draw is that of a network with one delay
    d_rec = cfg.d_rec if cfg.d_rec_max is None else rng.integers(cfg.d_rec, cfg.d_rec_max + 1, (n, n))
    return LSNN(n_in, n, n_out, W_in=W_in, W_rec=W_rec, W_out=W_out, dt=task.dt, tau_m=cfg.tau_m, tau_a=tau_a,
                beta=beta, b0=b0, A_min=A_min, n_ref=cfg.n_ref, tau_out=cfg.tau_out, d_in=cfg.d_in, d_rec=d_rec,
                sign=sign, sign_in=sign_in, input_kind=task.input_kind, input_encoding=task.name, gamma=cfg.gamma,
                dtype=dtype, **masks, **stp)


def clip_gradient_norm(parameters, max_norm: float | None) -> float:
    """Global L2 norm of the gradients, accumulated in float64 (float32 gradients of 1e20 would overflow
    in the squares), and the gradients scaled down to ``max_norm`` when it is exceeded (None: no clipping)."""
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return 0.0
    norm = float(torch.stack([g.detach().double().pow(2).sum() for g in grads]).sum().sqrt())
    if max_norm is not None and np.isfinite(norm) and norm > max_norm:
        for g in grads:
            g.mul_(max_norm / norm)
    return norm


@torch.no_grad()
def keep_dale_signs(net: LSNN) -> int:
    """Dale's law without rewiring: set to 0 every weight whose sign left that of its presynaptic neuron
    (or input channel); the connection stays and may grow back with its own sign. Returns how many were
    zeroed. (With DEEP R the rewiring keeps the signs itself.)"""
    zeroed = 0
    for name, sign in (("W_in", net.sign_in), ("W_rec", net.sign), ("W_out", net.sign)):
        W = getattr(net, name)
        wrong = (W * sign.to(W.dtype)[None, :]) < 0
        zeroed += int(wrong.sum())
        W.masked_fill_(wrong, 0.0)
    return zeroed


def _generator(*key: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(np.random.SeedSequence(list(key)).generate_state(1, np.uint64)[0]))


def train_step(net: LSNN | ANNBaseline, optimizer: torch.optim.Optimizer, task: Task, batch: TaskBatch, cfg: TrainConfig,
               lr: float, i_ext: torch.Tensor | None = None, parallel: DataParallel | None = None,
               model: torch.nn.Module | None = None) -> dict[str, Any]:
    """One BPTT step on ``batch``: forward (memory-lean path), task loss + rate regulariser, backward,
    gradient norm (clipped to ``cfg.grad_clip``), Adam step at learning rate ``lr``. ``i_ext``: injected
    current (the iteration's noise, :mod:`lsnn.training.noise`). Returns the iteration's metrics; raises
    :class:`RuntimeError` on a non-finite loss or gradient, before the step.

    Data-parallel (``parallel``, ``model`` = ``net`` in DistributedDataParallel): ``batch`` is this rank's share;
    the task loss is weighted by the share's targets and the rates are averaged over the ranks, so that the
    averaged gradient equals the whole batch's (:mod:`lsnn.training.distributed`); metrics are the whole batch's."""
    for group in optimizer.param_groups:
        group["lr"] = lr
    forward = net if model is None else model
    # memory-lean path; spike counts instead of a (T, B, n) spike array: the rates are all the loss needs
    lean = {"record_state": False, "record_spikes": False}
    out = forward(batch.x, **lean) if i_ext is None else forward(batch.x, i_ext=i_ext, **lean)
    task_loss = task.loss(out.outputs, batch)
    weight, units = 1.0, None
    if parallel is not None:
        units = task.loss_units(batch)
        weight = parallel.world * units / parallel.total(units)
    if out.spike_counts is not None:
        n_samples = out.spike_counts.shape[0] * batch.x.shape[1]  # trials x steps
        rates = out.spike_counts.sum(dim=0) / n_samples  # spikes per step and neuron
        if parallel is not None:
            rates = parallel.mean(rates)
        rate_loss = rate_deviation_loss(rates, cfg.rate_target, net.dt)
    else:
        rate_loss = torch.zeros((), device=out.outputs.device)
    loss = weight * task_loss + cfg.rate_coefficient * rate_loss
    finite = bool(torch.isfinite(loss))
    if parallel is not None:  # every rank stops, or none (a rank alone in backward would wait forever)
        finite = parallel.total(0.0 if finite else 1.0) == 0.0
    if not finite:
        raise FloatingPointError(f"the loss is {loss.item()}")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = clip_gradient_norm(net.parameters(), cfg.grad_clip)
    if not np.isfinite(grad_norm):
        raise FloatingPointError(f"the gradient is not finite (norm {grad_norm})")
    optimizer.step()
    record = {"task_loss": task_loss.item(), **task.metrics(out.outputs, batch)}
    if parallel is not None:
        record = parallel.weighted_metrics(record, units)
    spikes_per_step = None if out.spike_counts is None else rates.detach().mean().item()
    record["rate_hz"] = None if spikes_per_step is None else spikes_per_step / net.dt
    rate_value = rate_loss.item()
    total = loss.item() if parallel is None else record["task_loss"] + cfg.rate_coefficient * rate_value  # the whole batch's
    return {"loss": total, "task_loss": record.pop("task_loss"), "rate_loss": rate_value, "grad_norm": grad_norm, **record, "lr": lr}


#: Bytes of one (trials, steps, neurons) tensor of a test batch above which :func:`evaluate` runs the batch in chunks
#: of trials: a batch of 256 STORE-RECALL trials of 24 s (Table 1, 16 s delay) would otherwise hold about 10 GB.
EVAL_CHUNK_BYTES = 256 * 2**20


def _outputs_in_chunks(net, x: np.ndarray, current_noise: float, seed: int, first: int) -> tuple[torch.Tensor, float | None]:
    """The outputs (B, T, n_out) of the held-out batch ``x`` (trials ``first ..``) and its number of spikes (None for
    an ANN baseline), the network run without recording potentials and thresholds, on chunks of trials whose (trials,
    steps, neurons) tensors stay under :data:`EVAL_CHUNK_BYTES`; each chunk draws its own trials' held-out noise
    current (keyed by trial, :func:`~lsnn.training.noise.held_out_noise`). Trials are independent, so the chunks
    give the whole batch's answers."""
    itemsize = torch.empty((), dtype=net.dtype if isinstance(net, LSNN) else torch.float32).element_size()
    width = max(x.shape[2], getattr(net, "n_rec", 1))
    chunk = max(1, EVAL_CHUNK_BYTES // (x.shape[1] * width * itemsize))
    outputs, spikes = [], None
    for k in range(0, len(x), chunk):
        part = x[k : k + chunk]
        noise = held_out_noise(current_noise, seed, first + k, len(part), x.shape[1], net.n_rec) if current_noise else None
        out = net(part, i_ext=noise, record_state=False, record_spikes=False)  # counts suffice for the rate
        outputs.append(out.outputs)
        if out.spike_counts is not None:
            spikes = (spikes or 0.0) + float(out.spike_counts.sum())
    return (outputs[0] if len(outputs) == 1 else torch.cat(outputs)), spikes


@torch.no_grad()
def evaluate(net: LSNN, task: Task, n_trials: int, batch_size: int, seed: int, progress: bool = False,
             per_trial: bool = False, current_noise: float = 0.0) -> dict[str, Any]:
    """Task metrics and mean firing rate on ``n_trials`` held-out trials drawn from ``seed``, with the held-out
    noise current of standard deviation ``current_noise`` (V per step; :func:`lsnn.training.noise.held_out_noise`).

    Metrics are averaged over readout windows with a target. Where the task records a per-window
    ``delay`` condition (STORE-RECALL), the accuracy is also broken down by delay (s). ``per_trial``
    adds ``correct``: one character per trial in held-out order, "1" where every window with a target
    was answered right, else "0".
    """
    totals: dict[str, float] = {}
    weights = 0
    spikes = 0.0
    steps = 0
    by_delay: dict[float, list[int]] = {}
    correct_trials: list[str] = []
    batches = held_out_batches(task, n_trials, batch_size, seed)
    for first in tqdm(range(0, n_trials, batch_size), desc="test", unit="batch", disable=not progress, leave=False):
        batch = next(batches)
        outputs, batch_spikes = _outputs_in_chunks(net, batch.x, current_noise, seed, first)
        n_targets = int((batch.labels >= 0).sum())
        for key, value in task.metrics(outputs, batch).items():
            totals[key] = totals.get(key, 0.0) + value * n_targets
        weights += n_targets
        if batch_spikes is not None:
            spikes += batch_spikes
            steps += batch.x.shape[0] * batch.x.shape[1]
        if per_trial:
            right = (window_means(outputs, batch.windows).argmax(-1).cpu().numpy() == batch.labels) | (batch.labels < 0)
            correct_trials.extend("1" if r else "0" for r in right.all(axis=1))
        delay = batch.conditions.get("delay")
        if delay is not None and delay.shape == batch.labels.shape:
            correct = (window_means(outputs, batch.windows).argmax(-1).cpu().numpy() == batch.labels)
            for d, c in zip(delay[batch.labels >= 0], correct[batch.labels >= 0]):
                tally = by_delay.setdefault(round(float(d), 6), [0, 0])
                tally[0] += int(c)
                tally[1] += 1
    result: dict[str, Any] = {key: value / max(weights, 1) for key, value in totals.items()}
    result.update(n_trials=n_trials, n_targets=weights, rate_hz=spikes / (steps * net.n_rec) / net.dt if steps else None)
    if by_delay:
        result["accuracy_by_delay"] = {f"{d:g}": {"accuracy": c / n, "n": n} for d, (c, n) in sorted(by_delay.items())}
    if per_trial:
        result["correct"] = "".join(correct_trials)
    return result


@contextlib.contextmanager
def intra_op_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``n`` PyTorch intra-op threads (None: unchanged), restoring the setting after.

    The per-step STP recursion (the loop of :func:`lsnn.training.stp.stp_recurrence` without the compiled
    kernel) is a long chain of operations on small tensors; for those a second thread
    only adds synchronisation, and on a busy 2-core machine it costs up to 20x (measured with
    ``stp_d`` on STORE-RECALL while another training ran: 1.6 s vs 34.7 s per 1,000-step batch of 64)."""
    previous = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def prepare_run_folder(cfg: TrainConfig, run_dir: Path, resume: bool) -> None:
    """Write ``config.json`` into a new run folder, or check that an existing one holds ``cfg`` (and that
    continuing it was asked for)."""
    if (run_dir / CONFIG).exists():
        previous = read_config(run_dir)
        if previous != cfg:
            diff = {k: (v, cfg.to_dict()[k]) for k, v in previous.to_dict().items() if cfg.to_dict()[k] != v}
            raise RunError(f"{run_dir} holds a run with another configuration (differences: {diff}); choose another run folder.")
        if not resume:
            raise RunError(f"{run_dir} already holds this run; pass --resume to continue it (or reuse it if finished).")
    else:
        write_json(run_dir / CONFIG, cfg.to_dict())


def restore(run_dir: Path, net, optimizer, deep_r: DeepR | None, truncate_metrics: bool = True) -> int:
    """Load the last checkpoint into ``net``, ``optimizer`` and ``deep_r``; drop metrics logged after it (unless
    ``truncate_metrics`` is False: a data-parallel rank other than 0). Returns the iteration to continue from (0 for a new run)."""
    ckpt_path, metrics_path = run_dir / CHECKPOINT, run_dir / METRICS
    if not ckpt_path.exists():
        if truncate_metrics:
            metrics_path.unlink(missing_ok=True)
        return 0
    state = load_checkpoint(ckpt_path, required=("iteration", "model", "optimizer", "deep_r_active"))
    try:
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
    except (RuntimeError, ValueError, KeyError) as exc:
        raise RunError(f"checkpoint {ckpt_path} does not fit this run's network ({exc}); delete it to restart the run.") from None
    start = int(state["iteration"])
    if deep_r is not None:
        deep_r.n_active = int(state["deep_r_active"])
    lines = metrics_path.read_text().splitlines() if metrics_path.exists() and truncate_metrics else []
    if truncate_metrics and len(lines) != start:  # drop what was logged after the checkpoint (a finished run is left untouched)
        atomic_write_text(metrics_path, "".join(line + "\n" for line in lines[:start]))
    return start


def logged_training_time(metrics_path: Path) -> float:
    """The training time (s) of the last iteration logged in ``metrics.jsonl`` (0 for a new run): the clock
    of a resumed run continues from there, so ``time_s`` and ``train_time_s`` count every session."""
    if not metrics_path.exists():
        return 0.0
    with open(metrics_path, "rb") as fh:
        fh.seek(max(0, fh.seek(0, os.SEEK_END) - 65536))
        tail = fh.read().decode("utf-8", "replace").strip().splitlines()
    try:
        return float(json.loads(tail[-1]).get("time_s") or 0.0) if tail else 0.0
    except (ValueError, AttributeError):
        return 0.0


def finish(cfg: TrainConfig, run_dir: Path, net, task: Task, train_time: float | None, reused: bool, progress: bool) -> dict[str, Any]:
    """Evaluate on the held-out set and export the network (``network.npz``; ``baseline.pt`` for the ANN
    baselines), or read both back when a finished run is reused."""
    baseline = isinstance(net, ANNBaseline)
    test_path, network_path = run_dir / TEST, run_dir / (BASELINE if baseline else NETWORK)
    if reused and test_path.exists() and network_path.exists():
        test = json.loads(test_path.read_text())
    else:
        test = evaluate(net, task, cfg.n_test, cfg.test_batch, cfg.test_seed, progress, current_noise=cfg.current_noise)
        test["train_time_s"] = None if train_time is None else round(train_time, 3)
        if task.variant:
            test["task_variant"] = task.variant
        origin = provenance()
        if baseline:  # no spiking network to export: the weights, for reloading with ANNBaseline.matched
            test["n_parameters"] = net.n_parameters
            save_checkpoint(network_path, {"model": net.state_dict(), "config": cfg.to_dict(), **origin})
        else:
            net.to_spec(meta={"task": task.config(), "config": cfg.to_dict(), "seed": cfg.seed, "test": test, **origin,
                              "lsnn_trained_iterations": cfg.n_iterations, "source": "lsnn train"}).save(network_path)
        write_json(test_path, test)
    return {"run_dir": str(run_dir), "finished": True, "iteration": cfg.n_iterations, "test": test, "network": str(network_path)}


def train(cfg: TrainConfig, run_dir: str | os.PathLike, *, resume: bool = False, progress: bool = True,
          max_iterations: int | None = None, device: str = "cpu") -> dict[str, Any]:
    """Train (or resume, or reuse a finished run) and return the test metrics and paths (module docstring).

    ``max_iterations`` stops this call after that many iterations (the run stays resumable; the
    result then has ``finished`` False and no test metrics): a time-boxed session of a long run.
    STP models that run the per-step loop (no compiled kernel, or not on the CPU) train with one intra-op
    thread (:func:`intra_op_threads`). ``device``: ``cpu``, ``cuda`` or
    ``auto``; under ``torchrun`` with several processes the batch is split over them (data-parallel,
    :mod:`lsnn.training.distributed`) and rank 0 writes the run folder.
    """
    if cfg.task in RL_TASKS:  # reinforcement learning: rollouts and PPO instead of batches of a Task
        if device != "cpu" or launched_by_torchrun():
            raise RunError(f"{cfg.task} trains in one CPU process (its rollouts step one environment at a time); use --device cpu without torchrun.")
        from .rl.metarl import train_metarl

        return train_metarl(cfg, run_dir, resume=resume, progress=progress, max_iterations=max_iterations)
    run_dir = Path(run_dir)
    task = build_task(cfg)  # task parameters checked before anything is written
    task.check_data()
    if cfg.connectivity is not None and cfg.model in BASELINE_KINDS:
        raise RunError("DEEP R rewiring (connectivity) applies to spiking networks, not to the LSTM / tanh-RNN baselines.")
    where = resolve_device(device)
    parallel = start_data_parallel(where)
    try:
        if parallel is not None:
            parallel.share(cfg.batch_size)  # the batch must split evenly, checked on every rank before anything is written
        return _train(cfg, run_dir, task, resume, progress and (parallel is None or parallel.is_main), max_iterations, where, parallel)
    finally:
        stop_data_parallel(parallel)


def _train(cfg: TrainConfig, run_dir: Path, task: Task, resume: bool, progress: bool, max_iterations: int | None,
           where: torch.device, parallel: DataParallel | None) -> dict[str, Any]:
    """The loop of :func:`train` on device ``where``, as one rank of ``parallel`` (None: the only process)."""
    main = parallel is None or parallel.is_main
    if main:
        if run_dir.exists() and not run_dir.is_dir():
            raise RunError(f"{run_dir} is a file, not a run folder; give --run-dir a folder (new or holding a run).")
        run_dir.mkdir(parents=True, exist_ok=True)
    stp_loop = cfg.model in STP_MODELS and (where.type != "cpu" or load_kernel() is None)
    with run_lock(run_dir) if main else contextlib.nullcontext(), intra_op_threads(1 if stp_loop else None):
        if main:
            prepare_run_folder(cfg, run_dir, resume)
        if parallel is not None:
            parallel.barrier()  # the other ranks read the folder that rank 0 checked
        keep_freed_memory()  # reuse the large per-iteration buffers without page faults (process-wide)
        net = build_model(cfg, task).to(where)
        optimizer = torch.optim.Adam(net.parameters(), lr=cfg.lr)
        deep_r = DeepR(net, _generator(cfg.seed, 4), cfg.l1, cfg.temperature) if cfg.connectivity is not None else None
        signed = cfg.dale and deep_r is None and not isinstance(net, ANNBaseline)
        start = restore(run_dir, net, optimizer, deep_r, truncate_metrics=main)
        model = parallel.wrap(net) if parallel is not None else None
        share = parallel.share(cfg.batch_size) if parallel is not None else slice(None)
        checkpointed = start

        t0 = time.perf_counter() - logged_training_time(run_dir / METRICS)  # training time summed over sessions
        stop = cfg.n_iterations if max_iterations is None else min(cfg.n_iterations, start + max_iterations)
        net_dtype = next(net.parameters()).dtype
        bar = tqdm(range(start, stop), desc=f"train {cfg.task}/{cfg.model}", initial=start, total=cfg.n_iterations, disable=not progress)
        writes = main and start < stop  # a finished run (and every rank but 0) writes nothing
        # a stop (Ctrl-C, SIGTERM) is taken at the end of an iteration, which is then checkpointed; with several
        # processes (data-parallel) signals act as usual: the ranks could not agree on the iteration
        stops = stop_requests() if parallel is None else contextlib.nullcontext(lambda: False)
        with open(run_dir / METRICS, "a") if writes else contextlib.nullcontext() as log, stops as stop_requested:
            for it in bar:
                lr = cfg.lr * step_decay(it, every=cfg.lr_decay_every, factor=cfg.lr_decay_factor, ramp=cfg.lr_ramp)
                batch = task.sample(np.random.default_rng([cfg.seed, 1, it]), cfg.batch_size)
                try:
                    noise = training_noise(cfg.current_noise, (batch.n_trials, batch.x.shape[1], cfg.n_rec), cfg.seed, it, net_dtype)
                    if parallel is not None:
                        batch, noise = batch.subset(share), None if noise is None else noise[share]
                    if noise is not None:
                        noise = noise.to(where)
                    record = {"iteration": it, **train_step(net, optimizer, task, batch, cfg, lr, noise, parallel, model)}
                except FloatingPointError as exc:
                    raise RunError(f"iteration {it}: {exc}; set grad_clip or lower the learning rate "
                                   f"(the run resumes from its checkpoint at iteration {checkpointed}).") from None
                if deep_r is not None:
                    record.update(deep_r.step(lr, _generator(cfg.seed, 3, it), optimizer))
                if signed:
                    record["sign_zeroed"] = keep_dale_signs(net)
                record["time_s"] = round(time.perf_counter() - t0, 3)
                done = it + 1
                if main and cfg.eval_every and done % cfg.eval_every == 0 and done < cfg.n_iterations:
                    t_eval = time.perf_counter()
                    tested = evaluate(net, task, min(cfg.eval_trials, cfg.n_test), cfg.test_batch, cfg.test_seed,
                                      current_noise=cfg.current_noise)
                    record.update({f"test_{k}": v for k, v in tested.items() if isinstance(v, float)})
                    t0 += time.perf_counter() - t_eval  # testing is not training time
                if writes:
                    log.write(dumps(record) + "\n")  # strict JSON: a NaN metric is written as null
                    log.flush()
                bar.set_postfix(loss=f"{record['loss']:.3f}", acc=f"{record.get('accuracy', float('nan')):.3f}",
                                rate="-" if record["rate_hz"] is None else f"{record['rate_hz']:.1f}Hz")
                stopping = stop_requested()
                if done % cfg.checkpoint_every == 0 or done == cfg.n_iterations or stopping:
                    if main:
                        save_checkpoint(run_dir / CHECKPOINT, {"iteration": done, "model": net.state_dict(), "optimizer": optimizer.state_dict(),
                                                               "deep_r_active": deep_r.n_active if deep_r else -1})
                    checkpointed = done
                if stopping and done < cfg.n_iterations:
                    raise KeyboardInterrupt(f"stopped after iteration {it}, checkpointed")
        bar.close()
        if stop < cfg.n_iterations or not main:
            return {"run_dir": str(run_dir), "finished": stop == cfg.n_iterations, "iteration": stop, "test": None, "network": None}
        return finish(cfg, run_dir, net.cpu(), task, time.perf_counter() - t0, start == cfg.n_iterations, progress)
