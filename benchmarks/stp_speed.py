"""Training speed of networks with short-term plasticity: the compiled kernel against the per-step loop
and against the same network without STP, in one run.

Workload: the eLife Fig. 2B quick preset of 1-D STORE-RECALL (``make_config("store_recall", "stp_d",
"quick")``: its network, sequence length and batch), float32 as the trainer runs it. One training
iteration = :func:`lsnn.training.trainer.train_step` (forward on the memory-lean path where one exists,
task loss + rate regulariser, backward, Adam). Implementations, timed in interleaved rounds (the
machine is shared and noisy):

* ``stp-lean``   -- the STP network on the compiled memory-lean fused path (:class:`~lsnn.training.bptt.LSNNLean`
                    with u, r in the record: what the trainer runs)
* ``stp-full``   -- the same network through the compiled full-state kernel (:class:`~lsnn.training.stp.CompiledSTPRecurrence`:
                    dense Z, V, A, s, u, r records; the training path before the lean one covered STP)
* ``stp-loop``   -- the same network through the per-step autograd loop (:func:`~lsnn.training.stp.stp_recurrence` without the kernel,
                    the path before the kernel covered STP), with one intra-op thread as the trainer runs it
* ``no-stp``     -- the same network and weights without STP (the LIF model's training path)

Also printed: gradient agreement of the lean STP path and the loop in float64 on a slice of the batch (max
relative difference per weight matrix). Target of issue 21: ``stp-lean`` <= 1.5x ``no-stp``.

    .venv/bin/python benchmarks/stp_speed.py                  # 3 rounds
    .venv/bin/python benchmarks/stp_speed.py --rounds 5 --model stp_f --no-loop --memory
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import time

import numpy as np
import torch

from lsnn.training.config import make_config
from lsnn.training.trainer import build_model, build_task, intra_op_threads, train_step


def without_stp(net):
    """A copy of ``net`` with the same weights and no short-term plasticity."""
    from lsnn.training.model import LSNN

    return LSNN.from_spec(net.to_spec().copy(stp_U=None, stp_F=None, stp_D=None), gamma=net.gamma, dtype=net.dtype)


@contextlib.contextmanager
def full_state_only():
    """Within the block, the model never takes the memory-lean fused path (the full-state kernel runs instead)."""
    from lsnn.training import model

    original = model.lean_recurrence
    model.lean_recurrence = lambda *args, **kwargs: None
    try:
        yield
    finally:
        model.lean_recurrence = original


@contextlib.contextmanager
def loop_only():
    """Within the block, :func:`~lsnn.training.stp.stp_recurrence` takes the per-step loop (``LSNN_KERNEL=python``)."""
    os.environ["LSNN_KERNEL"] = "python"
    try:
        yield
    finally:
        os.environ.pop("LSNN_KERNEL")


def iteration_time(net, task, batch, cfg, path: str) -> float:
    """Seconds of one training iteration of ``net`` on ``batch`` (Adam on a fresh optimizer) on ``path``:
    "lean" (the trainer's), "full" (full-state kernel) or "loop" (per-step autograd, one thread)."""
    optimizer = torch.optim.Adam(net.parameters(), lr=0.0)  # lr 0: the weights stay those of the other paths
    loop = path == "loop"
    context = loop_only() if loop else full_state_only() if path == "full" else contextlib.nullcontext()
    with context, intra_op_threads(1 if loop else None):
        t0 = time.perf_counter()
        train_step(net, optimizer, task, batch, cfg, lr=0.0)
        return time.perf_counter() - t0


def gradient_agreement(net, task, batch, cfg, n_trials: int = 4) -> dict[str, float]:
    """Max |kernel - loop| / max |loop| of dL/dW_in, dL/dW_rec, dL/dW_out in float64 on ``n_trials`` trials."""
    from lsnn.training.model import LSNN

    net64 = LSNN.from_spec(net.to_spec(), gamma=net.gamma, dtype=torch.float64)
    sub = batch.subset(slice(0, n_trials))
    grads = []
    for loop in (False, True):
        with loop_only() if loop else contextlib.nullcontext():
            out = net64(sub.x, record_state=False)
            loss = task.loss(out.outputs, sub) + out.spikes.mean()
            grads.append(torch.autograd.grad(loss, [net64.W_in, net64.W_rec, net64.W_out]))
    return {name: float((a - b).abs().max() / b.abs().max()) for name, a, b in zip(("W_in", "W_rec", "W_out"), *grads)}


def _peak_resident_mb() -> float:
    """This process's peak resident memory (VmHWM of /proc/self/status, Linux; unlike ru_maxrss it is not
    inherited from the parent through fork + exec)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status: --memory needs Linux")


def peak_memory_growth(model: str, path: str) -> float:
    """MB by which one training iteration raises this process's peak resident memory (call in a fresh process)."""
    cfg = make_config("store_recall", model, "quick")
    task = build_task(cfg)
    torch.manual_seed(0)
    net = build_model(cfg, task)
    batch = task.sample(np.random.default_rng(0), cfg.batch_size)
    optimizer = torch.optim.Adam(net.parameters(), lr=0.0)
    before = _peak_resident_mb()
    with full_state_only() if path == "full" else contextlib.nullcontext():
        train_step(net, optimizer, task, batch, cfg, lr=0.0)
    return _peak_resident_mb() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=("stp_d", "stp_f"), default="stp_d")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-loop", action="store_true", help="skip the slow per-step loop")
    parser.add_argument("--memory", action="store_true",
                        help="also the peak resident memory one iteration adds, per path, each in a fresh process")
    parser.add_argument("--memory-of", choices=("lean", "full"), help=argparse.SUPPRESS)  # the child process of --memory
    args = parser.parse_args()
    if args.memory_of:
        print(peak_memory_growth(args.model, args.memory_of))
        return
    cfg = make_config("store_recall", args.model, "quick")
    task = build_task(cfg)
    torch.manual_seed(0)
    net = build_model(cfg, task)
    plain = without_stp(net)
    batch = task.sample(np.random.default_rng(0), cfg.batch_size)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"workload: store_recall {args.model} quick, {net.n_rec} neurons, {task.n_steps} steps, batch {cfg.batch_size}, float32")
    print("gradient agreement lean kernel vs loop (float64, max rel. difference):",
          ", ".join(f"{k} {v:.1e}" for k, v in gradient_agreement(net, task, batch, cfg).items()))
    runs = {"stp-lean": (net, "lean"), "stp-full": (net, "full"), "stp-loop": (net, "loop"), "no-stp": (plain, "lean")}
    if args.no_loop:
        del runs["stp-loop"]
    for name, (model, path) in runs.items():  # warm-up (kernel build, allocator)
        iteration_time(model, task, batch, cfg, path)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, (model, path) in runs.items():
            times[name].append(iteration_time(model, task, batch, cfg, path))
    base = statistics.median(times["no-stp"])
    print(f"{'path':<12} {'median s/it':>12} {'best s/it':>10} {'x no-stp':>9}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<12} {median:12.3f} {min(values):10.3f} {median / base:9.2f}")
    if args.memory:
        import subprocess
        import sys

        for path in ("lean", "full"):
            child = subprocess.run([sys.executable, __file__, "--model", args.model, "--memory-of", path],
                                   capture_output=True, text=True, check=True)
            print(f"stp-{path}: one iteration adds {float(child.stdout.split()[-1]):.0f} MB of peak resident memory")


if __name__ == "__main__":
    main()
