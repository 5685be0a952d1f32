"""Sequential MNIST of Bellec et al. 2018 (NeurIPS): ``lsnn reproduce neurips-smnist`` and the data of Fig. 1.

Rows of Tables S1/S2 (:data:`ROWS`): the DEEP R LSNN (120 LIF + 100 ALIF, 12 % connectivity, E/I with
Dale's law), the fully connected LSNN, the fully connected 220-neuron LIF network, LSTM 128 and tanh RNN
128; setups (:data:`SETUPS`): 1 ms per pixel (tau_a 700 ms) and 2 ms per pixel (tau_a 1400 ms). Every
(row, setup, seed) is one run of the trainer in ``OUT/runs/`` (resumable; finished runs reused), its
spiking networks validated in Brian2 on the first test digits, and ``OUT/neurips-smnist.md`` lists our
mean +- std and max next to the paper's, with firing rates, the connection probabilities after DEEP R,
the training time to 60 / 80 / 90 % test accuracy, and wall times.

Fig. 1: :func:`network_populations` and :func:`network_connectivity` (C), :func:`digit_trial` (D),
:func:`accuracy_curve` (time to accuracy).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lsnn.common.files import atomic_write_text
from lsnn.training.config import make_config
from lsnn.training.runs import METRICS, write_json

from . import published
from .outputs import save_csv
from .reproduce import Cell, markdown_table, run_cells

NAME = "neurips-smnist"
#: Rows of Tables S1/S2: (model, configuration overrides on the sMNIST preset of that model).
ROWS: dict[str, tuple[str, dict[str, Any]]] = {
    "deep-r-lsnn": ("sfa", {}),
    "lsnn": ("sfa", {"connectivity": None, "dale": False}),
    "lif": ("lif", {}),
    "lstm": ("lstm", {}),
    "rnn": ("rnn", {}),
}
#: Setups: milliseconds per pixel and the adaptation time constant that goes with it (NeurIPS suppl.).
SETUPS: dict[str, dict[str, Any]] = {"1ms": {"task_params.ms_per_pixel": 1, "tau_a": 0.7},
                                     "2ms": {"task_params.ms_per_pixel": 2, "tau_a": 1.4}}
#: Rows and setups run by default, and test digits validated in Brian2 per spiking run, per preset.
PRESETS: dict[str, dict[str, Any]] = {
    "quick": {"rows": ("deep-r-lsnn", "lif"), "setups": ("1ms",), "validate_trials": 256},
    "paper": {"rows": tuple(ROWS), "setups": tuple(SETUPS), "validate_trials": 256},
    "tiny": {"rows": ("deep-r-lsnn", "lif"), "setups": ("1ms",), "validate_trials": 2},
}
#: The accuracy curve of a run as a table (shipped beside a network without its metrics.jsonl).
CURVE = "accuracy_curve.csv"
#: Test accuracies (%) whose first training time the table reports.
MILESTONES = (60, 80, 90)


def smnist_config(row: str, setup: str, preset: str, seed: int, overrides: dict[str, Any] | None = None):
    """The training configuration of one (row, setup) run: the sMNIST preset of the row's model with the
    row's and the setup's overrides, then ``overrides`` (e.g. ``task_params.data_dir``)."""
    if row not in ROWS:
        raise ValueError(f"unknown row {row!r}; rows of Tables S1/S2: {list(ROWS)}")
    if setup not in SETUPS:
        raise ValueError(f"unknown setup {setup!r}; setups: {list(SETUPS)}")
    model, row_overrides = ROWS[row]
    return make_config("smnist", model, preset, {**row_overrides, **SETUPS[setup], **(overrides or {})}, seed=seed)


# ------------------------------------------------------------------------------------------- Fig. 1C
def network_populations(spec) -> tuple[list[str], list[str], list[str]]:
    """Population labels of (inputs, recurrent neurons, readouts): X(E) / X(I) (or X without signs); A for
    adaptive neurons (beta > 0), else E / I by sign (R without signs); Y."""
    inputs = ["X(E)" if s > 0 else "X(I)" if s < 0 else "X" for s in np.asarray(spec.sign_in)]
    neurons = ["A" if b > 0 else "E" if s > 0 else "I" if s < 0 else "R" for b, s in zip(np.asarray(spec.beta), np.asarray(spec.sign))]
    return inputs, neurons, ["Y"] * spec.n_out


def network_connectivity(spec) -> pd.DataFrame:
    """Connection probabilities between the populations of :func:`network_populations` (Fig. 1C): a
    synapse exists where the spec's mask holds and its weight is not 0."""
    from lsnn.analysis import connection_probabilities

    inputs, neurons, readouts = network_populations(spec)
    return pd.concat([
        connection_probabilities(spec.mask_in & (spec.W_in != 0), neurons, inputs),
        connection_probabilities(spec.mask_rec & (spec.W_rec != 0), neurons, neurons, same_neurons=True),
        connection_probabilities(spec.mask_out & (spec.W_out != 0), readouts, neurons),
    ], ignore_index=True)


