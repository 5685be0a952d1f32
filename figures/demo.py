"""``lsnn demo``: the end-to-end main job (train -> validate in Brian2 -> analyse -> figures -> report).

On 1-D STORE-RECALL (eLife §2, expected delay 2 s) it

1. trains an SFA network and a LIF network (``quick`` preset; finished runs are reused),
2. validates both in Brian2 on their test sets (PyTorch float64 vs Brian2, spike for spike;
   reused when ``validation.json`` matches), writing the Brian2 rasters as NWB,
3. analyses the Brian2 rasters read back through Neo: firing rates, the imprinting of stored values
   (store vs recall selectivity), and the adaptive thresholds around STORE and RECALL cues,
4. draws the figures (eLife Fig. 1D-E style trial with Brian2 over PyTorch, accuracy bars, imprinting),
5. writes ``report.md`` and ``report.json`` in the results folder.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq
import torch
from neo import AnalogSignal, SpikeTrain

from lsnn.analysis import binned_counts, event_aligned_average, imprinting, mean_rates
from lsnn.models import simulate
from lsnn.models.neo_io import load_nwb
from lsnn.training import LSNN
from lsnn.training.config import make_config
from lsnn.training.tasks.store_recall import RECALL, STORE
from lsnn.training.trainer import build_task, train
from lsnn.training.validate import load_run, regenerate_test_set, validate_run

from .store_recall import TrialTraces, figure_accuracy, figure_imprinting, figure_store_recall_trial

MODELS = ("sfa", "lif")


def _say(msg: str) -> None:
    print(f"[lsnn demo] {msg}", flush=True)


def _validation(run: Path, device: str, n_trials: int | None, progress: bool) -> dict[str, Any]:
    path = run / "validation.json"
    if path.exists() and (run / "validation_rasters.nwb").exists():
        old = json.loads(path.read_text())
        _, cfg, _ = load_run(run)
        if old.get("device") == device and old.get("n_trials") == (n_trials or cfg.n_test) and old.get("dtype") == "float64":
            _say(f"reusing {path}")
            return old
    return validate_run(run, device=device, n_trials=n_trials, progress=progress)


def example_trial(run: Path, label: str, trial: int = 0, device: str = "numpy") -> TrialTraces:
    """One test trial through PyTorch (float64) and Brian2 (``device``), with thresholds."""
    spec, cfg, task = load_run(run)
    batch = regenerate_test_set(cfg, task, n_trials=trial + 1).subset(slice(trial, trial + 1))
    with torch.no_grad():
        out = LSNN.from_spec(spec)(batch.x)
    res = simulate(spec, batch.x[0], device=device, record_v=False, record_threshold=True, progress=False)
    return TrialTraces(
        x=batch.x[0], spikes=out.spikes[0].numpy(), thresholds=out.thresholds[0].numpy(), outputs=out.outputs[0].numpy(),
        spikes_brian2=res.spikes, thresholds_brian2=res.thresholds, outputs_brian2=res.outputs,
        commands=batch.conditions["command"][0], step_duration=task.step_duration, dt=spec.dt, beta=spec.beta, label=label,
    )


def threshold_dynamics(run: Path, n_trials: int = 64) -> dict[str, Any]:
    """Mean rise of the adaptive thresholds (A - b0, mV) of adaptive neurons around STORE and RECALL onsets."""
    spec, cfg, task = load_run(run)
    adaptive = np.flatnonzero(spec.beta != 0)
    if adaptive.size == 0:
        return {"adaptive_neurons": 0}
    batch = regenerate_test_set(cfg, task, n_trials=n_trials)
    with torch.no_grad():
        A = LSNN.from_spec(spec)(batch.x).thresholds.numpy()[:, :, adaptive] - spec.b0[adaptive]
    dt = spec.dt * pq.s
    signals = [AnalogSignal(A[k].mean(1, keepdims=True) * 1e3, units="mV", sampling_period=dt) for k in range(batch.n_trials)]
    duration = batch.x.shape[1] * spec.dt
    pre, post = min(0.2, 0.1 * duration), min(1.0, 0.4 * duration)  # seconds around each cue
    result: dict[str, Any] = {"adaptive_neurons": int(adaptive.size), "window_s": [-pre, post]}
    for name, code in (("store", STORE), ("recall", RECALL)):
        events = [SpikeTrain(np.flatnonzero(batch.conditions["command"][k] == code) * task.step_duration * pq.s, t_stop=duration * pq.s)
                  for k in range(batch.n_trials)]
        try:
            avg, n = event_aligned_average(signals, events, (-pre * pq.s, post * pq.s))
        except ValueError:  # no cue far enough from the trial edges
            result[name] = None
            continue
        trace = avg.magnitude[:, 0]
        result[name] = {"n_events": n, "mean_before_mV": float(trace[: max(1, int(pre / spec.dt))].mean()), "peak_after_mV": float(trace.max()),
                        "trace_mV": trace[:: max(1, int(0.02 / spec.dt))].round(4).tolist()}
    return result


def analyse_rasters(run: Path, step_duration: float) -> dict[str, Any]:
    """Rates and imprinting from the validation rasters (NWB read back through Neo)."""
    block = load_nwb(run / "validation_rasters.nwb")
    rates = np.stack([mean_rates(seg.spiketrains).magnitude for seg in block.segments]).mean(0)
    counts = binned_counts(block.segments, step_duration * pq.s)
    cmd = np.array([seg.annotations["command"] for seg in block.segments])
    labels = np.array([seg.annotations["labels"] for seg in block.segments])
    shown = np.array([seg.annotations["value_shown"] for seg in block.segments])
    stored = np.where(cmd == RECALL, labels, shown)
    imp = imprinting(counts, cmd == STORE, cmd == RECALL, stored, step_duration * pq.s)
    return {
        "rate_hz_mean": float(rates.mean()), "rate_hz_std": float(rates.std()), "rate_hz_min": float(rates.min()), "rate_hz_max": float(rates.max()),
        "imprinting_index": imp.index, "imprinting_p": imp.p_value, "n_store_steps": imp.n_store, "n_recall_steps": imp.n_recall,
        "store_selectivity_hz": imp.store_selectivity.magnitude.round(3).tolist(), "recall_selectivity_hz": imp.recall_selectivity.magnitude.round(3).tolist(),
    }


def write_report(out: Path, summary: dict[str, Any]) -> Path:
    """``report.json`` (everything) and ``report.md`` (the short readable version)."""
    (out / "report.json").write_text(json.dumps(summary, indent=2))
    lines = ["# LSNN demo: 1-D STORE-RECALL (eLife §2), SFA vs LIF", "",
             f"Preset `{summary['preset']}`, expected delay {summary['expected_delay_s']} s, Brian2 device `{summary['device']}`.", "",
             "| network | test accuracy | recalls (trials) | accuracy, delay <= 0.4 s | accuracy, delay >= 1 s | Brian2 == PyTorch rasters | max abs output diff | accuracy from Brian2 | rate (Hz) | imprinting r |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for model, r in summary["models"].items():
        v, a = r["validation"], r["analysis"]
        lines.append(f"| {model.upper()} | {100 * r['test']['accuracy']:.1f} % | {r['test']['n_targets']} ({r['test']['n_trials']}) | "
                     f"{100 * r['accuracy_short']:.1f} % | {100 * r['accuracy_long']:.1f} % | {v['n_identical_rasters']}/{v['n_trials']} | "
                     f"{v['max_abs_output_difference']:.1e} | {100 * v['metric_brian2']['accuracy']:.1f} % | {a['rate_hz_mean']:.1f} | {a['imprinting_index']:.2f} |")
    sfa = summary["models"].get("sfa", {}).get("thresholds", {})
    if sfa.get("store"):
        lines += ["", f"Adaptive thresholds (SFA, mean over {sfa['adaptive_neurons']} neurons): A - b0 = {sfa['store']['mean_before_mV']:.2f} mV before "
                  f"STORE cues, up to {sfa['store']['peak_after_mV']:.2f} mV in the {sfa['window_s'][1]:g} s after ({sfa['store']['n_events']} cues)."]
    lines += ["", "Figures: " + ", ".join(f"`{Path(p).name}`" for p in summary["figures"]), "",
              f"Wall time: {summary['wall_s']:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in summary["stage_s"].items()) + ")."]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _accuracy_by(test: dict[str, Any], keep) -> float:
    cells = [(v["accuracy"] * v["n"], v["n"]) for d, v in test.get("accuracy_by_delay", {}).items() if keep(float(d))]
    n = sum(c[1] for c in cells)
    return sum(c[0] for c in cells) / n if n else float("nan")


def run_demo(out: Path = Path("results/demo"), *, preset: str = "quick", device: str = "cpp_standalone",
             validation_trials: int | None = 512, example_device: str = "numpy", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Run the whole pipeline into ``out`` (see module docstring) and return the summary."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    stage: dict[str, float] = {}
    summary: dict[str, Any] = {"preset": preset, "device": device, "models": {}, "figures": []}
    accuracies = {}
    for model in MODELS:
        cfg = make_config("store_recall", model, preset, seed=seed)
        run = out / "runs" / f"store_recall-{model}-{preset}-s{seed}"
        summary["expected_delay_s"] = build_task(cfg).expected_delay
        _say(f"[1/4] training {model.upper()} network ({cfg.n_iterations} iterations, batch {cfg.batch_size}) -> {run}")
        t = time.perf_counter()
        result = train(cfg, run, resume=True, progress=progress)
        stage[f"train {model}"] = time.perf_counter() - t
        _say(f"      test accuracy {100 * result['test']['accuracy']:.1f} % on {result['test']['n_targets']} recalls")
        _say(f"[2/4] validating {model.upper()} in Brian2 {device} on {validation_trials or cfg.n_test} test trials")
        t = time.perf_counter()
        val = _validation(run, device, validation_trials, progress)
        stage[f"validate {model}"] = time.perf_counter() - t
        _say(f"      {val['n_identical_rasters']}/{val['n_trials']} identical rasters, max |output difference| {val['max_abs_output_difference']:.1e}")
        _say(f"[3/4] analysing {model.upper()} rasters (rates, imprinting, thresholds)")
        t = time.perf_counter()
        task = build_task(cfg)
        analysis = analyse_rasters(run, task.step_duration)
        thresholds = threshold_dynamics(run)
        stage[f"analyse {model}"] = time.perf_counter() - t
        _say(f"[4/4] figures for {model.upper()}")
        t = time.perf_counter()
        trial = example_trial(run, model.upper(), device=example_device)
        paths = [out / f"store_recall_trial_{model}.png", out / f"imprinting_{model}.png"]
        figure_store_recall_trial(trial).savefig(paths[0])
        figure_imprinting(np.array(analysis["store_selectivity_hz"]), np.array(analysis["recall_selectivity_hz"]), analysis["imprinting_index"], model.upper()).savefig(paths[1])
        summary["figures"] += [str(p) for p in paths]
        stage[f"figures {model}"] = time.perf_counter() - t
        accuracies[model.upper()] = result["test"]["accuracy"]
        summary["models"][model] = {
            "run_dir": str(run), "test": result["test"], "validation": {k: v for k, v in val.items() if k != "first_divergences"},
            "accuracy_short": _accuracy_by(result["test"], lambda d: d <= 0.4 + 1e-9), "accuracy_long": _accuracy_by(result["test"], lambda d: d >= 1.0 - 1e-9),
            "analysis": analysis, "thresholds": thresholds, "example_trial_identical": bool(np.array_equal(trial.spikes, trial.spikes_brian2)),
        }
    acc_path = out / "accuracy_sfa_vs_lif.png"
    figure_accuracy(accuracies).savefig(acc_path)
    summary["figures"].append(str(acc_path))
    summary["stage_s"] = {k: round(v, 1) for k, v in stage.items()}
    summary["wall_s"] = round(time.perf_counter() - t0, 1)
    report = write_report(out, summary)
    _say(f"wrote {report}")
    print(report.read_text())
    return summary
