"""The GPU check of the training side, for a machine with an NVIDIA GPU (run by hand, never by the tests).

1. **Equality**: the sequential-MNIST network (80 inputs, 120 LIF + 100 ALIF, 840 steps) in float64 on a
   few digits, on the CPU (compiled kernel) and on CUDA (the pure-PyTorch loops): spikes identical,
   readout and every gradient within 1e-10 (relative to the largest entry).
2. **Speed**: seconds per training iteration (forward + backward + Adam, float32, TF32 off as the trainer
   sets it) at batch 256 on CUDA against the CPU kernel, interleaved rounds in the same run.
3. **The trainer on CUDA**: a tiny STORE-RECALL run trained two iterations on CUDA and resumed on the CPU from
   its checkpoint (the portable checkpoint), against the same run on the CPU alone (float64).

    .venv/bin/python benchmarks/gpu_check.py [--rounds 3] [--batch 256]

Without CUDA it says so and exits 0. Brian2's GPU devices are checked separately: ``LSNN_GENN_USE_GPU=1
bash scripts/run.sh test-genn`` (GeNN in GPU mode) and, in ``environments/cuda.yml``, ``lsnn validate RUN
--device cuda_standalone``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from bptt_speed import LAST, N_IN, N_OUT, N_REC, workload  # noqa: E402


def build(device: str, dtype: torch.dtype, batch: int):
    from lsnn.training import LSNN

    x, labels, W_in, W_rec, W_out, beta = workload(batch)
    net = LSNN(N_IN, N_REC, N_OUT, W_in=W_in, W_rec=W_rec, W_out=W_out, beta=beta, tau_a=0.7, n_ref=5, b0=0.01, dtype=dtype).to(device)
    return net, torch.as_tensor(x, dtype=dtype, device=device), torch.as_tensor(labels, device=device)


def forward_backward(net, x, labels):
    out = net(x, record_state=False)
    loss = torch.nn.functional.cross_entropy(out.outputs[:, -LAST:].mean(1), labels)
    net.zero_grad()
    loss.backward()
    return out, {name: p.grad.detach().cpu().numpy() for name, p in net.named_parameters() if p.grad is not None}


def equality(batch: int = 4) -> dict:
    cpu = forward_backward(*build("cpu", torch.float64, batch))
    gpu = forward_backward(*build("cuda", torch.float64, batch))
    spikes_equal = bool(torch.equal(cpu[0].spikes, gpu[0].spikes.cpu()))
    out_err = float((cpu[0].outputs - gpu[0].outputs.cpu()).abs().max() / cpu[0].outputs.abs().max())
    grad_err = max(float(np.abs(cpu[1][k] - gpu[1][k]).max() / max(np.abs(cpu[1][k]).max(), 1e-300)) for k in cpu[1])
    return {"spikes_identical": spikes_equal, "readout_rel_err": out_err, "gradient_rel_err": grad_err,
            "spikes": int(cpu[0].spikes.sum())}


def speed(batch: int, rounds: int) -> dict:
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    times: dict[str, list[float]] = {"cpu": [], "cuda": []}
    setups = {d: build(d, torch.float32, batch) for d in times}
    opts = {d: torch.optim.Adam(setups[d][0].parameters(), lr=1e-3) for d in times}
    for _ in range(rounds + 1):  # the first round warms up
        for d in times:
            net, x, labels = setups[d]
            if d == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            forward_backward(net, x, labels)
            opts[d].step()
            if d == "cuda":
                torch.cuda.synchronize()
            times[d].append(time.perf_counter() - t)
    med = {d: float(np.median(v[1:])) for d, v in times.items()}
    return {"batch": batch, "s_per_iteration": med, "cuda_speedup": med["cpu"] / med["cuda"],
            "cuda_peak_mb": torch.cuda.max_memory_allocated() / 2**20}


def trainer_round_trip() -> dict:
    """Two iterations of a tiny run on CUDA, the rest resumed on the CPU from the checkpoint (float64): the
    logged gradient norms against a run trained on the CPU alone."""
    from lsnn.training.config import make_config
    from lsnn.training.trainer import train

    cfg = make_config("store_recall", "sfa", "tiny", {"dtype": "float64", "checkpoint_every": 2})
    with tempfile.TemporaryDirectory() as tmp:
        train(cfg, Path(tmp) / "mixed", progress=False, device="cuda", max_iterations=2)
        mixed = train(cfg, Path(tmp) / "mixed", resume=True, progress=False, device="cpu")
        alone = train(cfg, Path(tmp) / "cpu", progress=False)
        norms = [[json.loads(line)["grad_norm"] for line in (Path(tmp) / r / "metrics.jsonl").read_text().splitlines()] for r in ("mixed", "cpu")]
    return {"finished": mixed["finished"], "accuracy_mixed": mixed["test"]["accuracy"], "accuracy_cpu": alone["test"]["accuracy"],
            "grad_norm_rel_err": float(np.max(np.abs(np.subtract(*norms)) / np.abs(norms[1])))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"cuda": False, "torch": torch.__version__, "note": "no CUDA GPU visible to PyTorch; nothing checked"}))
        return
    report = {"cuda": True, "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0), "equality": equality(),
              "speed": speed(args.batch, args.rounds), "trainer_cuda_then_cpu_resume": trainer_round_trip()}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
