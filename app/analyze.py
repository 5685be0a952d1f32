"""``lsnn analyze``: the analysis measures of :mod:`lsnn.analysis` on count tables or spike files.

    lsnn analyze selectivity FILE --factors Task Position Symbol [--window 0ms 500ms] [--trials T.csv | --epoch N | --event N]
    lsnn analyze sequences   FILE --bin 50ms [--window -200ms 1s] [--conditions Task Symbol] [--trials ... ]

``FILE`` is either a CSV table of counts (selectivity only: one row per sample, the factor columns and
one numeric column per neuron) or any spike file Neo reads (NWB, NIX, ...; NWB files that Neo cannot
read go through pynwb). Trials come from the file's segments, a CSV trial table, an epoch or an event
(:func:`lsnn.analysis.load_trials`); conditions are the trials' annotations.

``selectivity`` counts spikes per trial in ``--window``, keeps neurons firing 2-60 Hz there (eLife;
``--rate-range``), optionally balances the conditions, runs the type-II ANOVA and writes
``selectivity.csv`` (neuron, effect, F, p, omega2, selective, ...), ``categories.csv`` (per neuron) and
``selectivity.png`` (eLife Fig. 4D and categories per neuron) into ``--out``.

``sequences`` bins every trial, sorts neurons by peak time with cross-validation, runs the time-cell
shuffle test (progress bar) and, with ``--conditions``, marks condition-invariant sequence neurons;
writes ``sequences.csv``, ``sequences.json`` (summary) and ``sequences.png`` (poster A-B).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import quantities as pq

from lsnn.analysis.io import load_trials
from lsnn.analysis.rates import binned_counts
from lsnn.analysis.selectivity import anova_selectivity, balanced_indices, categories_per_neuron, rate_selection, selectivity_counts
from lsnn.analysis.sequences import condition_invariant, cross_validated_sequence, peak_bins, time_cell_test
from lsnn.analysis.trials import parse_time, trial_conditions, window_counts
from lsnn.common.files import atomic_write_text
from lsnn.common.jsonsafe import dumps

from .outputs import save_csv, save_figure, writable_folder


def _window(args) -> tuple[pq.Quantity, pq.Quantity] | None:
    return None if args.window is None else (parse_time(args.window[0]), parse_time(args.window[1]))


def _trials(args):
    """The trials of a spike file and the window still to apply inside them (None when the trials were
    cut to the window already, or no window was given)."""
    window = _window(args)
    trials = load_trials(args.file, trial_table=args.trials, epoch=args.epoch, event=args.event, window=window)
    if window is None:
        return trials, None
    first = trials[0].spiketrains[0]
    already = all(abs(float((a - b).rescale(pq.s))) < 1e-12 for a, b in zip((first.t_start, first.t_stop), window))
    return trials, None if already else window


def _duration(trials, window) -> float:
    """Seconds counted per trial: the window, or the whole trial."""
    if window is not None:
        return float((window[1] - window[0]).rescale(pq.s))
    st = trials[0].spiketrains[0]
    return float((st.t_stop - st.t_start).rescale(pq.s))


def _counts_from_csv(args) -> tuple[np.ndarray, dict, list[str]]:
    try:
        data = pd.read_csv(args.file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {args.file} as CSV: {exc}") from None
    missing = [f for f in args.factors if f not in data.columns]
    if missing:
        raise ValueError(f"factor column(s) {missing} not in {args.file} (columns: {list(data.columns)[:20]})")
    neurons = [c for c in data.columns if c not in args.factors and pd.api.types.is_numeric_dtype(data[c])]
    if not neurons:
        raise ValueError(f"{args.file} has no numeric neuron columns besides the factors.")
    return data[neurons].to_numpy(dtype=float), {f: data[f].to_numpy() for f in args.factors}, neurons


def _counts_from_spikes(args) -> tuple[np.ndarray, dict, list[str]]:
    trials, window = _trials(args)
    counts = window_counts(trials, window)
    factors = trial_conditions(trials, args.factors)
    first = trials[0].spiketrains
    keep = rate_selection(counts, _duration(trials, window), *args.rate_range)
    names = [st.name or str(j) for j, st in enumerate(first)]
    print(f"[lsnn analyze] {len(trials)} trials; {int(keep.sum())} of {len(keep)} neurons fire {args.rate_range[0]:g}-{args.rate_range[1]:g} Hz in the window")
    if not keep.any():
        raise ValueError(f"no neuron fires {args.rate_range[0]:g}-{args.rate_range[1]:g} Hz in the window; widen --rate-range or the window.")
    return counts[:, keep].astype(float), factors, [n for n, k in zip(names, keep) if k]


def _check_options(args: argparse.Namespace) -> None:
    """Refuse option values that have no meaning, before any file is read."""
    if not 0 < args.alpha <= 1:
        raise ValueError(f"--alpha must lie in (0, 1]; got {args.alpha:g}.")
    if getattr(args, "shuffles", 1) < 1:
        raise ValueError(f"--shuffles must be at least 1; got {args.shuffles}.")
    if hasattr(args, "omega2_min") and not -1 <= args.omega2_min <= 1:
        raise ValueError(f"--omega2-min must lie in [-1, 1]; got {args.omega2_min:g}.")
    if hasattr(args, "rate_range") and not 0 <= args.rate_range[0] < args.rate_range[1]:
        raise ValueError(f"--rate-range needs 0 <= MIN < MAX (Hz); got {args.rate_range[0]:g} {args.rate_range[1]:g}.")


def _output_folder(args: argparse.Namespace):
    """``--out`` (default: the file's stem + ``_analysis``), checked writable once the input exists."""
    if not args.file.is_file():
        raise FileNotFoundError(f"no file at {args.file}")
    return writable_folder(args.out or args.file.with_name(args.file.stem + "_analysis"))


def selectivity_from_file(args: argparse.Namespace) -> int:
    """``lsnn analyze selectivity`` (module docstring)."""
    from lsnn.figures.spike_codes import figure_selectivity

    _check_options(args)
    _output_folder(args)
    csv_input = args.file.suffix.lower() == ".csv"
    counts, factors, neurons = (_counts_from_csv if csv_input else _counts_from_spikes)(args)
    if args.balanced:
        idx = balanced_indices(factors, np.random.default_rng(args.seed))
        counts, factors = counts[idx], {k: v[idx] for k, v in factors.items()}
    table = anova_selectivity(counts, factors, alpha=args.alpha, omega2_min=args.omega2_min)
    table["neuron"] = np.asarray(neurons)[table["neuron"].to_numpy()]
    out = _output_folder(args)
    save_csv(table, out / "selectivity.csv")
    save_csv(categories_per_neuron(table), out / "categories.csv", index=True)
    save_figure(figure_selectivity(selectivity_counts(table), categories_per_neuron(table), len(neurons)), out / "selectivity.png")
    print(f"[lsnn analyze] {len(neurons)} neurons x {len(counts)} samples; selective neurons per effect:")
    print(selectivity_counts(table).to_string())
    print(f"[lsnn analyze] wrote {out}/selectivity.csv, categories.csv, selectivity.png")
    return 0


def sequences_from_file(args: argparse.Namespace) -> int:
    """``lsnn analyze sequences`` (module docstring)."""
    from lsnn.figures.spike_codes import figure_sequences

    _check_options(args)
    if args.file.suffix.lower() == ".csv":
        raise ValueError("sequences need spike times: give a spike file (NWB, NIX, ...), not a CSV of counts.")
    _output_folder(args)
    bin_size = parse_time(args.bin)
    if float(bin_size) <= 0:
        raise ValueError(f"--bin must be positive; got {args.bin}.")
    trials, window = _trials(args)
    counts = binned_counts(trials, bin_size, window)
    rng = np.random.default_rng(args.seed)
    seq = cross_validated_sequence(counts, rng)
    p_time = time_cell_test(counts, rng, n_shuffles=args.shuffles, progress=True)
    time_cell = p_time < args.alpha
    t0 = float((window[0] if window else trials[0].spiketrains[0].t_start).rescale(pq.s))
    peaks = peak_bins(counts)
    names = [st.name or str(j) for j, st in enumerate(trials[0].spiketrains)]
    table = pd.DataFrame({"neuron": names, "peak_bin": peaks, "peak_time_s": t0 + (peaks + 0.5) * float(bin_size),
                          "rate_hz": counts.sum(axis=(0, 1)) / (counts.shape[0] * counts.shape[1] * float(bin_size)),
                          "p_time_cell": p_time, "time_cell": time_cell})
    summary = {"trials": len(trials), "neurons": len(names), "bins": int(counts.shape[1]), "bin_s": float(bin_size),
               "reliability": seq.reliability, "time_cells": int(time_cell.sum())}
    if args.conditions:
        labels = trial_conditions(trials, args.conditions)
        combined = np.array(["|".join(str(labels[c][k]) for c in args.conditions) for k in range(len(trials))])
        table["invariant"] = condition_invariant(counts, combined, time_cell)
        summary["invariant_sequence_neurons"] = int(table["invariant"].sum())
        summary["invariant_fraction"] = float(table["invariant"].mean())
    out = _output_folder(args)
    save_csv(table, out / "sequences.csv")
    atomic_write_text(out / "sequences.json", dumps(summary, indent=2) + "\n")
    save_figure(figure_sequences(seq, float(bin_size), t0), out / "sequences.png")
    print(f"[lsnn analyze] {dumps(summary)}")
    print(f"[lsnn analyze] wrote {out}/sequences.csv, sequences.json, sequences.png")
    return 0
