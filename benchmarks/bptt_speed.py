"""BPTT speed and memory on the sequential-MNIST workload: LSNN vs a plain autograd loop vs Norse.

Workload (issue "Fast BPTT"): 80 spike inputs, 220 recurrent neurons (120 LIF + 100 ALIF), 840 steps,
float32, cross-entropy on the readout averaged over the last 56 steps, forward + backward + Adam.
Implementations, timed in interleaved rounds in one process (the machine is shared and noisy):

* ``lsnn``      -- ``lsnn.training.LSNN`` as the trainer calls it (``record_state=False, record_spikes=False``:
                   the memory-lean fused kernel path, no V/A returned and spike counts instead of spikes;
                   compiled kernel where a compiler exists)
* ``lsnn-full``  -- the same model returning V and A (``record_state=True``: dense saved state)
* ``lsnn-py``   -- the same with ``LSNN_KERNEL=python`` (pure PyTorch loops)
* ``autograd``  -- a straightforward autograd loop of the same map (per-step ops, dense matmuls)
* ``norse``     -- Norse's ``LSNNRecurrent`` (when ``norse`` is installed; ``pip install norse==1.1.0``)

All use the same input, readout filter and loss. Also printed: the time of the dense fp32 matmuls
an iteration needs (the "matmul bound"), the extra peak memory of one iteration (each implementation
in a fresh subprocess whose glibc maps every allocation of 64 kB or more separately, so that
resident memory is live memory: the kernel's peak-RSS counter after the first iteration minus RSS before it), and single-trial inference time.

    .venv/bin/python benchmarks/bptt_speed.py                      # batch 32 and 256, 5 rounds
    .venv/bin/python benchmarks/bptt_speed.py --batch 32 --rounds 3 --no-memory
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np
import torch
from torch.nn import functional as F

N_IN, N_LIF, N_ALIF, T, N_OUT, LAST = 80, 120, 100, 840, 10, 56
N_REC = N_LIF + N_ALIF


def workload(batch: int, seed: int = 0):
    """Input spikes (batch, T, 80) at ~2 % density, labels, and the network parameters (numpy)."""
    rng = np.random.default_rng(seed)
    x = (rng.random((batch, T, N_IN)) < 0.02).astype(np.float32)
    labels = rng.integers(0, N_OUT, batch)
    W_in = rng.standard_normal((N_REC, N_IN)) / np.sqrt(N_IN) * 2.5
    W_rec = rng.standard_normal((N_REC, N_REC)) / np.sqrt(N_REC)
    np.fill_diagonal(W_rec, 0.0)
    W_out = rng.standard_normal((N_OUT, N_REC)) / np.sqrt(N_REC)
    beta = np.r_[np.zeros(N_LIF), np.full(N_ALIF, 1.8)]
    return x, labels, W_in, W_rec, W_out, beta


def adam_step(opt: torch.optim.Optimizer, outputs: torch.Tensor, labels: torch.Tensor) -> float:
    """Cross-entropy of the readout (batch, T, 10) averaged over the last 56 steps; backward; Adam."""
    loss = F.cross_entropy(outputs[:, -LAST:].mean(1), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


class Lsnn:
    name = "lsnn"

    def __init__(self, batch: int):
        from lsnn.training import LSNN

        x, labels, W_in, W_rec, W_out, beta = workload(batch)
        self.net = LSNN(N_IN, N_REC, N_OUT, W_in=W_in, W_rec=W_rec, W_out=W_out, beta=beta, tau_a=0.7, n_ref=5, b0=0.01)
        self.x, self.labels = torch.as_tensor(x), torch.as_tensor(labels)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)

    record_state = False
    record_spikes = False

    def step(self) -> float:
        out = self.net(self.x, record_state=self.record_state, record_spikes=self.record_spikes)
        return adam_step(self.opt, out.outputs, self.labels)

    @torch.no_grad()
    def infer(self) -> None:
        self.net(self.x[:1])


class LsnnFull(Lsnn):
    name = "lsnn-full"
    record_state = True
    record_spikes = True


class LsnnPython(Lsnn):
    name = "lsnn-py"

    def step(self) -> float:
        os.environ["LSNN_KERNEL"] = "python"
        try:
            return super().step()
        finally:
            os.environ.pop("LSNN_KERNEL")

    def infer(self) -> None:
        os.environ["LSNN_KERNEL"] = "python"
        try:
            super().infer()
        finally:
            os.environ.pop("LSNN_KERNEL")


class Autograd:
    """The map written step by step with autograd (dense matmuls; 1-step recurrent delay)."""

    name = "autograd"

    def __init__(self, batch: int):
        from lsnn.training.pseudo_derivative import SpikeFunction

        self.spike = SpikeFunction.apply
        x, labels, W_in, W_rec, W_out, beta = workload(batch)
        self.W_in, self.W_rec, self.W_out = (torch.nn.Parameter(torch.as_tensor(w, dtype=torch.float32)) for w in (W_in, W_rec, W_out))
        self.beta = torch.as_tensor(beta, dtype=torch.float32)
        self.x, self.labels = torch.as_tensor(x), torch.as_tensor(labels)
        self.opt = torch.optim.Adam([self.W_in, self.W_rec, self.W_out], lr=1e-3)

    def forward(self, x):
        B = x.shape[0]
        alpha, rho, kappa = np.exp(-1 / 20), np.exp(-1 / 700), np.exp(-1 / 20)
        I_in = (x @ self.W_in.T).unbind(1)
        V = torch.zeros(B, N_REC)
        a = torch.zeros(B, N_REC)
        z = torch.zeros(B, N_REC)
        y = torch.zeros(B, N_OUT)
        since = torch.full((B, N_REC), 1000)
        ys = []
        for t in range(x.shape[1]):
            A = 0.01 + self.beta * a
            ok = since >= 5
            z_new = self.spike((V - A) / A, 0.3) * ok
            since = torch.where(z_new > 0, 1, since + 1)
            V = alpha * V + (1 - alpha) * (I_in[t] + z @ self.W_rec.T) - A * z_new
            a = rho * a + (1 - rho) * z_new
            y = kappa * y + (1 - kappa) * (z_new @ self.W_out.T)
            ys.append(y)
            z = z_new
        return torch.stack(ys, 1)

    def step(self) -> float:
        return adam_step(self.opt, self.forward(self.x), self.labels)

    @torch.no_grad()
    def infer(self) -> None:
        self.forward(self.x[:1])


class Norse:
    """Norse's LSNNRecurrent (its own LSNN model: synaptic current, super-spike surrogate) + the same readout."""

    name = "norse"

    def __init__(self, batch: int):
        import norse.torch as norse

        from lsnn.training.bptt import exponential_filter

        self.filter = exponential_filter
        x, labels, W_in, W_rec, W_out, beta = workload(batch)
        p = norse.LSNNParameters(tau_adapt_inv=torch.tensor(1 / 0.7), v_th=torch.tensor(0.01), beta=torch.as_tensor(beta, dtype=torch.float32))
        self.rnn = norse.LSNNRecurrent(N_IN, N_REC, p=p)
        self.readout = torch.nn.Linear(N_REC, N_OUT, bias=False)
        self.x, self.labels = torch.as_tensor(x).transpose(0, 1).contiguous(), torch.as_tensor(labels)
        self.kappa = torch.full((N_OUT,), float(np.exp(-1 / 20)))
        self.opt = torch.optim.Adam([*self.rnn.parameters(), *self.readout.parameters()], lr=1e-3)

    def forward(self, x):
        z, _ = self.rnn(x)
        return self.filter(self.readout(z), self.kappa)

    def step(self) -> float:
        return adam_step(self.opt, self.forward(self.x).transpose(0, 1), self.labels)

    @torch.no_grad()
    def infer(self) -> None:
        self.forward(self.x[:, :1])


