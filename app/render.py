"""``lsnn figures FOLDER [--out DIR]``: the paper's figures of a run folder or a results folder.

What the folder is decides what is drawn (PNG files, written into ``--out``, default ``FOLDER/figures``):

=================================  ===================================================================
folder                             figures
=================================  ===================================================================
run folder (``lsnn train``)        ``training_curves.png``; when finished, one held-out trial of the
                                   task: ``store_recall_trial.png`` (eLife Fig. 1D-E style, Brian2 over
                                   PyTorch), ``12ax_episode.png`` (Fig. 3B), ``sequences.png`` and
                                   ``selectivity.png`` and ``task_sequences.png`` (duplication/reversal,
                                   Fig. 4B-F, poster B), ``memory_decoding.png`` (20-D STORE-RECALL, Fig. 2A),
                                   ``speech_trial.png`` (TIMIT, Speech Commands), else ``trial.png``;
                                   ``intrinsic_timescales.png`` (eLife Appendix 1 §1: time scales and
                                   adaptation indices of LIF and ALIF neurons)
Table 1 results (``reproduce``)    ``table1.png`` (ours next to the paper's)
comparison results (``reproduce``) ``<name>.png`` (bars per variant, the paper's values as ticks)
L2L results (``reproduce``)        ``<family>-s<seed>_learning_curve.png`` (NeurIPS Fig. 2C),
                                   ``_step_errors.png`` (2E/F), ``_episode.png`` (2D),
                                   ``_internal_model.png`` (2G/H) or ``_sine_prior.png`` (2I)
meta-RL run or results             ``<run>_learning_curves.png`` (NeurIPS Fig. 3A/B), ``_paths.png``
                                   (3C/D), ``_connectivity.png`` (S1B), ``_activity.png`` (S1C)
sMNIST results (``reproduce``)     ``neurips-smnist.png`` (NeurIPS Fig. 1B: bars per row and setup),
                                   ``time_to_accuracy.png`` (the runs' periodic tests, unfinished too)
demo results (``lsnn demo``)       accuracy bars, example trials and imprinting of both networks
=================================  ===================================================================
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from .outputs import save_figure as _save
from .outputs import writable_folder

logger = logging.getLogger(__name__)

#: Episodes of a duplication/reversal run analysed for its Fig. 4 panels (at most the test set).
DUPREV_EPISODES = 300
#: Brian2 device of the rasters decoded for Fig. 2A (512 trials of 2 s: compiled once, run as one program).
DECODING_DEVICE = "cpp_standalone"
#: Held-out trials whose spike counts give the intrinsic time scales (at most the test set).
TIMESCALE_TRIALS = 256


def _comparison_names(folder: Path) -> list[str]:
    return sorted(p.name[: -len("_runs.csv")] for p in folder.glob("*_runs.csv")
                  if p.name not in ("table1_runs.csv", "neurips-smnist_runs.csv", "neurips-l2l_runs.csv", "neurips-metarl_runs.csv"))


def folder_kind(folder: Path) -> str:
    """``run``, ``table1``, ``smnist``, ``l2l``, ``metarl``, ``comparison``, ``demo`` or a ``ValueError`` saying what the folder lacks."""
    if (folder / "config.json").is_file():
        return "run"
    if (folder / "table1_runs.csv").is_file():
        return "table1"
    if (folder / "neurips-smnist_runs.csv").is_file():
        return "smnist"
    if (folder / "neurips-l2l_runs.csv").is_file():
        return "l2l"
    if (folder / "neurips-metarl_runs.csv").is_file():
        return "metarl"
    if _comparison_names(folder):
        return "comparison"
    if (folder / "report.json").is_file():
        return "demo"
    raise ValueError(f"{folder} is neither a run folder (config.json) nor a results folder of lsnn reproduce "
                     "(table1_runs.csv, <name>_runs.csv) or lsnn demo (report.json).")


def run_figures(run_dir: Path, out: Path, device: str = "numpy") -> list[Path]:
    """Learning curves and a held-out trial of one run (module docstring)."""
    from lsnn.figures.runs import figure_training_curves
    from lsnn.training.runs import METRICS, NETWORK, read_config

    cfg = read_config(run_dir)
    if cfg.task == "metarl_navigation":
        from .metarl import metarl_figures

        return metarl_figures(run_dir, out)
    from lsnn.training.trainer import build_task

    written = []
    variant = build_task(cfg).variant
    label = f"{cfg.task} / {cfg.model} ({run_dir.name})" + (f"\n{variant}" if variant else "")
    metrics_path = run_dir / METRICS
    if metrics_path.is_file() and metrics_path.stat().st_size:
        metrics = pd.read_json(metrics_path, lines=True)
        written.append(_save(figure_training_curves(metrics, label), out / "training_curves.png"))
    if cfg.eval_every:
        from lsnn.app.smnist import accuracy_curve
        from lsnn.figures.smnist import figure_time_to_accuracy

        curve = accuracy_curve(run_dir)
        if not curve.empty:
            written.append(_save(figure_time_to_accuracy(curve, title=f"{label}\nperiodic tests on "
                                                         f"{int(curve['n_trials'].iloc[0])} held-out trials (accuracy of the answers)"),
                                 out / "time_to_accuracy.png"))
    if not (run_dir / NETWORK).is_file():
        return written  # unfinished run, or an ANN baseline: no spiking network to draw
    draw: dict[str, Callable[[Path, Path, str], list[Path]]] = {
        "store_recall": _store_recall_trial, "12ax": _twelve_ax, "duplication_reversal": _duplication_reversal, "smnist": _smnist,
        "store_recall_20d": _memory_decoding, "timit": _speech, "gsc": _speech}
    return written + draw.get(cfg.task, _generic_trial)(run_dir, out, device) + _timescales(run_dir, out)


def _timescales(run_dir: Path, out: Path) -> list[Path]:
    """Intrinsic time scales of the neurons by kind (eLife Appendix 1 §1) and their adaptation indices,
    where the held-out trials are long enough for the 500 ms window."""
    from lsnn.app.timescales import network_timescales, neuron_adaptation_indices
    from lsnn.figures.timescales import figure_intrinsic_timescales

    try:
        found = network_timescales(run_dir, TIMESCALE_TRIALS)
    except ValueError as exc:
        logger.warning("intrinsic_timescales.png not drawn: %s", exc)
        return []
    from lsnn.models.spec import NetworkSpec
    from lsnn.training.runs import NETWORK

    adaptation = neuron_adaptation_indices(NetworkSpec.load(run_dir / NETWORK))
    kinds = list(dict.fromkeys(found.kinds))
    tau = np.asarray(found.result.tau.magnitude)
    fig = figure_intrinsic_timescales({k: found.result.autocorrelation[found.kinds == k] for k in kinds}, found.result.lags.magnitude,
                                      {k: tau[found.kinds == k] for k in kinds}, {k: adaptation[found.kinds == k] for k in kinds},
                                      title=f"{run_dir.name}: 50 ms bins in [0, 500) ms of {found.n_trials} held-out trials",
                                      step="each neuron alone, step of 1.5 b0 for 2 s")
    return [_save(fig, out / "intrinsic_timescales.png")]


def _store_recall_trial(run_dir: Path, out: Path, device: str) -> list[Path]:
    from lsnn.app.episodes import example_trial
    from lsnn.figures.store_recall import figure_store_recall_trial

    model = json.loads((run_dir / "config.json").read_text())["model"].upper()
    return [_save(figure_store_recall_trial(example_trial(run_dir, model, 0, device)), out / "store_recall_trial.png")]


def _twelve_ax(run_dir: Path, out: Path, device: str) -> list[Path]:
    from lsnn.app.episodes import twelve_ax_episode
    from lsnn.figures.twelve_ax import figure_12ax_episode

    ep = twelve_ax_episode(run_dir, 0)
    return [_save(figure_12ax_episode(ep, t_max=min(15.0, len(ep.symbols) * ep.step_duration)), out / "12ax_episode.png")]


def _duplication_reversal(run_dir: Path, out: Path, device: str) -> list[Path]:
    from lsnn.analysis import anova_selectivity, categories_per_neuron, cross_validated_sequence, rate_selection, selectivity_counts
    from lsnn.app.episodes import episode_activity, task_sequences
    from lsnn.figures.spike_codes import figure_selectivity, figure_sequences, figure_task_sequences
    from lsnn.training.runs import read_config

    cfg = read_config(run_dir)
    act = episode_activity(run_dir, min(DUPREV_EPISODES, cfg.n_test))
    rng = np.random.default_rng(0)
    sequence = figure_sequences(cross_validated_sequence(act.counts, rng), act.bin_size, event_label="episode start")
    written = [_save(_with_variant(sequence, act.variant), out / "sequences.png")]
    sequences = task_sequences(run_dir, n_episodes=min(DUPREV_EPISODES, cfg.n_test), bin_size=act.bin_size)
    written.append(_save(figure_task_sequences(sequences), out / "task_sequences.png"))
    keep = rate_selection(act.selectivity_counts, act.step_duration)
    try:
        if not keep.any():
            raise ValueError("no neuron fires 2-60 Hz")
        table = anova_selectivity(act.selectivity_counts[:, keep], act.factors)
    except ValueError as exc:  # too few episodes or active neurons for the 3-way ANOVA: say so, draw the rest
        logger.warning("selectivity.png not drawn: %s", exc)
        return written
    written.append(_save(_with_variant(figure_selectivity(selectivity_counts(table), categories_per_neuron(table), int(keep.sum())), act.variant),
                         out / "selectivity.png"))
    return written


def _with_variant(fig, variant: str):
    """Print a reduced task variant above the figure (nothing for the paper's task)."""
    if variant:
        fig.suptitle(f"task variant -- {variant}", fontsize=8, style="italic")
    return fig


def _speech(run_dir: Path, out: Path, device: str) -> list[Path]:
    from lsnn.app.speech import speech_trial
    from lsnn.figures.speech import figure_speech_trial

    return [_save(figure_speech_trial(speech_trial(run_dir, 0)), out / "speech_trial.png")]


def _memory_decoding(run_dir: Path, out: Path, device: str) -> list[Path]:
    from lsnn.app.decoding import memory_decoding
    from lsnn.figures.store_recall import figure_memory_decoding

    written = _generic_trial(run_dir, out, device)
    try:
        found = memory_decoding(run_dir, device=DECODING_DEVICE)
    except ValueError as exc:  # too few RECALLs per word in a small test set: say so, keep the rest
        logger.warning("memory_decoding.png not drawn: %s", exc)
        return written
    title = f"{run_dir.name}: {found.n_trials} held-out trials, Brian2 {found.device}"
    return [*written, _save(figure_memory_decoding(found.table(), title), out / "memory_decoding.png")]


def _smnist(run_dir: Path, out: Path, device: str) -> list[Path]:
    from lsnn.app.smnist import digit_trial, network_connectivity
    from lsnn.figures.smnist import figure_connectivity, figure_smnist_trial
    from lsnn.models.spec import NetworkSpec
    from lsnn.training.runs import NETWORK

    table = network_connectivity(NetworkSpec.load(run_dir / NETWORK))
    return [_save(figure_connectivity(table, f"connection probabilities (%), {run_dir.name}"), out / "smnist_connectivity.png"),
            _save(figure_smnist_trial(**digit_trial(run_dir, 0)), out / "smnist_digit.png")]


def _generic_trial(run_dir: Path, out: Path, device: str) -> list[Path]:
    from lsnn.figures.runs import figure_trial
    from lsnn.training.heldout import held_out_activity
    from lsnn.training.runs import load_run

    run = load_run(run_dir)
    act = held_out_activity(run, 1, record_state=False)
    windows = act.batch.windows[act.batch.labels[0] >= 0]
    return [_save(figure_trial(act.batch.x[0], act.spikes[0], act.outputs[0], run.spec.dt, analog_input=run.spec.input_kind == "analog",
                               windows=windows, title=f"{run.cfg.task}: held-out trial 0 ({run.cfg.model})"), out / "trial.png")]


def smnist_curves(runs: Path) -> dict[str, pd.DataFrame]:
    """Accuracy curves of the run folders under ``runs`` that have periodic tests, unfinished runs included
    (labelled with how far they got)."""
    from lsnn.app.smnist import accuracy_curve
    from lsnn.training.runs import TEST

    curves = {}
    for run in sorted(p for p in runs.glob("*") if (p / "config.json").is_file()) if runs.is_dir() else []:
        curve = accuracy_curve(run)
        if curve.empty:
            continue
        cfg = json.loads((run / "config.json").read_text())
        done = "" if (run / TEST).is_file() else f" (unfinished: {int(curve['iteration'].iloc[-1]):,} of {cfg['n_iterations']:,} it)"
        curves[run.name + done] = curve
    return curves


def _l2l_figures(folder: Path, out: Path) -> list[Path]:
    """Per run of ``lsnn reproduce neurips-l2l``: Fig. 2C (learning curve vs the linear predictor) and Fig. 2E/F
    (error per step of new episodes: the network, the online linear predictor, backprop on target networks)."""
    from lsnn.figures.l2l import figure_l2l_learning_curve, figure_l2l_step_errors

    frame = pd.read_csv(folder / "neurips-l2l_runs.csv")
    written = []
    for row in frame.itertuples():
        name = f"{row.family}-s{row.seed}"
        run = folder / "runs" / name
        if (run / "l2l_errors.npz").is_file():
            with np.load(run / "l2l_errors.npz") as data:
                errors = {"LSNN": data["network"], "linear predictor": np.pad(data["linear_online"], ((0, 0), (1, 0)), constant_values=np.nan)}
                if "backprop" in data.files:
                    errors["backprop (2-10-1)"] = data["backprop"]
            written.append(_save(figure_l2l_step_errors(errors, f"{row.family}: new functions learned within an episode ({name})"),
                                 out / f"{name}_step_errors.png"))
        if (run / "metrics.jsonl").is_file():
            curve = pd.read_json(run / "metrics.jsonl", lines=True)
            cfg = json.loads((run / "config.json").read_text())
            std = row.linear_mse_std if np.isfinite(row.linear_mse_std) else 0.0
            written.append(_save(figure_l2l_learning_curve(curve, row.linear_mse, std, f"{row.family}: outer-loop training ({name})",
                                                           network_mse=row.mse, n_episodes=int(row.n_episodes),
                                                           n_test_curve=min(cfg.get("eval_trials", 0), cfg["n_test"])),
                                 out / f"{name}_learning_curve.png"))
        if (run / "network.npz").is_file():
            written += _l2l_episode_figures(run, row.family, name, out)
    return written


def _l2l_episode_figures(run: Path, family: str, name: str, out: Path) -> list[Path]:
    """Fig. 2D (the first 25 steps of a new episode) and the internal model: Fig. 2G/H (target networks, a 1-D
    slice) or Fig. 2I (sines, examples from one narrow region)."""
    from lsnn.app.l2l import episode_activity, sine_prior, target_network_slice
    from lsnn.figures.l2l import figure_l2l_episode, figure_l2l_internal_model

    a = episode_activity(run)
    written = [_save(figure_l2l_episode(a.inputs, a.spikes, a.adaptive, a.predictions, a.targets, a.step_duration, a.dt,
                                        title=f"D  {family}: the first {len(a.targets)} steps of a new episode ({name})"),
                     out / f"{name}_episode.png")]
    if family == "target_nets":
        m = target_network_slice(run)
        title, xlabel, stem = f"G/H  a new target network on the slice x2 = 0 ({name})", "x1 (x2 = 0)", "internal_model"
    else:
        m = sine_prior(run)
        lo, hi = m.x.min(), m.x.max()
        title, xlabel, stem = f"I  a new sine, examples only from x in [{lo:.1f}, {hi:.1f}] ({name})", "x", "sine_prior"
    written.append(_save(figure_l2l_internal_model(m.probes[:, 0], m.after, m.predictions, m.truth, m.x, m.targets, xlabel,
                                                   title + "\nanswers to probes, mean over 4 input-spike draws"), out / f"{name}_{stem}.png"))
    return written


def results_figures(folder: Path, out: Path, kind: str) -> list[Path]:
    """Figures of a results folder of ``lsnn reproduce`` or ``lsnn demo``."""
    if kind == "table1":
        from lsnn.figures.table1 import figure_table1

        return [_save(figure_table1(pd.read_csv(folder / "table1_runs.csv")), out / "table1.png")]
    if kind == "smnist":
        from lsnn.figures.smnist import figure_smnist_accuracy

        written = [_save(figure_smnist_accuracy(pd.read_csv(folder / "neurips-smnist_runs.csv")), out / "neurips-smnist.png")]
        curves = smnist_curves(folder / "runs")
        if curves:
            from lsnn.figures.smnist import figure_time_to_accuracy

            n = {int(c["n_trials"].iloc[0]) for c in curves.values()}
            written.append(_save(figure_time_to_accuracy(curves, title="sequential MNIST: periodic tests on the first "
                                                         f"{'/'.join(map(str, sorted(n)))} test digits, and the final test"),
                                 out / "time_to_accuracy.png"))
        return written
    if kind == "l2l":
        return _l2l_figures(folder, out)
    if kind == "metarl":
        from .metarl import metarl_figures

        frame = pd.read_csv(folder / "neurips-metarl_runs.csv")
        return [path for row in frame.itertuples() for path in metarl_figures(folder / "runs" / f"{row.row}-s{row.seed}", out)]
    if kind == "comparison":
        from lsnn.figures.comparison import figure_comparison

        from .published import PAPER_LABELS

        written = []
        for name in _comparison_names(folder):
            info = json.loads((folder / f"{name}.json").read_text()) if (folder / f"{name}.json").is_file() else {}
            metric = info.get("metric_label") or {"accuracy": "accuracy", "success": "episodes entirely right"}.get(info.get("metric"), "accuracy")
            data = info.get("data", "")
            note = ""
            if "SYNTHETIC" in data:
                note = "data: SYNTHETIC corpus"
            elif data.startswith("reduced"):  # a reduced task variant (12AX --preset reduced): what it changes, and the budget
                note = f"REDUCED task: {data.split(': ', 1)[-1]}" + (f"; {info['n_iterations']} iterations per run" if info.get("n_iterations") else "")
            fig = figure_comparison(pd.read_csv(folder / f"{name}_runs.csv"), info.get("title", name), metric, note,
                                    paper_label=PAPER_LABELS.get(name, "paper"))
            written.append(_save(fig, out / f"{name}.png"))
        return written
    from lsnn.app.episodes import example_trial
    from lsnn.figures.store_recall import figure_accuracy, figure_imprinting, figure_store_recall_trial

    report = json.loads((folder / "report.json").read_text())
    written = [_save(figure_accuracy({m.upper(): r["test"]["accuracy"] for m, r in report["models"].items()}), out / "accuracy_sfa_vs_lif.png")]
    for model, r in report["models"].items():
        written.append(_save(figure_store_recall_trial(example_trial(folder / r["run_dir"], model.upper())), out / f"store_recall_trial_{model}.png"))
        a = r["analysis"]
        written.append(_save(figure_imprinting(np.array(a["store_selectivity_hz"]), np.array(a["recall_selectivity_hz"]), a["imprinting_index"],
                                               model.upper()), out / f"imprinting_{model}.png"))
    return written


def render(folder: str | os.PathLike, out: str | os.PathLike | None = None, device: str = "numpy") -> list[Path]:
    """Draw the figures of ``folder`` into ``out`` (default ``folder/figures``); returns the files written.
    ``device``: the Brian2 device of re-simulations drawn over PyTorch (STORE-RECALL trials)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder at {folder}.")
    kind = folder_kind(folder)
    out = writable_folder(Path(out) if out is not None else folder / "figures")
    return run_figures(folder, out, device) if kind == "run" else results_figures(folder, out, kind)
