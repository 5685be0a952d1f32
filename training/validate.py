"""Validation: a trained network re-simulated in Brian2 on its held-out trials and compared with PyTorch.

``validate_run(run_dir)`` loads the run's ``network.npz``, regenerates its held-out trials
(:func:`lsnn.training.runs.held_out_set`, the trainer's test set), runs them in Brian2 (C++ standalone by
default: one compilation for all trials) and in PyTorch (float64 by default), and reports per trial
whether the spike rasters are identical, the first step and neuron where they diverge, and the largest
readout (and V) difference; and, for the whole set, the task metric computed from Brian2's outputs next
to PyTorch's. ``validation.json`` (strict JSON, with the :func:`~lsnn.training.runs.validation_key` it
answers) and ``validation_rasters.nwb`` (Brian2 rasters, one Neo segment per trial with its conditions)
are written into the run folder. ``ok`` is true when every raster is identical and the readouts agree to
``output_atol``: the bar in float64. A float32 validation reports its agreement instead and is written
to ``validation_float32.json``, never over the float64 report.

Two-step route for environments without PyTorch (the GeNN and CUDA environments):
``write_reference(run_dir, n)`` (main environment) stores the held-out inputs and PyTorch's float64
rasters, readouts and potentials in ``validation_reference.npz`` (plain arrays, read without pickle);
``validate_run`` in an environment without torch compares Brian2 against that file (no task metric,
which needs the task's PyTorch code).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from lsnn.common.jsonsafe import json_safe
from lsnn.models.spec import NetworkSpec

from .runs import NETWORK, VALIDATION, VALIDATION_RASTERS, network_digest, validation_key, write_json

#: Largest readout difference (volts) accepted as agreement in float64.
OUTPUT_ATOL = 1e-9
#: V(t) of the Brian2 run is recorded (and compared) only when it takes at most this many bytes.
V_RECORD_BYTES = 512 * 1024**2
#: PyTorch's rasters for the two-step route (module docstring).
REFERENCE = "validation_reference.npz"


def first_divergence(a: np.ndarray, b: np.ndarray) -> tuple[int, int] | None:
    """(step, neuron) of the first differing entry of two (T, n) rasters, or None if identical."""
    diff = np.nonzero(a != b)
    if diff[0].size == 0:
        return None
    k = int(np.argmin(diff[0] * a.shape[1] + diff[1]))
    return int(diff[0][k]), int(diff[1][k])


def trial_annotations(labels: np.ndarray, windows: np.ndarray, conditions: dict[str, np.ndarray], phases, dt: float) -> list[dict[str, Any]]:
    """Per-trial conditions, labels and readout windows (task phases), for the Neo segments."""
    common = {"window_start_s": (windows[:, 0] * dt).tolist(), "window_stop_s": (windows[:, 1] * dt).tolist(), "phases": list(phases)}
    return [{"trial": k, "labels": labels[k].tolist(), **common, **{key: json_safe(np.asarray(v[k])) for key, v in conditions.items()}}
            for k in range(len(labels))]


class Comparison:
    """Accumulates the per-trial comparison of PyTorch and Brian2 rasters, readouts and potentials."""

    def __init__(self, n: int) -> None:
        self.divergence: list[tuple[int, int] | None] = [None] * n
        self.max_dout = np.zeros(n)
        self.max_dv = np.full(n, np.nan)

    def add(self, start: int, spikes_t, outputs_t, v_t, spikes_b, outputs_b, v_b) -> None:
        for k in range(len(spikes_t)):
            self.divergence[start + k] = first_divergence(spikes_t[k], spikes_b[k])
            self.max_dout[start + k] = float(np.max(np.abs(outputs_t[k] - outputs_b[k])))
            if v_t is not None and v_b is not None:
                self.max_dv[start + k] = float(np.max(np.abs(v_t[k] - v_b[k])))

    def report(self) -> dict[str, Any]:
        identical = np.array([d is None for d in self.divergence])
        diverged = [k for k, d in enumerate(self.divergence) if d is not None]
        return {
            "n_identical_rasters": int(identical.sum()),
            "agreement": float(identical.mean()),
            "max_abs_output_difference": float(self.max_dout.max()),
            "max_abs_output_difference_identical": float(self.max_dout[identical].max()) if identical.any() else None,
            "max_abs_v_difference": None if np.all(np.isnan(self.max_dv)) else float(np.nanmax(self.max_dv)),
            "first_divergences": [{"trial": k, "step": self.divergence[k][0], "neuron": self.divergence[k][1]} for k in diverged[:100]],
        }


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def validate_run(
    run_dir: str | os.PathLike,
    *,
    device: str = "cpp_standalone",
    n_trials: int | None = None,
    dtype: str = "float64",
    nwb: bool = True,
    progress: bool = True,
    output_atol: float = OUTPUT_ATOL,
    out: str | os.PathLike | None = None,
    current_noise: float | None = None,
) -> dict[str, Any]:
    """Compare PyTorch and Brian2 on the run's held-out trials; write the report (module docstring).

    ``dtype`` is the PyTorch precision, ``"float64"`` or ``"float32"`` (a ``torch.dtype`` is accepted too).
    Without PyTorch installed, Brian2 is compared against ``validation_reference.npz`` (:func:`write_reference`).
    ``out``: the folder of the report and rasters (default: the run folder; another one for a run on a
    read-only file system). ``current_noise`` (V per step): both simulators get this held-out noise current
    instead of the run's own (the eLife 12AX noise test of a network trained without noise); the report is then
    ``validation_noise<sigma>.json`` (and its rasters ``validation_rasters_noise<sigma>.nwb``), never the run's
    ``validation.json``.
    """
    from lsnn.models import simulate

    dtype = str(dtype).replace("torch.", "")
    if dtype not in ("float64", "float32"):
        raise ValueError(f"dtype must be float64 or float32; got {dtype!r}.")
    run_dir = Path(run_dir)
    out_dir = Path(out) if out is not None else run_dir
    if not _torch_available():
        if current_noise is not None:
            raise ValueError("a validation with another current noise needs PyTorch (the stored reference has the run's own noise).")
        return _validate_against_reference(run_dir, device, n_trials, nwb, progress, output_atol, out_dir)
    import dataclasses

    import torch

    from .heldout import iter_held_out
    from .noise import held_out_noise
    from .runs import held_out_set, load_run

    run = load_run(run_dir)
    suffix = ""
    if current_noise is not None:  # the configuration checks the value (range, finite, spiking model)
        run = run._replace(cfg=dataclasses.replace(run.cfg, current_noise=float(current_noise)))
        suffix = f"_noise{float(current_noise):g}"
    spec, cfg, task = run
    batch = held_out_set(cfg, task, n_trials)
    n = batch.n_trials
    record_v = n * batch.x.shape[1] * spec.n_rec * 8 <= V_RECORD_BYTES  # V compared too when it fits in memory
    t0 = time.perf_counter()
    noise = held_out_noise(cfg.current_noise, cfg.test_seed, 0, n, batch.x.shape[1], spec.n_rec)  # the trials' noise current
    res = simulate(spec, batch.x, i_ext=noise, device=device, record_v=record_v, progress=progress)
    brian_time = time.perf_counter() - t0

    comparison = Comparison(n)
    metric_torch: dict[str, float] = {}
    metric_brian: dict[str, float] = {}
    weights = start = 0
    t1 = time.perf_counter()
    for sub, out in iter_held_out(run, n, dtype=getattr(torch, dtype), record_state=record_v, batch=batch):
        stop = start + sub.n_trials
        comparison.add(start, out.spikes.numpy(), out.outputs.numpy(), None if out.v is None else out.v.numpy(),
                       res.spikes[start:stop], res.outputs[start:stop], None if res.v is None else res.v[start:stop])
        w = int((sub.labels >= 0).sum())
        for key, value in task.metrics(out.outputs, sub).items():
            metric_torch[key] = metric_torch.get(key, 0.0) + value * w
        for key, value in task.metrics(torch.as_tensor(res.outputs[start:stop]), sub).items():
            metric_brian[key] = metric_brian.get(key, 0.0) + value * w
        weights += w
        start = stop
    report: dict[str, Any] = {
        "run_dir": str(run_dir), "key": validation_key(run_dir, device, dtype, n), "device": device, "dtype": dtype,
        "n_trials": n, "n_steps": int(batch.x.shape[1]), "current_noise": cfg.current_noise, **comparison.report(),
        "metric_torch": {k: v / max(weights, 1) for k, v in metric_torch.items()},
        "metric_brian2": {k: v / max(weights, 1) for k, v in metric_brian.items()},
        "n_spikes": int(res.spikes.sum()), "brian2_wall_s": round(brian_time, 2),
        "brian2_loop_s": round(float(res.loop_time), 2), "torch_wall_s": round(time.perf_counter() - t1, 2),
    }
    annotations = trial_annotations(batch.labels, batch.windows, batch.conditions, batch.phases, spec.dt)
    return _finish(run_dir, spec, res, report, annotations, device, dtype, nwb, output_atol, out_dir, suffix)


def _finish(run_dir: Path, spec: NetworkSpec, res, report: dict[str, Any], annotations, device: str, dtype: str, nwb: bool,
            output_atol: float, out_dir: Path, suffix: str = "") -> dict[str, Any]:
    """Set ``ok``, write the rasters (float64 only) and the report (float32: its own file; ``suffix`` before the
    extension of both, e.g. ``_noise0.1``)."""
    report["ok"] = bool(report["n_identical_rasters"] == report["n_trials"] and report["max_abs_output_difference"] <= output_atol)
    if nwb and dtype == "float64":
        from lsnn.models.neo_io import save_rasters_nwb

        report["nwb"] = str(save_rasters_nwb(res, spec, out_dir / VALIDATION_RASTERS.replace(".nwb", f"{suffix}.nwb"), annotations,
                                             name=f"validation of {run_dir.name}",
                                             session_description=f"Brian2 ({device}) test set of {run_dir}"))
    name = VALIDATION if dtype == "float64" else f"validation_{dtype}.json"
    report["report"] = str(write_json(out_dir / name.replace(".json", f"{suffix}.json"), report))
    return report


def write_reference(run_dir: str | os.PathLike, n_trials: int | None = None, progress: bool = True) -> Path:
    """Store the held-out inputs and PyTorch's float64 rasters of a run for a Brian2 validation in an
    environment without PyTorch (module docstring); returns the file written."""
    import torch

    from lsnn.common.files import atomic_path

    from .heldout import held_out_activity
    from .runs import load_run

    run_dir = Path(run_dir)
    run = load_run(run_dir)
    n = run.cfg.n_test if n_trials is None else int(n_trials)
    act = held_out_activity(run, n, dtype=torch.float64, record_state=True)
    header = {"network_sha256": network_digest(run_dir), "n_trials": n, "phases": list(act.batch.phases),
              "current_noise": run.cfg.current_noise, "test_seed": run.cfg.test_seed,
              "conditions": {k: json_safe(v) for k, v in act.batch.conditions.items()}}
    arrays = {"x": act.batch.x, "labels": act.batch.labels, "windows": act.batch.windows, "spikes": act.spikes.astype(np.uint8),
              "outputs": act.outputs, "v": act.v,
              "__header__": np.frombuffer(json.dumps(header, allow_nan=False).encode(), dtype=np.uint8)}
    path = run_dir / REFERENCE
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def _validate_against_reference(run_dir: Path, device: str, n_trials: int | None, nwb: bool, progress: bool,
                                output_atol: float, out_dir: Path) -> dict[str, Any]:
    """The torch-free half of the two-step route: Brian2 against ``validation_reference.npz``."""
    from lsnn.models import simulate

    from .noise import held_out_noise

    path = run_dir / REFERENCE
    if not path.is_file():
        raise FileNotFoundError(f"PyTorch is not installed here and {path} does not exist: run `lsnn validate {run_dir} "
                                "--write-reference` in the main environment first, then validate here.")
    spec = NetworkSpec.load(run_dir / NETWORK)
    with np.load(path, allow_pickle=False) as ref:
        data = {k: ref[k] for k in ref.files}
    header = json.loads(data.pop("__header__").tobytes().decode())
    if header["network_sha256"] != network_digest(run_dir):
        raise ValueError(f"{path} was written for another network.npz; write it again in the main environment.")
    n = header["n_trials"] if n_trials is None else min(int(n_trials), header["n_trials"])
    x = data["x"][:n]
    noise = held_out_noise(header.get("current_noise", 0.0), header.get("test_seed", 0), 0, n, x.shape[1], spec.n_rec)
    t0 = time.perf_counter()
    res = simulate(spec, x, i_ext=noise, device=device, record_v=True, progress=progress)
    brian_time = time.perf_counter() - t0
    comparison = Comparison(n)
    comparison.add(0, data["spikes"][:n], data["outputs"][:n], data["v"][:n], res.spikes, res.outputs, res.v)
    report = {"run_dir": str(run_dir), "key": validation_key(run_dir, device, "float64", n), "device": device, "dtype": "float64",
              "n_trials": n, "n_steps": int(x.shape[1]), **comparison.report(), "metric_torch": None, "metric_brian2": None,
              "reference": str(path), "n_spikes": int(res.spikes.sum()), "brian2_wall_s": round(brian_time, 2),
              "brian2_loop_s": round(float(res.loop_time), 2), "torch_wall_s": None}
    conditions = {k: np.asarray(v)[:n] for k, v in header["conditions"].items()}
    annotations = trial_annotations(data["labels"][:n], data["windows"], conditions, header["phases"], spec.dt)
    return _finish(run_dir, spec, res, report, annotations, device, "float64", nwb, output_atol, out_dir)


def summary(report: dict[str, Any]) -> str:
    """A few readable lines about a validation report."""
    identical = report["n_identical_rasters"] == report["n_trials"]
    lines = [
        f"{report['n_identical_rasters']}/{report['n_trials']} trials with identical rasters "
        f"({report['dtype']}, Brian2 {report['device']}, {report['n_steps']} steps, {report['n_spikes']} spikes)",
        f"max |output difference| = {report['max_abs_output_difference']:.2e} V"
        + ("" if report.get("max_abs_v_difference") is None else f", max |V difference| = {report['max_abs_v_difference']:.2e} V"),
    ]
    if report.get("metric_torch"):
        lines += ["metric PyTorch: " + ", ".join(f"{k} {v:.4f}" for k, v in report["metric_torch"].items()),
                  "metric Brian2:  " + ", ".join(f"{k} {v:.4f}" for k, v in report["metric_brian2"].items())]
    lines.append(f"time: Brian2 {report['brian2_wall_s']} s (loop {report['brian2_loop_s']} s)"
                 + ("" if report.get("torch_wall_s") is None else f", PyTorch {report['torch_wall_s']} s"))
    for d in report["first_divergences"][:5]:
        lines.append(f"trial {d['trial']}: first divergence at step {d['step']}, neuron {d['neuron']}")
    if report["dtype"] == "float64":
        lines.append("VALIDATED: identical" if report["ok"] else "NOT IDENTICAL")
    else:
        lines.append(f"{report['dtype']}: rasters {'identical' if identical else 'differ'} "
                     f"({100 * report['agreement']:.1f} % of trials identical; the exactness bar applies to float64)")
    return "\n".join(lines)
