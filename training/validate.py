"""Validation: a trained network re-simulated in Brian2 on its test inputs and compared with PyTorch.

``validate_run(run_dir)`` loads the run's ``network.npz``, regenerates the task's held-out test set
(the same seeded generator as the trainer's test evaluation: ``test_seed``, batches of
``test_batch``), runs the network in PyTorch (float64 by default) and in Brian2 (C++ standalone by
default: one compilation for the whole test set) and reports, per trial, whether the spike rasters
are identical, the first step and neuron where they diverge, and the largest readout difference;
and, for the whole set, the task metric computed from Brian2's outputs next to PyTorch's. The
result is written to ``validation.json`` in the run folder, the Brian2 rasters with each trial's
conditions to ``validation_rasters.nwb`` (Neo), and a summary is printed. ``ok`` is true when every
raster is identical and the readouts agree to ``output_atol`` (the bar in float64; float32 and GPU
devices report their agreement instead).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from lsnn.models import NetworkSpec, simulate

from .config import TrainConfig
from .model import LSNN
from .tasks import Task, TaskBatch
from .trainer import build_task, test_batches, write_text_atomic

#: Largest readout difference (volts) accepted as agreement in float64.
OUTPUT_ATOL = 1e-9
#: V(t) of the Brian2 run is recorded (and compared) only when it takes at most this many bytes.
V_RECORD_BYTES = 512 * 1024**2


def regenerate_test_set(cfg: TrainConfig, task: Task, n_trials: int | None = None) -> TaskBatch:
    """The first ``n_trials`` trials of the run's held-out test set (identical to the trainer's)."""
    n_total = cfg.n_test if n_trials is None else int(n_trials)
    if n_total < 1:
        raise ValueError("the number of validation trials must be at least 1.")
    parts: list[TaskBatch] = []
    batches = test_batches(task, cfg.n_test, cfg.test_batch, cfg.test_seed)
    while sum(p.n_trials for p in parts) < n_total:
        parts.append(next(batches))
    x = np.concatenate([p.x for p in parts])[:n_total]
    labels = np.concatenate([p.labels for p in parts])[:n_total]
    conditions = {k: np.concatenate([p.conditions[k] for p in parts])[:n_total] for k in parts[0].conditions}
    return TaskBatch(x, labels, parts[0].windows, conditions, parts[0].phases)


def load_run(run_dir: str | os.PathLike) -> tuple[NetworkSpec, TrainConfig, Task]:
    """The trained network of a finished run folder, its training configuration and its task."""
    network_path = Path(run_dir) / "network.npz"
    if (Path(run_dir) / "baseline.pt").is_file():
        raise ValueError(f"{run_dir} is an ANN baseline (LSTM / tanh-RNN): it has no spiking network to simulate in Brian2.")
    if not network_path.is_file():
        raise FileNotFoundError(f"{network_path} does not exist; train the run to completion first (lsnn train ... --resume).")
    spec = NetworkSpec.load(network_path)
    if "config" not in spec.meta:
        raise ValueError(f"{network_path} carries no training configuration in its provenance; it was not written by lsnn train.")
    cfg = TrainConfig.from_dict(spec.meta["config"])
    return spec, cfg, build_task(cfg)


def first_divergence(a: np.ndarray, b: np.ndarray) -> tuple[int, int] | None:
    """(step, neuron) of the first differing entry of two (T, n) rasters, or None if identical."""
    diff = np.nonzero(a != b)
    if diff[0].size == 0:
        return None
    k = int(np.argmin(diff[0] * a.shape[1] + diff[1]))
    return int(diff[0][k]), int(diff[1][k])


def _plain_condition(value: np.ndarray) -> Any:
    """A trial's condition as JSON-safe numbers (NaN -> None)."""
    arr = np.asarray(value)
    if np.issubdtype(arr.dtype, np.floating):
        out = [None if np.isnan(v) else float(v) for v in arr.ravel()]
        return out if arr.ndim else out[0]
    return arr.tolist()


def _trial_annotations(batch: TaskBatch, dt: float) -> list[dict[str, Any]]:
    """Per-trial conditions, labels and readout windows (task phases), for the Neo segments."""
    common = {"window_start_s": (batch.windows[:, 0] * dt).tolist(), "window_stop_s": (batch.windows[:, 1] * dt).tolist(), "phases": list(batch.phases)}
    return [
        {"trial": k, "labels": batch.labels[k].tolist(), **common, **{key: _plain_condition(v[k]) for key, v in batch.conditions.items()}}
        for k in range(batch.n_trials)
    ]


