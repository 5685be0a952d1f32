"""Tables of spike counts (CSV) for the selectivity analysis, in two documented forms.

**Wide** (one row per sample): the factor columns and one column per neuron. The neuron columns are
named with ``neurons`` (names or shell patterns such as ``unit*``); without it, they are the numeric
columns other than the factors and the identifier columns of :data:`ID_COLUMNS` (``trial``, ``unit``,
``session``, ...), which are never analysed as neurons.

**Long** (one row per neuron and sample): columns ``neuron``, ``count`` and the factors; any other column
that is constant within each neuron (``region``, ``session``) is a property of the neuron. Neurons recorded
in different sessions, each with its own trials, are analysed together: each neuron gets the ANOVA of its
own samples.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Columns that identify samples or units and are never neurons of a wide table.
ID_COLUMNS = ("trial", "trial_id", "sample", "unit", "unit_id", "neuron", "neuron_id", "cell", "id", "index", "session", "time",
              "start", "stop", "event", "Unnamed: 0")


@dataclass
class CountTable:
    """Counts per neuron and sample: ``counts`` (n_samples, n_neurons) for a wide table (NaN where a neuron
    has no sample, long tables), the factors per sample, and the neurons with their properties."""

    counts: np.ndarray
    factors: dict[str, np.ndarray]
    neurons: pd.DataFrame  # "name" and property columns
    long: bool


def read_csv_rows(path: str | Path, what: str) -> pd.DataFrame:
    """A CSV file with at least one row; a missing, unreadable or empty file gets one line naming ``what`` it should be."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no {what} at {path}")
    try:
        data = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path} could not be read as a CSV {what}: {exc}") from None
    if data.empty:
        raise ValueError(f"{what} {path} has no rows.")
    return data


def read_count_table(path: str | Path, factors: list[str], neurons: list[str] | None = None) -> CountTable:
    """Read a counts CSV (module docstring); errors name the file, the columns and what to give instead."""
    path = Path(path)
    data = read_csv_rows(path, "counts table")
    missing = [f for f in factors if f not in data.columns]
    if missing:
        raise ValueError(f"factor column(s) {missing} not in {path} (columns: {list(data.columns)[:20]})")
    if "neuron" in data.columns and "count" in data.columns:
        return _long(path, data, factors)
    return _wide(path, data, factors, neurons)


def _numeric(path: Path, data: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"{path}: column {column!r} must hold finite counts; row {int(np.argmax(bad))} has {data[column].iloc[int(np.argmax(bad))]!r}.")
    if (values < 0).any():
        raise ValueError(f"{path}: column {column!r} holds negative counts.")
    return values


def _wide(path: Path, data: pd.DataFrame, factors: list[str], neurons: list[str] | None) -> CountTable:
    if neurons:
        columns = [c for c in data.columns if any(fnmatch.fnmatchcase(str(c), pattern) for pattern in neurons)]
        if not columns:
            raise ValueError(f"no column of {path} matches --neurons {' '.join(neurons)} (columns: {list(data.columns)[:20]}).")
        overlap = [c for c in columns if c in factors]
        if overlap:
            raise ValueError(f"column(s) {overlap} are factors and cannot be neurons too.")
    else:
        columns = [c for c in data.columns if c not in factors and str(c) not in ID_COLUMNS and pd.api.types.is_numeric_dtype(data[c])]
        if not columns:
            raise ValueError(f"{path} has no numeric neuron columns besides the factors and identifier columns; name them with --neurons.")
    counts = np.column_stack([_numeric(path, data, c) for c in columns])
    return CountTable(counts, {f: data[f].to_numpy() for f in factors}, pd.DataFrame({"name": [str(c) for c in columns]}), long=False)


def _long(path: Path, data: pd.DataFrame, factors: list[str]) -> CountTable:
    counts = _numeric(path, data, "count")
    names = data["neuron"].astype(str).to_numpy()
    order = list(dict.fromkeys(names))
    others = [c for c in data.columns if c not in ("neuron", "count", *factors)]
    constant = [c for c in others if data.groupby("neuron")[c].nunique(dropna=False).max() == 1]
    neurons = data.groupby("neuron", sort=False)[constant].first().reindex(order).reset_index().rename(columns={"neuron": "name"})
    neurons["name"] = neurons["name"].astype(str)
    matrix = np.full((len(data), len(order)), np.nan)
    column = {name: j for j, name in enumerate(order)}
    matrix[np.arange(len(data)), [column[n] for n in names]] = counts
    return CountTable(matrix, {f: data[f].to_numpy() for f in factors}, neurons, long=True)
