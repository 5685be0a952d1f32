"""The eLife 12AX noise test (Salaj et al. 2021, Fig. 3 text; specs §7): one network, trained without noise,
tested with Gaussian current noise added to every neuron's input current at each 1 ms step.

The paper's network (97.85 % success without noise) keeps 92.65 / 89.05 / 80.25 / 27.25 / 0.25 % of its
2,000 test episodes entirely right at sigma = 0.05 / 0.075 / 0.1 / 0.2 / 0.5. Here sigma is in volts per
step, the units of the input current R_m I (:mod:`lsnn.training.noise`): it enters the membrane update of
DESIGN.md's map as ``(1 - alpha) * sigma * xi``, so a free membrane (no threshold) would fluctuate with the
stationary standard deviation ``sigma (1 - alpha) / sqrt(1 - alpha^2)`` -- 7.9 mV for sigma = 0.05 at
tau_m = 20 ms, against a 30 mV threshold. The table gives that number beside sigma.

:func:`noise_test` evaluates a finished run at each sigma (and without noise) on the same held-out trials
(each trial keeps its own noise stream, :func:`lsnn.training.noise.held_out_noise`), :func:`write_noise_test`
writes ``noise_test.csv`` / ``.json`` / ``.md`` and the figure. ``lsnn evaluate RUN --current-noise 0.05
0.075 0.1 0.2 0.5`` runs both; ``lsnn validate RUN --current-noise SIGMA`` re-simulates one noise level in
Brian2 spike for spike.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsnn.common.files import atomic_write_text
from lsnn.training.runs import write_json

from . import published
from .outputs import save_csv, save_figure

#: The paper's noise levels (V per step).
PAPER_SIGMAS = tuple(sorted(published.ELIFE_12AX_NOISE_TEST))


def free_membrane_sd(sigma: float, tau_m: np.ndarray, dt: float) -> float:
    """Stationary s.d. (V) of ``v(t) = alpha v(t-1) + (1 - alpha) sigma xi(t)`` with ``alpha = exp(-dt / tau_m)``,
    averaged over the neurons: ``sigma (1 - alpha) / sqrt(1 - alpha^2)`` -- what the noise alone does to a
    membrane without threshold."""
    alpha = np.exp(-dt / np.asarray(tau_m, dtype=float))
    return float(np.mean(sigma * (1 - alpha) / np.sqrt(1 - alpha**2)))


def noise_test(run_dir: str | os.PathLike, sigmas, *, n_trials: int | None = None, dtype: str = "float32",
               batch_size: int | None = None, progress: bool = True, out: str | os.PathLike | None = None) -> pd.DataFrame:
    """Evaluate the run at noise level 0 and at each of ``sigmas`` (V per step) on its first ``n_trials`` held-out
    trials (default: its test set); one ``evaluation_<dtype>_noise<sigma>.json`` per level in ``out`` (default:
    the run folder). Returns one row per level: sigma, the free-membrane s.d. (mV), the task's metrics (%), the
    firing rate and, for 12AX, the paper's success rate at that level."""
    from lsnn.training.evaluation import evaluate_run
    from lsnn.training.runs import load_run

    levels = sorted({0.0, *(float(s) for s in sigmas)})
    spec, cfg, _ = load_run(run_dir)
    if cfg.model in ("lstm", "rnn"):
        raise ValueError(f"current noise is injected into spiking neurons; the {cfg.model} baseline has none.")
    paper = published.ELIFE_12AX_NOISE_TEST if cfg.task == "12ax" else {}
    rows = []
    for sigma in levels:
        report = evaluate_run(run_dir, n_trials, dtype, batch_size, progress=progress, out=out, current_noise=sigma)
        rows.append({"sigma": sigma, "membrane_sd_mV": 1e3 * free_membrane_sd(sigma, spec.tau_m, spec.dt),
                     **{m: 100 * report[m] for m in ("success", "accuracy") if report.get(m) is not None},
                     "rate_hz": report.get("rate_hz"), "n_trials": report["n_trials"], "paper": paper.get(sigma)})
    return pd.DataFrame(rows)


def write_noise_test(frame: pd.DataFrame, out: str | os.PathLike, run_dir: str | os.PathLike, variant: str = "") -> dict[str, Path]:
    """``noise_test.csv`` (one row per level), ``noise_test.json``, ``noise_test.md`` (the table next to the
    paper's numbers) and ``noise_test.png`` in ``out``; returns their paths. ``variant``: the reduced task's
    label (e.g. ``TwelveAX.variant``), printed in the table's title and the figure's."""
    from lsnn.figures.noise_test import figure_noise_test

    out = Path(out)
    metric = "success" if "success" in frame else "accuracy"
    shown = pd.DataFrame({
        "free-membrane s.d., mV": [f"{v:.1f}" for v in frame["membrane_sd_mV"]],
        **({"episodes entirely right, %": [f"{v:.2f}" for v in frame["success"]]} if "success" in frame else {}),
        **({"answers right, %": [f"{v:.2f}" for v in frame["accuracy"]]} if "accuracy" in frame else {}),
        "paper, %": ["-" if p is None or pd.isna(p) else f"{p:g}" for p in frame["paper"]],
        "rate, Hz": ["-" if r is None or pd.isna(r) else f"{r:.1f}" for r in frame["rate_hz"]],
    }, index=pd.Index([f"{s:g}" for s in frame["sigma"]], name="sigma, V per step"))
    from .reproduce import markdown_table

    title = f"Noise test of {Path(run_dir).name}" + (f" ({variant})" if variant else "")
    lines = [f"# {title}", "",
             "One network trained without noise, tested with Gaussian current noise of s.d. sigma (V per 1 ms step, the units of "
             "R_m I) into every neuron at every step (eLife Fig. 3 text; the paper's column: 12AX, its network at 97.85 % "
             "without noise, 2,000 episodes of 90 symbols of 500 ms).", "",
             markdown_table(shown), "",
             f"{int(frame['n_trials'].iloc[0])} held-out trials per level, each with its own noise stream (the same trials at "
             "every level). Free-membrane s.d.: sigma (1 - alpha) / sqrt(1 - alpha^2), what the noise alone does to a membrane "
             "without threshold (threshold 30 mV above rest in the paper's 12AX network).",
             *([f"This is a reduced task ({variant}): an episode that is shorter than the paper's gives the noise fewer chances "
                "to cause an error, so its success falls more slowly; compare the shapes of the curves, and the answers."]
               if variant else [])]
    paths = {"csv": save_csv(frame, out / "noise_test.csv"), "md": out / "noise_test.md", "json": out / "noise_test.json"}
    atomic_write_text(paths["md"], "\n".join(lines) + "\n")
    record: dict[str, Any] = {"run_dir": str(run_dir), "variant": variant, "metric": metric,
                              "levels": frame.replace({np.nan: None}).to_dict(orient="records")}
    write_json(paths["json"], record)
    paths["png"] = save_figure(figure_noise_test(frame, title), out / "noise_test.png")
    return paths