# ------------------------------------------------------------------------------------------- Fig. 1D
def digit_trial(run_dir: str | os.PathLike, index: int = 0) -> dict[str, Any]:
    """Test digit ``index`` of a run re-simulated in PyTorch (float64): everything
    :func:`lsnn.figures.smnist.figure_smnist_trial` draws, as keyword arguments."""
    from lsnn.training.heldout import held_out_activity
    from lsnn.training.runs import load_run

    run = load_run(run_dir)
    if run.cfg.task != "smnist":
        raise ValueError(f"{run_dir} is a {run.cfg.task} run, not sequential MNIST.")
    act = held_out_activity(run, index + 1, first=index)
    digit = int(act.batch.conditions["digit_index"][0])
    image = run.task.data.test_images[digit].astype(float) / 255.0
    logits = act.outputs[0]
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    start, stop = (int(v) for v in act.batch.windows[0])
    answer = int(logits[start:stop].mean(axis=0).argmax())
    return {"image": image, "x": act.batch.x[0], "spikes": act.spikes[0], "groups": network_populations(run.spec)[1],
            "thresholds": act.thresholds[0], "probabilities": probabilities, "dt": run.spec.dt, "label": int(act.batch.labels[0, 0]),
            "answer_window": (start, stop),
            "title": f"test digit {digit} (label {int(act.batch.labels[0, 0])}, answer {answer}); {Path(run_dir).name}"}


# --------------------------------------------------------------------------------- time to accuracy
def accuracy_curve(run_dir: str | os.PathLike) -> pd.DataFrame:
    """Held-out accuracy (%) against cumulative training time (min) from a run's periodic tests and final test
    (:func:`lsnn.app.curves.test_curve`); a folder without ``metrics.jsonl`` may hold the curve as
    ``accuracy_curve.csv`` (the shipped networks)."""
    from .curves import test_curve

    run_dir = Path(run_dir)
    if not (run_dir / METRICS).is_file() and (run_dir / CURVE).is_file():
        return pd.read_csv(run_dir / CURVE)
    return test_curve(run_dir, "accuracy")


def time_to_accuracy(curve: pd.DataFrame, milestones=MILESTONES) -> dict[str, float | None]:
    """The training time (min) at which the held-out accuracy first reached each milestone (None: never)."""
    reached = {}
    for level in milestones:
        hit = curve[curve["accuracy"] >= level]
        reached[f"min_to_{level}"] = None if hit.empty else round(float(hit["time_min"].iloc[0]), 1)
    return reached


