"""Mixed selectivity: per-neuron multi-way ANOVA with type-II sums of squares, vectorised over neurons.

For every neuron the spike counts ``y`` (one value per sample, e.g. per trial and window) are modelled
with all main effects and interactions of the factors (eLife Methods, "Selectivity analysis": Task x
Position x Symbol), ``y ~ C(A) * C(B) * C(C)`` in treatment coding. Each effect is tested *type II*:
after all other terms except the higher-order terms that contain it (the Wald F test that statsmodels'
``anova_lm(typ=2)`` performs: hypothesis ``L12 beta = 0`` where L12 spans the effect's columns
orthogonally, in the covariance metric, to the higher-order terms containing it). Because the design
is the same for every neuron, the pseudo-inverse, the hypothesis matrices and their inverses are
computed once; only ``beta = pinv(X) Y`` and the quadratic forms run over neurons.

Effect sizes, with MS_error = SS_residual / df_residual and SS_effect = F df_effect MS_error::

    eta^2   = SS_effect / SS_total
    omega^2 = (SS_effect - df_effect MS_error) / (SS_total + MS_error)

and a neuron is *selective* for an effect when p < alpha (0.001) and omega^2 >= 0.14 (eLife).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import linalg


def _check(counts, factors: Mapping) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    Y = np.asarray(counts, dtype=float)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or Y.shape[0] == 0 or Y.shape[1] == 0:
        raise ValueError(f"counts must be (n_samples, n_neurons); got shape {np.shape(counts)}.")
    if not np.all(np.isfinite(Y)):
        raise ValueError("counts contain NaN or infinite values.")
    if not factors:
        raise ValueError("give at least one factor: a mapping name -> labels of shape (n_samples,).")
    labels = {}
    for name, values in factors.items():
        arr = np.asarray(values)
        if arr.shape != (Y.shape[0],):
            raise ValueError(f"factor {name!r} has shape {arr.shape}; expected ({Y.shape[0]},), one label per sample.")
        missing = pd.isna(pd.Series(arr)).to_numpy()
        if missing.any():
            raise ValueError(f"factor {name!r} has {int(missing.sum())} missing labels (first at sample {int(np.argmax(missing))}).")
        if len(np.unique(arr)) < 2:
            raise ValueError(f"factor {name!r} has a single level ({arr[0]!r}); it cannot explain any variance.")
        labels[str(name)] = arr
    return Y, labels


def _design(labels: dict[str, np.ndarray]):
    """Treatment-coded full-factorial design (patsy, as statsmodels' formulas) and its terms."""
    import patsy

    safe = {f"f{k}": v for k, v in enumerate(labels.values())}
    formula = "*".join(f"C({name})" for name in safe)
    X = patsy.dmatrix(formula, pd.DataFrame(safe), return_type="matrix")
    info = X.design_info
    names = dict(zip(safe, labels))
    terms = []
    for term in info.terms:
        if not term.factors:
            continue  # intercept
        factors = tuple(str(f.code)[2:-1] for f in term.factors)  # "C(f0)" -> "f0"
        terms.append((":".join(names[f] for f in factors), frozenset(factors), info.slice(term)))
    return np.asarray(X), terms


def type2_tests(Y: np.ndarray, X: np.ndarray, terms) -> tuple[dict[str, tuple[np.ndarray, int]], np.ndarray, int]:
    """Type-II F statistics per term for every column of ``Y``.

    Returns ``{effect: (F (n_neurons,), df)}``, the residual sum of squares per neuron and df_residual.
    """
    # one SVD gives the pseudo-inverse and the rank (same tolerance as numpy's matrix_rank)
    U, s, Vt = linalg.svd(X, full_matrices=False)
    keep = s > s.max(initial=0.0) * max(X.shape) * np.finfo(float).eps
    rank = int(keep.sum())
    pinv = (Vt[keep].T / s[keep]) @ U[:, keep].T
    V = pinv @ pinv.T  # (X'X)^+ : statsmodels' normalized_cov_params
    B = pinv @ Y
    resid = Y - X @ B
    ssr = np.einsum("ij,ij->j", resid, resid)
    df_resid = X.shape[0] - rank
    if df_resid <= 0:
        raise ValueError(f"no residual degrees of freedom ({X.shape[0]} samples for {rank} parameters); more samples per condition are needed.")
    sigma2 = ssr / df_resid
    eye = np.eye(X.shape[1])
    out = {}
    for name, factor_set, cols in terms:
        rows1 = list(range(cols.start, cols.stop))
        rows2 = []
        for _, other, other_cols in terms:
            if factor_set < other:  # higher-order terms containing this one
                rows1 += range(other_cols.start, other_cols.stop)
                rows2 += range(other_cols.start, other_cols.stop)
        L1 = eye[rows1]
        if rows2:
            L2 = eye[rows2]
            q, _ = linalg.qr(L1 @ V @ L2.T)
            r = L1.shape[0] - L2.shape[0]
            L12 = q[:, -r:].T @ L1
        else:
            L12, r = L1, L1.shape[0]
        C = L12 @ V @ L12.T
        Lb = L12 @ B
        quad = np.einsum("ij,ij->j", Lb, linalg.pinv(C) @ Lb)
        with np.errstate(divide="ignore", invalid="ignore"):
            F = quad / (r * sigma2)
        out[name] = (F, r)
    return out, ssr, df_resid


def anova_selectivity(counts, factors: Mapping, alpha: float = 0.001, omega2_min: float = 0.14) -> pd.DataFrame:
    """Per-neuron type-II ANOVA with all interactions of ``factors`` (module docstring).

    Parameters
    ----------
    counts : array_like, (n_samples, n_neurons)
        Spike counts (or rates) per sample and neuron.
    factors : mapping name -> (n_samples,) labels
        E.g. ``{"Task": task, "Position": position, "Symbol": symbol}``.
    alpha, omega2_min : float
        Selectivity criteria (eLife: p < 0.001 and omega^2 >= 0.14).

    Returns
    -------
    pandas.DataFrame
        One row per neuron and effect: ``neuron, effect, F, p, omega2, selective`` (and ``df``, ``eta2``).
        Effects are named ``Task``, ``Task:Position``, ... Neurons whose counts do not vary get F = p = NaN
        and are never selective.
    """
    from scipy.stats import f as f_dist  # scipy.stats takes a second to import: loaded when used

    Y, labels = _check(counts, factors)
    X, terms = _design(labels)
    tests, ssr, df_resid = type2_tests(Y, X, terms)
    ss_total = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0)
    ms_error = ssr / df_resid
    flat = ss_total <= 1e-12 * max(1.0, float(np.max(ss_total, initial=0.0)))
    tables = []
    for effect, (F, df) in tests.items():
        F = np.where(flat, np.nan, F)
        p = f_dist.sf(F, df, df_resid)
        ss_effect = F * df * ms_error
        with np.errstate(divide="ignore", invalid="ignore"):
            omega2 = (ss_effect - df * ms_error) / (ss_total + ms_error)
            eta2 = ss_effect / ss_total
        tables.append(pd.DataFrame({
            "neuron": np.arange(Y.shape[1]), "effect": effect, "F": F, "p": p, "omega2": omega2,
            "selective": (p < alpha) & (omega2 >= omega2_min), "df": df, "eta2": eta2,
        }))
    return pd.concat(tables, ignore_index=True)


