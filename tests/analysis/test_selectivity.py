"""3-way type-II ANOVA selectivity: equal to statsmodels neuron by neuron, planted effects found, bad input refused."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from lsnn.analysis.selectivity import anova_selectivity, balanced_indices, effect_names, selectivity_counts


def _data(rng, n=360, n_neurons=6, unbalanced=True):
    task = rng.integers(0, 2, n)
    position = rng.integers(0, 3, n)
    symbol = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1] if unbalanced else None)
    counts = rng.poisson(6, (n, n_neurons)).astype(float)
    counts[:, 0] += 4 * task  # Task
    counts[:, 1] += 4 * (position == 2)  # Position
    counts[:, 2] += 5 * (task == 1) * (position == 1)  # Task:Position (plus the marginal effects it implies)
    counts[:, 3] += 5 * (symbol == "a")  # Symbol
    return counts, {"Task": task, "Position": position, "Symbol": symbol}


def test_equals_statsmodels_anova_lm_type2_on_an_unbalanced_design():
    counts, factors = _data(np.random.default_rng(0))
    table = anova_selectivity(counts, factors)
    assert list(dict.fromkeys(table.effect)) == effect_names(["Task", "Position", "Symbol"])  # statsmodels' order
    for j in range(counts.shape[1]):
        df = pd.DataFrame({"y": counts[:, j], **factors})
        ref = anova_lm(smf.ols("y ~ C(Task)*C(Position)*C(Symbol)", df).fit(), typ=2)
        ms_error = ref.loc["Residual", "sum_sq"] / ref.loc["Residual", "df"]
        ss_total = float(np.sum((counts[:, j] - counts[:, j].mean()) ** 2))
        for name, row in ref.drop(index="Residual").iterrows():
            ours = table[(table.neuron == j) & (table.effect == name.replace("C(", "").replace(")", ""))].iloc[0]
            assert ours.F == pytest.approx(row.F, rel=1e-8)
            assert ours.p == pytest.approx(row["PR(>F)"], rel=1e-8, abs=1e-300)
            omega2 = (row.sum_sq - row.df * ms_error) / (ss_total + ms_error)
            assert ours.omega2 == pytest.approx(omega2, rel=1e-8, abs=1e-12)


def test_planted_effects_are_found_and_vanish_with_shuffled_labels():
    rng = np.random.default_rng(1)
    counts, factors = _data(rng, n=1200, unbalanced=False)
    counts[:, :4] *= 1  # keep planted effects
    counts[:, 0] += 6 * factors["Task"]
    counts[:, 3] += 6 * (factors["Symbol"] == "a")
    table = anova_selectivity(counts, factors)
    selective = {(r.neuron, r.effect) for r in table[table.selective].itertuples()}
    assert (0, "Task") in selective and (3, "Symbol") in selective
    assert not any(j in (4, 5) for j, _ in selective)  # pure-noise neurons are never selective
    shuffled = {k: rng.permutation(v) for k, v in factors.items()}
    assert not anova_selectivity(counts, shuffled).selective.any()
    assert selectivity_counts(table)["Task"] >= 1


def test_constant_neurons_and_bad_input_get_clear_answers():
    counts, factors = _data(np.random.default_rng(2))
    counts[:, 5] = 3.0
    table = anova_selectivity(counts, factors)
    assert table[table.neuron == 5].F.isna().all() and not table[table.neuron == 5].selective.any()
    with pytest.raises(ValueError, match="Symbol.*missing"):
        bad = dict(factors, Symbol=np.where(np.arange(len(counts)) == 7, None, factors["Symbol"]))
        anova_selectivity(counts, bad)
    with pytest.raises(ValueError, match="one label per sample"):
        anova_selectivity(counts, dict(factors, Task=factors["Task"][:-1]))
    with pytest.raises(ValueError, match="single level"):
        anova_selectivity(counts, dict(factors, Task=np.zeros(len(counts))))
    with pytest.raises(ValueError, match="NaN"):
        anova_selectivity(np.full_like(counts, np.nan), factors)
    with pytest.raises(ValueError, match="degrees of freedom"):
        anova_selectivity(counts[:4], {"Task": [0, 1, 0, 1], "Position": [0, 0, 1, 1], "Symbol": ["a", "b", "c", "d"]})


def test_balanced_indices_equalise_every_condition():
    _, factors = _data(np.random.default_rng(3))
    idx = balanced_indices(factors, np.random.default_rng(0))
    cells = pd.DataFrame({k: v[idx] for k, v in factors.items()}).value_counts()
    assert cells.nunique() == 1 and len(cells) == 2 * 3 * 4


def test_command_line_writes_the_table(tmp_path, cli):
    counts, factors = _data(np.random.default_rng(4))
    frame = pd.DataFrame({**factors, **{f"unit{j}": counts[:, j] for j in range(counts.shape[1])}})
    path = tmp_path / "counts.csv"
    frame.to_csv(path, index=False)
    cli.error("analyze", "selectivity", path, "--factors", "Task", "Position", "Symbol", match="give --count-window .* or --no-rate-filter")
    rc, out, _ = cli.run("analyze", "selectivity", path, "--factors", "Task", "Position", "Symbol", "--no-rate-filter")
    assert rc == 0
    table = pd.read_csv(tmp_path / "counts_analysis" / "selectivity.csv")
    assert set(table.neuron) == {f"unit{j}" for j in range(6)} and len(table) == 6 * 7
    assert "Task" in out
    cli.error("analyze", "selectivity", path, "--factors", "Task", "Colour", "--no-rate-filter", match="not in")
