"""Data-parallel training with ``torch.distributed`` (DDP), launched by ``torchrun``, and the training device.

``torchrun --nproc_per_node N -m lsnn.app.cli train ...`` starts N processes (ranks). Every rank draws the
*same* batch of the iteration (its generator is keyed by (seed, iteration) only), keeps its contiguous share
of ``batch_size / N`` trials, and runs forward and backward on it inside
:class:`torch.nn.parallel.DistributedDataParallel`, which averages the gradients over the ranks. Two
corrections make the averaged gradient *equal* to that of one process on the whole batch (tested with two
CPU processes on gloo):

- the task loss of a share is a mean over that share's targets; it is scaled by
  ``N x targets of the share / targets of the batch`` (:meth:`lsnn.training.tasks.Task.loss_units`), so that
  shares with more answers weigh more, exactly as in the whole batch;
- the firing-rate regulariser is a non-linear function of the rates over the *whole* batch
  (``sum_j (r_j - r0)^2``): the rates are averaged over the ranks with an autograd-aware all-reduce
  (:func:`torch.distributed.nn.functional.all_reduce`) before the square. Its backward sums the ranks'
  gradients, so after DDP's average every rank holds ``2 (r_j - r0) dr_j/dtheta`` of the whole batch.

Since all ranks then take the same Adam step (and DEEP R draws the same rewiring from the same generator),
their parameters stay identical; only rank 0 writes the run folder (metrics, checkpoints, test, export) and
the logged metrics are averaged over the ranks with the same weights. Backends: gloo on CPU, NCCL on CUDA
(one GPU per rank, ``LOCAL_RANK``).

**Device and precision.** ``lsnn train --device cpu|cuda|auto`` (auto: CUDA when available). The compiled
kernel is CPU-only; on CUDA the recurrence runs in the pure-PyTorch loops of :mod:`lsnn.training.bptt`.
TF32 is *disabled* (``torch.backends.cuda.matmul.allow_tf32 = False``, cuDNN likewise): its 10-bit mantissa
would make the float32 training diverge from the float32 reference the Brian2 validation compares with.
Checkpoints are read with ``map_location="cpu"`` and loaded into the network on its device, so a run started
on a GPU resumes on a CPU and the reverse; the held-out test and the ``network.npz`` export run on the CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

DEVICES = ("cpu", "cuda", "auto")


def resolve_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` (the rank's GPU under torchrun) or ``auto``; a clear error where CUDA is absent."""
    if name not in DEVICES:
        raise ValueError(f"device {name!r} is not available; choose one of: {', '.join(DEVICES)}.")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda: PyTorch sees no CUDA GPU here (this PyTorch build or machine has none); use --device cpu.")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return torch.device("cpu")


def launched_by_torchrun() -> bool:
    """Whether this process is one of several ranks started by torchrun (``WORLD_SIZE`` > 1)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@dataclass
class DataParallel:
    """This process's place among the ranks (:func:`start`), and the collective operations the trainer needs."""

    rank: int
    world: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def share(self, batch_size: int) -> slice:
        """The contiguous trials of the iteration's batch that this rank trains on."""
        if batch_size % self.world:
            raise ValueError(f"batch_size {batch_size} must be divisible by the {self.world} data-parallel processes.")
        per = batch_size // self.world
        return slice(self.rank * per, (self.rank + 1) * per)

    def wrap(self, net: torch.nn.Module) -> torch.nn.Module:
        """``net`` in DistributedDataParallel (its forward averages the gradients over the ranks in backward)."""
        from torch.nn.parallel import DistributedDataParallel

        device = next(net.parameters()).device  # the LSNN or an ANN baseline
        device_ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(net, device_ids=device_ids, find_unused_parameters=True)

    def mean(self, tensor: torch.Tensor) -> torch.Tensor:
        """The mean of ``tensor`` over the ranks, differentiable (its backward sums the ranks' gradients)."""
        from torch.distributed.nn.functional import all_reduce

        return all_reduce(tensor) / self.world

    def total(self, value: float) -> float:
        """The sum of a number over the ranks."""
        t = torch.tensor([float(value)], dtype=torch.float64)
        torch.distributed.all_reduce(t)
        return float(t[0])

    def weighted_metrics(self, metrics: dict[str, Any], weight: float) -> dict[str, Any]:
        """The ranks' numeric metrics averaged with weights ``weight`` (a rank's number of targets)."""
        keys = sorted(k for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool))
        t = torch.tensor([weight] + [weight * float(metrics[k]) for k in keys], dtype=torch.float64)
        torch.distributed.all_reduce(t)
        return {**metrics, **{k: float(t[i + 1] / t[0]) for i, k in enumerate(keys)}}

    def barrier(self) -> None:
        torch.distributed.barrier()


def start(device: torch.device) -> DataParallel | None:
    """Join the process group when launched by torchrun (gloo on CPU, NCCL on CUDA); None for a single process."""
    if not launched_by_torchrun():
        return None
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DataParallel(rank=dist.get_rank(), world=dist.get_world_size())


def stop(parallel: DataParallel | None) -> None:
    """Leave the process group (after the last collective)."""
    if parallel is not None and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