def effect_names(factor_names) -> list[str]:
    """All effects of a full factorial model in statsmodels' order: main effects, then interactions."""
    names = list(factor_names)
    return [":".join(c) for k in range(1, len(names) + 1) for c in combinations(names, k)]


def selectivity_counts(table: pd.DataFrame) -> pd.Series:
    """Number of selective neurons per effect (eLife Fig. 4D / poster C), in the table's effect order."""
    order = list(dict.fromkeys(table["effect"]))
    return table[table["selective"]].groupby("effect").size().reindex(order, fill_value=0)


def balanced_indices(factors: Mapping, rng: np.random.Generator) -> np.ndarray:
    """Sample indices with the same number of samples in every condition (cell) of ``factors``.

    Each cell keeps ``min(cell sizes)`` samples drawn without replacement (the eLife analysis resamples
    conditions to a balanced design before the ANOVA).
    """
    keys = pd.DataFrame({str(k): np.asarray(v) for k, v in factors.items()})
    groups = keys.groupby(list(keys.columns), sort=True).indices
    n_min = min(len(idx) for idx in groups.values())
    if n_min == 0:
        raise ValueError("a condition has no samples.")
    return np.sort(np.concatenate([rng.choice(idx, n_min, replace=False) for idx in groups.values()]))


def rate_selection(counts, window: float, min_rate: float = 2.0, max_rate: float = 60.0) -> np.ndarray:
    """Neurons whose mean rate over the samples lies in ``[min_rate, max_rate]`` Hz (eLife: 2-60 Hz),
    ``counts`` being spike counts in windows of ``window`` seconds. Boolean ``(n_neurons,)``."""
    Y = np.asarray(counts, dtype=float)
    if Y.ndim != 2 or window <= 0:
        raise ValueError(f"counts must be (n_samples, n_neurons) and window > 0 s; got {Y.shape} and {window}.")
    rate = Y.mean(axis=0) / window
    return (rate >= min_rate) & (rate <= max_rate)