def validate_run(
    run_dir: str | os.PathLike,
    *,
    device: str = "cpp_standalone",
    n_trials: int | None = None,
    dtype: torch.dtype = torch.float64,
    nwb: bool = True,
    progress: bool = True,
    output_atol: float = OUTPUT_ATOL,
) -> dict[str, Any]:
    """Compare PyTorch and Brian2 on the run's test set; write ``validation.json`` (see module docstring)."""
    run_dir = Path(run_dir)
    spec, cfg, task = load_run(run_dir)
    batch = regenerate_test_set(cfg, task, n_trials)
    n = batch.n_trials
    # V(t) is compared too when the recording fits in memory (trials x steps x neurons doubles)
    record_v = n * batch.x.shape[1] * spec.n_rec * 8 <= V_RECORD_BYTES
    t0 = time.perf_counter()
    res = simulate(spec, batch.x, device=device, record_v=record_v, progress=progress)
    brian_time = time.perf_counter() - t0

    net = LSNN.from_spec(spec, dtype=dtype)
    identical = np.zeros(n, dtype=bool)
    divergence: list[tuple[int, int] | None] = [None] * n
    max_dout = np.zeros(n)
    max_dv = np.full(n, np.nan)
    metric_torch: dict[str, float] = {}
    metric_brian: dict[str, float] = {}
    weights = 0
    t1 = time.perf_counter()
    step = max(1, cfg.test_batch)
    with torch.no_grad():
        for start in tqdm(range(0, n, step), desc="PyTorch", disable=not progress, leave=False):
            sub = batch.subset(slice(start, start + step))
            out = net(sub.x)
            spikes_t = out.spikes.numpy()
            outputs_t = out.outputs.numpy()
            spikes_b = res.spikes[start : start + step]
            outputs_b = res.outputs[start : start + step]
            for k in range(sub.n_trials):
                divergence[start + k] = first_divergence(spikes_t[k], spikes_b[k])
                identical[start + k] = divergence[start + k] is None
                max_dout[start + k] = float(np.max(np.abs(outputs_t[k] - outputs_b[k])))
                if record_v:
                    max_dv[start + k] = float(np.max(np.abs(out.v[k].numpy() - res.v[start + k])))
            w = int((sub.labels >= 0).sum())
            for key, value in task.metrics(out.outputs, sub).items():
                metric_torch[key] = metric_torch.get(key, 0.0) + value * w
            for key, value in task.metrics(torch.as_tensor(outputs_b), sub).items():
                metric_brian[key] = metric_brian.get(key, 0.0) + value * w
            weights += w
    torch_time = time.perf_counter() - t1
    diverged = [k for k in range(n) if divergence[k] is not None]
    report: dict[str, Any] = {
        "run_dir": str(run_dir),
        "device": device,
        "dtype": str(dtype).replace("torch.", ""),
        "n_trials": n,
        "n_steps": int(batch.x.shape[1]),
        "n_identical_rasters": int(identical.sum()),
        "agreement": float(identical.mean()),
        "max_abs_output_difference": float(max_dout.max()),
        "max_abs_v_difference": float(np.nanmax(max_dv)) if record_v else None,  # None: V not recorded (memory)
        "metric_torch": {k: v / max(weights, 1) for k, v in metric_torch.items()},
        "metric_brian2": {k: v / max(weights, 1) for k, v in metric_brian.items()},
        "first_divergences": [{"trial": k, "step": divergence[k][0], "neuron": divergence[k][1]} for k in diverged[:100]],
        "n_spikes": int(res.spikes.sum()),
        "brian2_wall_s": round(brian_time, 2),
        "brian2_loop_s": round(float(res.loop_time), 2),
        "torch_wall_s": round(torch_time, 2),
    }
    report["ok"] = bool(identical.all() and report["max_abs_output_difference"] <= output_atol)
    if nwb:
        from lsnn.models.neo_io import save_nwb, to_neo

        block = to_neo(res, spec, _trial_annotations(batch, spec.dt), name=f"validation of {run_dir.name}")
        report["nwb"] = str(save_nwb(block, run_dir / "validation_rasters.nwb", session_description=f"Brian2 ({device}) test set of {run_dir}"))
    write_text_atomic(run_dir / "validation.json", json.dumps(report, indent=2))
    return report


def summary(report: dict[str, Any]) -> str:
    """A few readable lines about a validation report."""
    lines = [
        f"{report['n_identical_rasters']}/{report['n_trials']} trials with identical rasters "
        f"({report['dtype']}, Brian2 {report['device']}, {report['n_steps']} steps, {report['n_spikes']} spikes)",
        f"max |output difference| = {report['max_abs_output_difference']:.2e} V"
        + ("" if report.get("max_abs_v_difference") is None else f", max |V difference| = {report['max_abs_v_difference']:.2e} V"),
        "metric PyTorch: " + ", ".join(f"{k} {v:.4f}" for k, v in report["metric_torch"].items()),
        "metric Brian2:  " + ", ".join(f"{k} {v:.4f}" for k, v in report["metric_brian2"].items()),
        f"time: Brian2 {report['brian2_wall_s']} s (loop {report['brian2_loop_s']} s), PyTorch {report['torch_wall_s']} s",
    ]
    for d in report["first_divergences"][:5]:
        lines.append(f"trial {d['trial']}: first divergence at step {d['step']}, neuron {d['neuron']}")
    lines.append("VALIDATED: identical" if report["ok"] else "NOT IDENTICAL")
    return "\n".join(lines)