IMPLEMENTATIONS = {cls.name: cls for cls in (Lsnn, LsnnFull, LsnnPython, Autograd, Norse)}


def matmul_bound(batch: int, rounds: int = 3) -> float:
    """Seconds of the dense fp32 matmuls of one iteration: input projection, T recurrent products
    forward and backward, and the weight gradients."""
    x = torch.rand(T * batch, N_IN)
    W_in, W = torch.rand(N_REC, N_IN), torch.rand(N_REC, N_REC)
    z, g = torch.rand(batch, N_REC), torch.rand(T * batch, N_REC)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        x @ W_in.T
        for _ in range(T):
            z @ W.T
            z @ W
        g.T @ g
        g.T @ x
        best = min(best, time.perf_counter() - t0)
    return best


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _vm_hwm() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise OSError("no VmHWM in /proc/self/status")


def memory_probe(name: str, batch: int) -> int:
    """Extra peak resident memory (bytes) of the first training iteration of ``name`` in this fresh
    process: the kernel's RSS high-water mark (VmHWM, reset just before through
    ``/proc/self/clear_refs``) minus RSS before the iteration. The first iteration is measured: a
    warm-up would leave freed memory in the allocator and hide the peak."""
    from lsnn.training.kernel import load

    load()  # build/load the compiled kernel outside the measurement
    impl = IMPLEMENTATIONS[name](batch)
    before = _rss()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset the peak-RSS counter to the current RSS
    impl.step()
    return _vm_hwm() - before


