"""``lsnn analyze``: the measures of :mod:`lsnn.analysis` on count tables or spike files.

    lsnn analyze selectivity FILE --factors Task Position Symbol [--window 0ms 500ms] [--trials T.csv | --epoch N | --event N]
    lsnn analyze sequences   FILE --bin 50ms [--window -200ms 1s] [--conditions Task Symbol] [--trials ... ]

``FILE`` is a spike file (NWB, NIX, ...; :func:`lsnn.analysis.read_recording`) or, for selectivity, a
CSV of counts (:mod:`lsnn.analysis.count_tables`: wide or long form). Trials come from the file's
segments, a CSV trial table (``start``/``stop``, ``event`` or an ``--align`` column of event times), an
interval table of the file (``--epoch trials``) or an event series (``--event``, its labels becoming the
condition ``label``); ``--covariate heading --covariate-bins 8`` labels trials by a behavioural variable.
Trial windows are half-open and exact (:mod:`lsnn.analysis.recording`); counting runs on the spike-time
arrays.

``selectivity`` keeps the neurons whose mean rate in the window lies in ``--rate-range`` (eLife 2-60 Hz;
``--no-rate-filter`` to keep all; for counts tables the rate needs ``--count-window``, the window the
counts were taken in), says which neurons were dropped and why (``neurons.csv`` and the console), runs
the type-II ANOVA per neuron (``--alpha``, ``--omega2-min``), names each neuron's preferred condition
(highest mean rate) and writes ``selectivity.csv``, ``categories.csv``, ``selectivity.json``,
``selectivity.png`` and, for example or ``--plot-neurons`` neurons, ``neuron_<name>.png`` (raster and
PSTH by condition) and tuning curves. Factors that are properties of the neurons (e.g. ``location``)
and ``--population`` add the population-level test with neurons as replicates (linear mixed model,
``population.csv``).

``sequences`` bins every trial, sorts neurons by peak time with cross-validation, runs the time-cell
shuffle test and, with ``--conditions``, marks condition-invariant sequence neurons and draws one panel
per condition; writes ``sequences.csv``, ``sequences.json`` and ``sequences.png``.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lsnn.analysis.count_tables import read_count_table
from lsnn.analysis.io import read_recording
from lsnn.analysis.recording import (TICK_S, Recording, TrialSet, binned_counts, covariate_labels, merge_conditions, relative_times,
                                     to_seconds, trials_from_events, trials_from_table, window_counts)
from lsnn.analysis.selectivity import (anova_selectivity, balanced_indices, categories_per_neuron, population_test, preferred_condition,
                                       selectivity_counts)
from lsnn.analysis.sequences import condition_invariant, cross_validated_sequence, peak_bins, time_cell_test
from lsnn.analysis.trials import parse_time, read_trial_table
from lsnn.common.files import atomic_write_text
from lsnn.common.jsonsafe import dumps

from .outputs import save_csv, save_figure, writable_folder


def _say(message: str) -> None:
    print(f"[lsnn analyze] {message}", flush=True)


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
    if getattr(args, "covariate_bins", 2) < 2:
        raise ValueError(f"--covariate-bins must be at least 2; got {args.covariate_bins}.")


def _output_folder(args: argparse.Namespace):
    """``--out`` (default: the file's stem + ``_analysis``), checked writable once the input exists."""
    if not args.file.is_file():
        raise FileNotFoundError(f"no file at {args.file}")
    return writable_folder(args.out or args.file.with_name(args.file.stem + "_analysis"))


def _window(args) -> tuple[float, float] | None:
    if args.window is None:
        return None
    lo, hi = (float(parse_time(w)) for w in args.window)
    if hi <= lo:
        raise ValueError(f"--window needs START < STOP; got {args.window[0].strip()} {args.window[1].strip()}.")
    return lo, hi


def load_trials(args) -> tuple[Recording, TrialSet, str]:
    """The recording of ``args.file`` and its trials as the options define them; the event's name for axes."""
    recording, file_trials = read_recording(args.file)
    window = _window(args)
    event_label = "trial start"
    if args.trials is not None:
        table = read_trial_table(args.trials)
        if file_trials is not None:  # a file of trial segments: the table labels them, row by row
            if len(table) != file_trials.n_trials:
                raise ValueError(f"the trial table has {len(table)} rows but the file holds {file_trials.n_trials} trials; give one row per trial.")
            extra = {c: table[c].to_numpy() for c in table.columns if c not in ("start", "stop", "event")}
            trials = merge_conditions(file_trials, extra).with_window(window)
        else:
            trials = trials_from_table(recording, table, window, args.align)
            event_label = args.align or ("event" if "event" in table else "trial start")
    elif args.epoch is not None:
        if args.epoch not in recording.intervals:
            raise ValueError(f"{args.file} has no epoch named {args.epoch!r}; epochs: {sorted(recording.intervals) or 'none'}.")
        trials = trials_from_table(recording, recording.intervals[args.epoch], window, args.align, what=f"{args.epoch} row")
        event_label = args.align or f"{args.epoch} start"
    elif args.event is not None:
        if args.event not in recording.events:
            raise ValueError(f"{args.file} has no event named {args.event!r}; events: {sorted(recording.events) or 'none'}.")
        trials, skipped = trials_from_events(recording, recording.events[args.event], window)
        event_label = args.event
        if skipped:
            _say(f"{skipped} of {skipped + trials.n_trials} {args.event} events skipped: their window leaves the recording")
    elif file_trials is not None:
        trials = file_trials.with_window(window)
        if window is not None and (np.any(trials.start < file_trials.start) or np.any(trials.stop > file_trials.stop)):
            raise ValueError(f"--window {args.window[0].strip()} {args.window[1].strip()} is not inside every trial of {args.file}.")
    else:
        hint = [f"epochs {sorted(recording.intervals)}" if recording.intervals else "", f"events {sorted(recording.events)}" if recording.events else ""]
        hint = " and ".join(h for h in hint if h)
        raise ValueError(f"{args.file} holds one continuous recording and no trial information: give a trial table (CSV), an epoch "
                         f"or an event.{' It has ' + hint + '.' if hint else ''}")
    if getattr(args, "covariate", None):
        labels = covariate_labels(recording, trials, args.covariate, args.covariate_bins)
        trials = merge_conditions(trials, {args.covariate: labels})
    return recording, trials, event_label


@dataclass
class Samples:
    """What the selectivity analysis runs on: counts per sample and neuron, factors, neurons, windows."""

    counts: np.ndarray  # (n_samples, n_neurons); NaN where a neuron has no sample (long tables)
    factors: dict[str, np.ndarray]
    neurons: pd.DataFrame  # "name" and properties
    window_s: np.ndarray | None  # (n_samples,) seconds counted per sample; None: unknown (counts table without --count-window)
    recording: Recording | None = None
    trials: TrialSet | None = None
    event_label: str = "trial start"


def _samples_from_spikes(args) -> Samples:
    recording, trials, event_label = load_trials(args)
    factors = {}
    for f in args.factors:
        if f in trials.conditions:
            factors[f] = trials.conditions[f].to_numpy()
        elif f not in recording.units:
            available = sorted(trials.conditions.columns)
            raise ValueError(f"condition {f!r} is neither a trial condition ({available or 'none: give a trial table'}) nor a "
                             f"property of the units ({sorted(c for c in recording.units.columns if c != 'name')}).")
    _say(f"{trials.n_trials} trials of {args.file.name}; {recording.n_units} units")
    return Samples(window_counts(recording, trials).astype(float), factors, recording.units, trials.durations_s, recording, trials, event_label)


def _samples_from_table(args) -> Samples:
    table = read_count_table(args.file, [f for f in args.factors], args.neurons)
    window = None
    if args.count_window is not None:
        window = np.full(len(table.counts), float(parse_time(args.count_window)))
        if window[0] <= 0:
            raise ValueError(f"--count-window must be positive; got {args.count_window}.")
    unit_level = [f for f in args.factors if f in table.neurons.columns]
    factors = {f: v for f, v in table.factors.items() if f not in unit_level}
    _say(f"{len(table.counts)} rows of {args.file.name}; {len(table.neurons)} neurons ({'long' if table.long else 'wide'} table: "
         f"{', '.join(table.neurons['name'][:8])}{' ...' if len(table.neurons) > 8 else ''})")
    return Samples(table.counts, factors, table.neurons, window)


def rate_filter(samples: Samples, rate_range: tuple[float, float] | None) -> pd.DataFrame:
    """Per neuron: mean rate over its samples (Hz), whether it is kept and why not (the eLife rule)."""
    neurons = samples.neurons.copy()
    if samples.window_s is not None:
        rates = np.nansum(samples.counts, axis=0) / np.sum(np.where(np.isnan(samples.counts), 0.0, samples.window_s[:, None]), axis=0)
        neurons["rate_hz"] = rates
    if rate_range is None:
        neurons["kept"], neurons["reason"] = True, ""
        return neurons
    lo, hi = rate_range
    rates = neurons["rate_hz"].to_numpy()
    neurons["kept"] = (rates >= lo) & (rates <= hi)
    neurons["reason"] = np.where(rates < lo, [f"rate {r:.2f} Hz < {lo:g} Hz" for r in rates],
                                 np.where(rates > hi, [f"rate {r:.2f} Hz > {hi:g} Hz" for r in rates], ""))
    return neurons


def _safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "neuron"


def _anova_per_neuron(samples: Samples, keep: np.ndarray, args) -> pd.DataFrame:
    """The per-neuron ANOVA on the kept neurons (one design for all when every neuron has every sample)."""
    counts = samples.counts[:, keep]
    factors = samples.factors
    if args.balanced:
        idx = balanced_indices(factors, np.random.default_rng(args.seed))
        counts, factors = counts[idx], {k: v[idx] for k, v in factors.items()}
    if not np.isnan(counts).any():
        return anova_selectivity(counts, factors, alpha=args.alpha, omega2_min=args.omega2_min)
    parts = []
    for j in range(counts.shape[1]):  # long tables: each neuron with its own samples
        rows = ~np.isnan(counts[:, j])
        part = anova_selectivity(counts[rows, j], {k: v[rows] for k, v in factors.items()}, alpha=args.alpha, omega2_min=args.omega2_min)
        parts.append(part.assign(neuron=j))
    return pd.concat(parts, ignore_index=True)


def _preferred(samples: Samples, keep: np.ndarray, table: pd.DataFrame) -> pd.DataFrame:
    """Each (neuron, effect): the preferred condition (highest mean rate) and the rate there."""
    counts = samples.counts[:, keep]
    window = samples.window_s if samples.window_s is not None else np.ones(len(counts))
    rates = counts / window[:, None]
    preferred, rate = [], []
    for row in table.itertuples():
        rows = ~np.isnan(rates[:, row.neuron])
        try:
            levels, _, _ = preferred_condition(rates[rows], {k: v[rows] for k, v in samples.factors.items()}, row.effect, row.neuron)
            mask = np.all([samples.factors[f][rows] == lv for f, lv in zip(row.effect.split(":"), levels)], axis=0)
            preferred.append(" ".join(f"{f}={lv}" for f, lv in zip(row.effect.split(":"), levels)))
            rate.append(float(rates[rows, row.neuron][mask].mean()))
        except ValueError:
            preferred.append("")
            rate.append(np.nan)
    return table.assign(preferred=preferred, **{"preferred_rate_hz" if samples.window_s is not None else "preferred_mean_count": rate})


def _example_neurons(args, table: pd.DataFrame, names: list[str]) -> list[int]:
    if args.plot_neurons:
        unknown = [n for n in args.plot_neurons if n not in names]
        if unknown:
            raise ValueError(f"--plot-neurons {unknown} are not among the analysed neurons ({names[:10]}{' ...' if len(names) > 10 else ''}).")
        return [names.index(n) for n in args.plot_neurons]
    best = table[table["selective"]].sort_values("omega2", ascending=False)["neuron"]
    return list(dict.fromkeys(int(j) for j in best))[:2]


def selectivity_from_file(args: argparse.Namespace) -> int:
    """``lsnn analyze selectivity`` (module docstring)."""
    from lsnn.figures.spike_codes import figure_neuron, figure_selectivity

    _check_options(args)
    out = _output_folder(args)
    csv_input = args.file.suffix.lower() == ".csv"
    samples = (_samples_from_table if csv_input else _samples_from_spikes)(args)
    rate_range = None if args.no_rate_filter else tuple(args.rate_range)
    if rate_range is not None and samples.window_s is None:
        raise ValueError("the 2-60 Hz rule needs rates: give --count-window (the window the counts were taken in, e.g. 500ms) "
                         "or --no-rate-filter.")
    neurons = rate_filter(samples, rate_range)
    keep = neurons["kept"].to_numpy()
    save_csv(neurons, out / "neurons.csv")
    rule = "all neurons" if rate_range is None else f"neurons firing {rate_range[0]:g}-{rate_range[1]:g} Hz"
    _say(f"{int(keep.sum())} of {len(keep)} {rule} analysed")
    for row in neurons[~neurons["kept"]].itertuples():
        _say(f"  dropped {row.name}: {row.reason}")
    if not keep.any():
        raise ValueError(f"no neuron left by the rule ({rule}); widen --rate-range, change the window or give --no-rate-filter.")
    names = [str(n) for n in neurons["name"][keep]]
    table = pd.DataFrame()
    if samples.factors:
        anova = _preferred(samples, keep, _anova_per_neuron(samples, keep, args))  # "neuron": index among the kept
        examples = _example_neurons(args, anova, names)
        props = neurons[keep].drop(columns=["kept", "reason"]).reset_index(drop=True).rename(columns={"name": "neuron"})
        table = pd.concat([props.iloc[anova["neuron"]].reset_index(drop=True), anova.drop(columns="neuron").reset_index(drop=True)], axis=1)
        table["n_neurons_analysed"] = int(keep.sum())
        save_csv(table, out / "selectivity.csv")
        categories = categories_per_neuron(table)
        save_csv(categories, out / "categories.csv", index=True)
        selective = selectivity_counts(table)
        _say(f"selective neurons per effect (of {int(keep.sum())} {rule}; p < {args.alpha:g}, omega2 >= {args.omega2_min:g}):")
        print(selective.to_string())
        factor_names = list(samples.factors)
        specs = [dict(neuron=j, x=factor_names[0], hue=factor_names[1] if len(factor_names) > 1 else None,
                      title=names[j] + _where(props.iloc[j])) for j in examples]
        window = float(np.median(samples.window_s)) if samples.window_s is not None else 1.0
        save_figure(figure_selectivity(selective, categories, int(keep.sum()), samples.counts[:, keep], samples.factors, specs, window=window,
                                       alpha=args.alpha, omega2_min=args.omega2_min, population="" if rate_range is None else rule.replace("neurons ", "")),
                    out / "selectivity.png")
        if samples.recording is not None:
            for j in examples:
                unit = int(np.flatnonzero(keep)[j])
                save_figure(_neuron_figure(samples, unit, factor_names[0], figure_neuron), out / f"neuron_{_safe_name(names[j])}.png")
    population = _population(samples, neurons, keep, args)
    summary = {"file": str(args.file), "samples": int(len(samples.counts)), "neurons_total": int(len(keep)), "neurons_analysed": int(keep.sum()),
               "rule": rule, "alpha": args.alpha, "omega2_min": args.omega2_min,
               "dropped": [{"neuron": r.name, "reason": r.reason} for r in neurons[~neurons["kept"]].itertuples()],
               "selective_per_effect": {} if table.empty else selectivity_counts(table).to_dict(),
               "population_test": None if population is None else population.to_dict(orient="records")}
    atomic_write_text(out / "selectivity.json", dumps(summary, indent=2) + "\n")
    _say(f"wrote {out}/" + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


def _where(row: pd.Series) -> str:
    parts = [str(row[c]) for c in ("location", "electrode_group", "region") if c in row and not pd.isna(row[c]) and str(row[c])]
    return f" ({', '.join(parts)})" if parts else ""


def _neuron_figure(samples: Samples, unit: int, condition: str, figure_neuron):
    trials, recording = samples.trials, samples.recording
    lo, hi = int(trials.start[0]), int(trials.stop[0])
    times = [relative_times(recording.spikes[unit], int(trials.reference[k]), int(trials.start[k]), int(trials.stop[k])) for k in range(trials.n_trials)]
    window = (lo * TICK_S, hi * TICK_S)
    bin_size = max((window[1] - window[0]) / 20, 0.001)
    labels = trials.conditions[condition].to_numpy() if condition in trials.conditions else np.zeros(trials.n_trials)
    name = recording.names[unit] + _where(recording.units.iloc[unit])
    return figure_neuron(times, labels, window, bin_size, name, condition, samples.event_label)


def _population(samples: Samples, neurons: pd.DataFrame, keep: np.ndarray, args) -> pd.DataFrame | None:
    """The mixed-model test with neurons as replicates, when asked or when a factor is a neuron property."""
    unit_level = [f for f in args.factors if f in neurons.columns and f not in samples.factors]
    if not (args.population or unit_level):
        return None
    if samples.window_s is None:
        raise ValueError("the population test compares rates: give --count-window for a counts table.")
    kept = np.flatnonzero(keep)
    rows = []
    for j in kept:
        valid = ~np.isnan(samples.counts[:, j])
        frame = pd.DataFrame({f: v[valid] for f, v in samples.factors.items()})
        frame["rate"] = samples.counts[valid, j] / samples.window_s[valid]
        frame["neuron"] = str(neurons["name"].iloc[j])
        for f in unit_level:
            frame[f] = neurons[f].iloc[j]
        rows.append(frame)
    result = population_test(pd.concat(rows, ignore_index=True), "rate", [f for f in args.factors if f in samples.factors or f in unit_level])
    save_csv(result, _output_folder(args) / "population.csv")
    _say(f"population test ({len(kept)} neurons as replicates, linear mixed model): "
         + "; ".join(f"{r.term}: chi2 {r.chi2:.2f}, p = {r.p:.3g}" for r in result.itertuples()))
    return result


def sequences_from_file(args: argparse.Namespace) -> int:
    """``lsnn analyze sequences`` (module docstring)."""
    from lsnn.figures.spike_codes import figure_sequences

    _check_options(args)
    if args.file.suffix.lower() == ".csv":
        raise ValueError("sequences need spike times: give a spike file (NWB, NIX, ...), not a CSV of counts.")
    out = _output_folder(args)
    bin_size = float(parse_time(args.bin))
    if bin_size <= 0:
        raise ValueError(f"--bin must be positive; got {args.bin}.")
    recording, trials, event_label = load_trials(args)
    counts = binned_counts(recording, trials, bin_size)
    rng = np.random.default_rng(args.seed)
    seq = cross_validated_sequence(counts, rng)
    p_time = time_cell_test(counts, rng, n_shuffles=args.shuffles, progress=True)
    time_cell = p_time < args.alpha
    t0 = float(to_seconds(trials.start[0]))
    peaks = peak_bins(counts)
    table = recording.units.copy().rename(columns={"name": "neuron"})
    table = table.assign(peak_bin=peaks, peak_time_s=t0 + (peaks + 0.5) * bin_size,
                         rate_hz=counts.sum(axis=(0, 1)) / (counts.shape[0] * counts.shape[1] * bin_size), p_time_cell=p_time, time_cell=time_cell)
    summary = {"file": str(args.file), "trials": trials.n_trials, "neurons": recording.n_units, "bins": int(counts.shape[1]), "bin_s": bin_size,
               "window_s": [t0, t0 + counts.shape[1] * bin_size], "reliability": seq.reliability, "time_cells": int(time_cell.sum())}
    by_condition = None
    if args.conditions:
        missing = [c for c in args.conditions if c not in trials.conditions]
        if missing:
            raise ValueError(f"condition(s) {missing} not among the trials' conditions {sorted(trials.conditions.columns)}.")
        combined = trials.conditions[list(args.conditions)].astype(str).agg("|".join, axis=1).to_numpy()
        table["invariant"] = condition_invariant(counts, combined, time_cell)
        summary["invariant_sequence_neurons"] = int(table["invariant"].sum())
        summary["invariant_fraction"] = float(table["invariant"].mean())
        title = " | ".join(args.conditions)
        by_condition = {f"{title} = {level}": cross_validated_sequence(counts[combined == level], rng) for level in sorted(set(combined))
                        if (combined == level).sum() >= 2}
    save_csv(table, out / "sequences.csv")
    atomic_write_text(out / "sequences.json", dumps(summary, indent=2) + "\n")
    save_figure(figure_sequences(seq, bin_size, t0, by_condition, event_label, recording.names), out / "sequences.png")
    _say(dumps(summary))
    _say(f"wrote {out}/sequences.csv, sequences.json, sequences.png")
    return 0


__all__ = ["load_trials", "rate_filter", "selectivity_from_file", "sequences_from_file"]
