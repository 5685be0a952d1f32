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

import time
from pathlib import Path
from typing import Any

import numpy as np
import quantities as pq

from lsnn.analysis import binned_counts, imprinting, mean_rates
from lsnn.common.files import atomic_write_text
from lsnn.common.nwb import load_nwb
from lsnn.figures.store_recall import figure_accuracy, figure_imprinting, figure_store_recall_trial
from lsnn.training.config import make_config
from lsnn.training.runs import VALIDATION_RASTERS, reusable_validation, write_json
from lsnn.training.tasks.store_recall import RECALL, STORE
from lsnn.training.trainer import build_task, train
from lsnn.training.validate import validate_run

from .episodes import example_trial, threshold_dynamics
from .outputs import save_figure

MODELS = ("sfa", "lif")


def _say(msg: str) -> None:
    print(f"[lsnn demo] {msg}", flush=True)


def _validation(run: Path, device: str, n_trials: int, progress: bool) -> dict[str, Any]:
    """The run's validation on ``n_trials`` held-out trials, reused when it validated exactly that."""
    old = reusable_validation(run, device, "float64", n_trials, need_rasters=True)
    if old is not None:
        _say(f"reusing {run / 'validation.json'}")
        return old
    return validate_run(run, device=device, n_trials=n_trials, progress=progress)


def analyse_rasters(run: Path, step_duration: float) -> dict[str, Any]:
    """Rates and imprinting from the validation rasters (NWB read back through Neo)."""
    block = load_nwb(run / VALIDATION_RASTERS)
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
    write_json(out / "report.json", summary)
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
    lines += ["", "Figures: " + ", ".join(f"`{p}`" for p in summary["figures"]), "",
              f"Wall time: {summary['wall_s']:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in summary["stage_s"].items()) + ")."]
    return atomic_write_text(out / "report.md", "\n".join(lines) + "\n")


def _accuracy_by(test: dict[str, Any], keep) -> float:
    cells = [(v["accuracy"] * v["n"], v["n"]) for d, v in test.get("accuracy_by_delay", {}).items() if keep(float(d))]
    n = sum(c[1] for c in cells)
    return sum(c[0] for c in cells) / n if n else float("nan")


def run_demo(out: Path = Path("results/demo"), *, preset: str = "quick", device: str = "cpp_standalone",
             validation_trials: int | None = 512, example_device: str = "numpy", seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Run the whole pipeline into ``out`` (see module docstring) and return the summary.

    Paths in the summary (``report.json``: run folders, figures) are relative to ``out``, so the results
    folder can be moved or opened from anywhere (e.g. by ``notebooks/store_recall_demo.ipynb``)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    stage: dict[str, float] = {}
    summary: dict[str, Any] = {"preset": preset, "device": device, "models": {}, "figures": []}
    accuracies = {}
    for model in MODELS:
        cfg = make_config("store_recall", model, preset, seed=seed)
        name = f"store_recall-{model}-{preset}-s{seed}"
        run = out / "runs" / name
        n_validate = validation_trials or cfg.n_test
        summary["expected_delay_s"] = build_task(cfg).expected_delay
        _say(f"[1/4] training {model.upper()} network ({cfg.n_iterations} iterations, batch {cfg.batch_size}) -> {run}")
        t = time.perf_counter()
        result = train(cfg, run, resume=True, progress=progress)
        stage[f"train {model}"] = time.perf_counter() - t
        _say(f"      test accuracy {100 * result['test']['accuracy']:.1f} % on {result['test']['n_targets']} recalls")
        _say(f"[2/4] validating {model.upper()} in Brian2 {device} on {n_validate} test trials")
        t = time.perf_counter()
        val = _validation(run, device, n_validate, progress)
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
        figures = {f"store_recall_trial_{model}.png": figure_store_recall_trial(trial),
                   f"imprinting_{model}.png": figure_imprinting(np.array(analysis["store_selectivity_hz"]), np.array(analysis["recall_selectivity_hz"]),
                                                                 analysis["imprinting_index"], model.upper())}
        for file_name, fig in figures.items():
            save_figure(fig, out / file_name)
        summary["figures"] += list(figures)
        stage[f"figures {model}"] = time.perf_counter() - t
        accuracies[model.upper()] = result["test"]["accuracy"]
        summary["models"][model] = {
            "run_dir": f"runs/{name}", "test": result["test"], "validation": {k: v for k, v in val.items() if k != "first_divergences"},
            "accuracy_short": _accuracy_by(result["test"], lambda d: d <= 0.4 + 1e-9), "accuracy_long": _accuracy_by(result["test"], lambda d: d >= 1.0 - 1e-9),
            "analysis": analysis, "thresholds": thresholds, "example_trial_identical": bool(np.array_equal(trial.spikes, trial.spikes_brian2)),
        }
    save_figure(figure_accuracy(accuracies), out / "accuracy_sfa_vs_lif.png")
    summary["figures"].append("accuracy_sfa_vs_lif.png")
    summary["stage_s"] = {k: round(v, 1) for k, v in stage.items()}
    summary["wall_s"] = round(time.perf_counter() - t0, 1)
    report = write_report(out, summary)
    _say(f"wrote {report}")
    print(report.read_text())
    return summary