def available() -> list[str]:
    names = ["lsnn", "lsnn-full", "lsnn-py", "autograd"]
    try:
        import norse.torch  # noqa: F401

        names.append("norse")
    except ImportError:
        print("(norse not installed: pip install norse==1.1.0 to compare; skipped)")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", nargs="+", type=int, default=[32, 256])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--impl", nargs="+", default=None, help="subset of implementations")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--memory-probe", nargs=2, metavar=("IMPL", "BATCH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        print(json.dumps({"extra_bytes": memory_probe(args.memory_probe[0], int(args.memory_probe[1]))}))
        return
    from lsnn.training.kernel import keep_freed_memory

    keep_freed_memory()  # process-wide (glibc): every implementation below profits alike
    names = args.impl or available()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, torch {torch.__version__}, threads {torch.get_num_threads()}")
    for batch in args.batch:
        impls = [IMPLEMENTATIONS[n](batch) for n in names]
        for impl in impls:  # warm-up (kernel build, allocator)
            impl.step()
        times: dict[str, list[float]] = {n: [] for n in names}
        infer: dict[str, list[float]] = {n: [] for n in names}
        bounds: list[float] = []
        for _ in range(args.rounds):
            bounds.append(matmul_bound(batch, rounds=1))  # in the same rounds: the same machine load as the rest
            for impl in impls:
                t0 = time.perf_counter()
                impl.step()
                times[impl.name].append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                impl.infer()
                infer[impl.name].append(time.perf_counter() - t0)
        bound = float(np.median(bounds))
        memory = {}
        if not args.no_memory:
            for n in names:
                # every allocation of 64 kB or more mapped and unmapped individually: RSS = live memory
                env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "0"}
                proc = subprocess.run([sys.executable, __file__, "--memory-probe", n, str(batch)], capture_output=True, text=True, env=env)
                memory[n] = json.loads(proc.stdout.strip().splitlines()[-1])["extra_bytes"] if proc.returncode == 0 else float("nan")
        print(f"\nbatch {batch}: median of {args.rounds} interleaved rounds (forward + backward + Adam); matmul bound {bound:.3f} s (median of the same rounds)")
        ref = np.median(times["norse"]) if "norse" in times else None
        ref_inf = np.median(infer["norse"]) if "norse" in infer else None
        print(f"{'impl':10s} {'s/iter':>8s} {'vs norse':>9s} {'x bound':>8s} {'extra MB':>9s} {'vs norse':>9s} {'infer 1 trial s':>16s} {'vs norse':>9s}")
        for n in names:
            t = float(np.median(times[n]))
            ti = float(np.median(infer[n]))
            mem = memory.get(n, float("nan")) / 2**20
            mem_ratio = f"{mem / (memory['norse'] / 2**20):8.2f}x" if memory.get("norse") else "      -"
            speed = f"{ref / t:8.2f}x" if ref else "      -"
            speed_inf = f"{ref_inf / ti:8.2f}x" if ref_inf else "      -"
            print(f"{n:10s} {t:8.3f} {speed:>9s} {t / bound:8.2f} {mem:9.0f} {mem_ratio:>9s} {ti:16.4f} {speed_inf:>9s}")


if __name__ == "__main__":
    main()
