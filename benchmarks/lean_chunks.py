"""Cost of thread-count-independent gradients in the memory-lean kernel path.

The lean backward pass sums weight-gradient partials over chunks of trials. With ``LEAN_CHUNKS = 8``
(the package's setting) the chunks are a fixed partition of the batch, so gradients -- and trained
weights -- are the same bits with any number of threads; with 0 there is one chunk per thread (the
previous behaviour: fewer partial arrays, but the summation order follows the thread count). This
script times forward + backward of the sequential-MNIST workload of ``bptt_speed.py`` (80 inputs,
120 LIF + 100 ALIF, 840 steps, float32) in both modes, interleaved in one process, and checks which
mode gives equal gradients with 1 and 2 threads.

    .venv/bin/python benchmarks/lean_chunks.py                 # batch 32 and 256, 7 rounds
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from torch.nn import functional as F

from lsnn.training import LSNN, bptt
from lsnn.training.kernel import keep_freed_memory, load

N_IN, N_LIF, N_ALIF, T, N_OUT, LAST = 80, 120, 100, 840, 10, 56


def network_and_input(batch: int, seed: int = 0) -> tuple[LSNN, torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    n = N_LIF + N_ALIF
    W_rec = rng.standard_normal((n, n)) / np.sqrt(n)
    np.fill_diagonal(W_rec, 0.0)
    net = LSNN(N_IN, n, N_OUT, W_in=rng.standard_normal((n, N_IN)) / np.sqrt(N_IN) * 2.5, W_rec=W_rec,
               W_out=rng.standard_normal((N_OUT, n)) / np.sqrt(n), beta=np.r_[np.zeros(N_LIF), np.full(N_ALIF, 1.8)],
               tau_a=0.7, n_ref=5, d_rec=1, dtype=torch.float32)
    x = torch.as_tensor((rng.random((batch, T, N_IN)) < 0.02).astype(np.float32))
    return net, x, torch.as_tensor(rng.integers(0, N_OUT, batch))


def gradients(net: LSNN, x: torch.Tensor, labels: torch.Tensor) -> list[torch.Tensor]:
    net.zero_grad()
    out = net(x, record_state=False)
    loss = F.cross_entropy(out.outputs[:, -LAST:].mean(1), labels) + out.spikes.mean(dim=(0, 1)).square().sum()
    loss.backward()
    return [p.grad.clone() for p in (net.W_in, net.W_rec, net.W_out)]


def thread_independent(chunks: int, net, x, labels) -> bool:
    bptt.LEAN_CHUNKS = chunks
    previous = torch.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            torch.set_num_threads(threads)
            results.append(gradients(net, x, labels))
    finally:
        torch.set_num_threads(previous)
    return all(torch.equal(a, b) for a, b in zip(*results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, nargs="+", default=[32, 256])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    if load() is None:
        raise SystemExit("the compiled kernel is unavailable: nothing to measure")
    keep_freed_memory()
    fixed = bptt.LEAN_CHUNKS
    print(f"threads: {torch.get_num_threads()}; modes: LEAN_CHUNKS = {fixed} (fixed partition) and 0 (one chunk per thread)")
    for batch in args.batch:
        net, x, labels = network_and_input(batch)
        gradients(net, x, labels)  # warm-up
        times: dict[int, list[float]] = {fixed: [], 0: []}
        for _ in range(args.rounds):
            for chunks in (fixed, 0):
                bptt.LEAN_CHUNKS = chunks
                t0 = time.perf_counter()
                gradients(net, x, labels)
                times[chunks].append(time.perf_counter() - t0)
        independent = {chunks: thread_independent(chunks, net, x, labels) for chunks in (fixed, 0)}
        bptt.LEAN_CHUNKS = fixed
        med = {k: statistics.median(v) for k, v in times.items()}
        print(f"batch {batch}: forward+backward median {med[fixed]:.3f} s (chunks {fixed}) vs {med[0]:.3f} s (per thread), "
              f"ratio {med[fixed] / med[0]:.3f}; min {min(times[fixed]):.3f} vs {min(times[0]):.3f} s; "
              f"equal gradients with 1 and 2 threads: chunks {fixed} {independent[fixed]}, per thread {independent[0]}")


if __name__ == "__main__":
    main()