# ------------------------------------------------------------------------------------- reproduction
def reproduce_smnist(out: str | os.PathLike, *, preset: str = "quick", seeds: int = 1, rows=None, setups=None,
                     validate_trials: int | None = None, device: str = "cpp_standalone", overrides: dict[str, Any] | None = None,
                     progress: bool = True, log=print, executor=None) -> pd.DataFrame:
    """Train (or reuse) and validate every (row, setup, seed), write ``OUT/neurips-smnist.md`` / ``.json`` /
    ``_runs.csv``, return the per-run frame (module docstring). ``overrides`` apply to every run (e.g. the
    data folder)."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; available: {list(PRESETS)}")
    if seeds < 1:
        raise ValueError("seeds must be at least 1.")
    rows = list(rows) if rows else list(PRESETS[preset]["rows"])
    setups = list(setups) if setups else list(PRESETS[preset]["setups"])
    for row in rows:
        for setup in setups:
            smnist_config(row, setup, preset, 0, overrides)  # unknown rows, setups or overrides fail before any training
    validate_trials = PRESETS[preset]["validate_trials"] if validate_trials is None else validate_trials
    out = Path(out)
    cells = [Cell({"row": row, "setup": setup, "seed": seed}, smnist_config(row, setup, preset, seed, overrides),
                  out / "runs" / f"{row}-{setup}-s{seed}", published.NEURIPS_SMNIST[setup][row][3],
                  f"{NAME}: {row}, {setup} per pixel, seed {seed}", paper_kind="paper max")
             for row in rows for setup in setups for seed in range(seeds)]
    frame = run_cells(cells, "accuracy", validate_trials, progress, device, log, executor)
    extra = []
    for cell in cells:
        record: dict[str, Any] = time_to_accuracy(accuracy_curve(cell.run_dir))
        n, mean, std, best = published.NEURIPS_SMNIST[cell.labels["setup"]][cell.labels["row"]]
        record.update(paper_runs=n, paper_mean=mean, paper_std=std, paper_max=best)
        if (cell.run_dir / "network.npz").is_file() and cell.cfg.connectivity is not None:
            from lsnn.models.spec import NetworkSpec

            table = network_connectivity(NetworkSpec.load(cell.run_dir / "network.npz"))
            record["connectivity_%"] = round(100 * table["n_connections"].sum() / table["n_possible"].sum(), 2)
            record["p_to_Y_%"] = round(100 * table.loc[table["post"] == "Y", "n_connections"].sum()
                                       / table.loc[table["post"] == "Y", "n_possible"].sum(), 1)
            save_csv(table, cell.run_dir / "connectivity.csv")
        extra.append(record)
    frame = pd.concat([frame, pd.DataFrame(extra)], axis=1)
    write_smnist(frame, out, preset, device)
    return frame


def summarize_smnist(frame: pd.DataFrame) -> pd.DataFrame:
    """One line per (row, setup): ours mean +- std (n) and max next to the paper's, rate, connectivity, time to accuracy.

    Our accuracies keep two decimals, the resolution of 10,000 test digits, so that a run just short of a
    threshold (89.97 %) is not printed as reaching it (90.0 %).
    """
    lines = []
    for (row, setup), part in frame.groupby(["row", "setup"], sort=False):
        acc = part["accuracy"].to_numpy()
        first = part.iloc[0]
        paper = (f"{first['paper_mean']:g} +- {first['paper_std']:g} ({first['paper_runs']:d})" if pd.notna(first["paper_mean"]) else "-")

        def fastest(column, runs=part):
            times = runs[column].dropna() if column in runs else pd.Series(dtype=float)
            return "-" if times.empty else f"{times.min():.0f}"

        lines.append({
            "row, setup": f"{row}, {setup}", "ours mean +- std (n), %": f"{acc.mean():.2f}" + (f" +- {np.std(acc, ddof=1):.2f}" if len(acc) > 1 else "") + f" ({len(acc)})",
            "ours max, %": f"{acc.max():.2f}", "paper mean +- std (runs), %": paper, "paper max, %": f"{first['paper_max']:g}",
            "rate, Hz": "-" if part["rate_hz"].isna().all() else f"{part['rate_hz'].mean():.1f}",
            "connectivity (to Y), %": "-" if "connectivity_%" not in part or part["connectivity_%"].isna().all() else
            f"{part['connectivity_%'].mean():.1f} ({part['p_to_Y_%'].mean():.1f})",
            "min to 60/80/90 %": "/".join(fastest(f"min_to_{m}") for m in MILESTONES),
            "training, min": "-" if part["train_s"].isna().all() else f"{part['train_s'].mean() / 60:.0f}",
            "Brian2 identical": "- (no spikes)" if row in ("lstm", "rnn") else f"{int(part['identical_trials'].sum())}/{int(part['validated_trials'].sum())}",
        })
    return pd.DataFrame(lines).set_index("row, setup")


def write_smnist(frame: pd.DataFrame, out: Path, preset: str, device: str) -> None:
    """``neurips-smnist_runs.csv`` (one line per run), ``neurips-smnist.json`` and ``neurips-smnist.md``."""
    save_csv(frame, out / f"{NAME}_runs.csv")
    summary = summarize_smnist(frame)
    lines = [
        f"# Sequential MNIST (NeurIPS 2018 Fig. 1B, Tables S1/S2), preset `{preset}`",
        "",
        markdown_table(summary),
        "",
        ("Accuracy on the test digits of each run (`n_test`; the paper's 10,000 in the quick and paper presets). "
         "Connectivity: existing synapses of all possible ones after DEEP R (onto the readout Y in parentheses); "
         f"times to 60/80/90 % from the periodic tests on the first test digits (`eval_every`), fastest seed. Brian2: {device}, float64."),
        f"Runs: {len(frame)}; wall time of this invocation {frame['wall_s'].sum() / 60:.1f} min (training, testing and validation)"
        + (f"; {int(frame['reused'].sum())} finished runs reused from earlier invocations (their time not counted)." if frame["reused"].any() else "."),
    ]
    atomic_write_text(out / f"{NAME}.md", "\n".join(lines) + "\n")
    write_json(out / f"{NAME}.json", {"name": NAME, "preset": preset, "device": device, "metric": "accuracy",
                                      "runs": frame.to_dict(orient="records"), "summary": summary.reset_index().to_dict(orient="records")})