def categories_per_neuron(table: pd.DataFrame) -> pd.DataFrame:
    """Per neuron: the effects it is selective for, their number, and its class (eLife Fig. 4D text):
    ``non-selective``, ``pure`` (one main effect only), ``mixed`` (several effects or an interaction)."""
    selective = table[table["selective"]].groupby("neuron")["effect"].apply(list)
    neurons = pd.Index(pd.unique(table["neuron"]), name="neuron")
    effects = selective.reindex(neurons).apply(lambda v: v if isinstance(v, list) else [])
    n = effects.apply(len)
    kind = np.where(n == 0, "non-selective", np.where((n == 1) & ~effects.apply(lambda v: any(":" in e for e in v)), "pure", "mixed"))
    return pd.DataFrame({"effects": effects.apply(" ".join), "n_categories": n, "class": kind}, index=neurons)


def condition_means(counts, factors: Mapping, effect: str, neuron: int) -> pd.DataFrame:
    """Mean, standard error and number of samples of ``neuron``'s counts in every combination of the
    levels of ``effect`` (e.g. ``"Task:Symbol"``), one row per combination, in sorted order."""
    Y, labels = _check(counts, factors)
    names = effect.split(":")
    unknown = [n for n in names if n not in labels]
    if unknown:
        raise ValueError(f"effect {effect!r} names factors {unknown} that are not in {list(labels)}.")
    if not 0 <= neuron < Y.shape[1]:
        raise ValueError(f"neuron {neuron} out of range (0..{Y.shape[1] - 1}).")
    frame = pd.DataFrame({n: labels[n] for n in names})
    frame["y"] = Y[:, neuron]
    stats = frame.groupby(names, sort=True)["y"].agg(["mean", "sem", "count"]).reset_index()
    return stats.rename(columns={"count": "n"})


def preferred_condition(counts, factors: Mapping, effect: str, neuron: int) -> tuple[tuple, float, float]:
    """The combination of the effect's factor levels in which ``neuron`` fires most (eLife Fig. 4E/F): the
    highest mean count; Welch's t-test of its samples against all other samples gives ``t`` and ``p``
    (whether the preference is significant). Returns ``(levels, t, p)``.

    The preferred condition is decided by the mean, never by the test statistic: a t statistic grows with
    the number of samples, so it would favour often-sampled conditions over the strongest response."""
    from scipy.stats import ttest_ind

    stats = condition_means(counts, factors, effect, neuron)
    names = effect.split(":")
    Y, labels = _check(counts, factors)
    stats = stats[stats["n"] >= 2]
    if stats.empty or len(stats) < 2:
        raise ValueError(f"{effect} needs two or more combinations with two or more samples each.")
    position = int(np.argmax(stats["mean"].to_numpy()))
    levels = tuple(stats[n].iloc[position] for n in names)  # column by column: each level keeps its type
    levels = tuple(v.item() if hasattr(v, "item") else v for v in levels)
    inside = np.all([np.asarray(labels[n]) == v for n, v in zip(names, levels)], axis=0)
    y = Y[:, neuron]
    with warnings.catch_warnings():  # constant samples (a silent condition): t and p are NaN, the preference stands
        warnings.simplefilter("ignore", RuntimeWarning)
        res = ttest_ind(y[inside], y[~inside], equal_var=False)
    return levels, float(res.statistic), float(res.pvalue)


def population_test(rates: pd.DataFrame, response: str, factors: list[str], neuron: str = "neuron") -> pd.DataFrame:
    """Population-level test of ``factors`` with neurons as replicates: a linear mixed model
    ``response ~ C(f1) * C(f2) * ...`` with a random intercept per neuron (statsmodels ``MixedLM``,
    REML), tested term by term with Wald chi-square tests. Factors may be properties of the neurons
    (region, cell type) or of the samples (task, state); a neuron-level factor is tested against the
    variation between neurons, not against trials.

    ``rates``: one row per sample with ``response`` (e.g. rate in Hz), the factors and the ``neuron`` id.
    Returns one row per term: ``term, chi2, df, p`` (the intercept left out).
    """
    import statsmodels.formula.api as smf

    missing = [c for c in [response, neuron, *factors] if c not in rates]
    if missing:
        raise ValueError(f"the population test needs columns {missing}.")
    if rates[neuron].nunique() < 3:
        raise ValueError(f"the population test needs at least 3 neurons; got {rates[neuron].nunique()}.")
    safe = {f: f"f{k}" for k, f in enumerate(factors)}
    data = rates.rename(columns={**safe, response: "y", neuron: "g"})
    formula = "y ~ " + " * ".join(f"C({v})" for v in safe.values())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notices: statsmodels retries with another optimiser itself
        fit = smf.mixedlm(formula, data, groups=data["g"]).fit(reml=True)
        table = fit.wald_test_terms(scalar=True).table
    back = {v: k for k, v in safe.items()}
    rows = []
    for term, row in table.iterrows():
        if term == "Intercept":
            continue
        name = ":".join(back[part[2:-1]] for part in term.split(":"))
        rows.append({"term": name, "chi2": float(row["statistic"]), "df": int(row["df_constraint"]), "p": float(row["pvalue"])})
    return pd.DataFrame(rows)
