"""``lsnn reproduce`` on the tiny preset: every cell trained once and reused on a rerun, validated spike
for spike in Brian2 (numpy / cython), tabulated next to the paper's numbers; bad grids refused."""

import json

import pandas as pd
import pytest

from lsnn.app.commands.reproduce import NAMES, SMNIST_ROWS, SMNIST_SETUPS, TABLE1_ROWS
from lsnn.app.published import PAPER_LABELS
from lsnn.app.reproduce import (COMPARISONS, TABLE1_PAPER, TABLE1_ROWS as ROWS, comparison_config, reproduce_comparison,
                                reproduce_table1, table1_config)
from lsnn.figures.comparison import figure_comparison


def test_table1_cells_are_configured_as_in_the_paper():
    cfg = table1_config("sfa-power-law-8", 4.0, "quick", seed=3)
    assert (cfg.model, cfg.tau_a, cfg.tau_a_distribution, cfg.seed) == ("sfa", 8.0, "power_law", 3)
    assert cfg.task_params == {"expected_delay": 4.0} and cfg.n_rec == 60 and cfg.beta == 1.0
    assert table1_config("lif", 16.0, "paper", 0).model == "lif"
    assert table1_config("sfa-2", 2.0, "paper", 0).n_iterations == 400
    with pytest.raises(ValueError, match="expected delays"):
        table1_config("sfa-2", 3.0, "quick", 0)
    with pytest.raises(ValueError, match="unknown Table 1 row"):
        table1_config("sfa-3", 2.0, "quick", 0)


def test_the_command_offers_exactly_the_reproductions():
    from lsnn.app import smnist

    assert set(NAMES) == {"elife-table1", "neurips-smnist", "neurips-l2l", "neurips-metarl", *COMPARISONS} and set(TABLE1_ROWS) == set(ROWS)
    assert SMNIST_ROWS == tuple(smnist.ROWS) and SMNIST_SETUPS == tuple(smnist.SETUPS)
    from lsnn.app.commands.reproduce import L2L_FAMILIES
    from lsnn.app.l2l import FAMILIES

    assert L2L_FAMILIES == FAMILIES
    from lsnn.app.commands.reproduce import VARIANTS
    from lsnn.app.published import VARIANTS as PUBLISHED_VARIANTS

    assert VARIANTS == tuple(PUBLISHED_VARIANTS)
    from lsnn.app.commands.reproduce import REPRODUCE_PRESETS

    assert set(REPRODUCE_PRESETS) == {p for c in COMPARISONS.values() for p in c.presets}


def test_12ax_controls_change_the_fraction_of_sfa_neurons_and_the_noise(tmp_path):
    """eLife Fig. 3 controls as reproduce rows: the variant sets frac_adaptive or current_noise on the 12AX preset,
    and a run trained and tested with noise is validated spike for spike in Brian2 with the same noise."""
    fraction = COMPARISONS["elife-12ax-sfa-fraction"]
    assert comparison_config(fraction, "sfa-10pct", "paper", 0).frac_adaptive == 0.1
    assert comparison_config(fraction, "sfa-all", "paper", 0).frac_adaptive == 1.0
    assert comparison_config(fraction, "sfa", "paper", 0).frac_adaptive == 0.5
    noise = COMPARISONS["elife-12ax-noise"]
    assert comparison_config(noise, "sfa-noise0.2", "paper", 0).current_noise == 0.2
    with pytest.raises(ValueError, match="compares"):
        comparison_config(noise, "sfa-all", "paper", 0)
    frame = reproduce_comparison("elife-12ax-noise", tmp_path, preset="tiny", models=["sfa-noise0.5"], device="cython",
                                 progress=False, log=lambda *a: None)
    assert list(frame.model) == ["sfa-noise0.5"] and list(frame.paper) == [0.25]
    assert (frame.validated_trials == 4).all() and (frame.identical_trials == 4).all()
    assert json.loads((tmp_path / "runs" / "sfa-noise0.5-s0" / "config.json").read_text())["current_noise"] == 0.5
    # the paper's tick says it is the paper's protocol (noise in testing only), the title that there is one seed
    figure = figure_comparison(frame, "12AX noise", "success", paper_label=PAPER_LABELS["elife-12ax-noise"])
    assert [t.get_text() for t in figure.axes[0].get_legend().get_texts()] == ["seeds", "paper (noise in testing only)"]
    assert "one seed each" in figure.axes[0].get_title()


def test_reduced_12ax_preset_is_the_shipped_networks_recipe():
    """``--preset reduced`` of the 12AX comparisons = the command of notebooks/data/twelve_ax_reduced (its README line):
    the trainer's quick preset with 30 symbols of 200 ms and 4,000 iterations; other reproductions refuse it."""
    from lsnn.training.config import make_config

    shipped = make_config("12ax", "sfa", "quick", {"n_iterations": 4000, "task_params.n_symbols": 30, "task_params.step_duration": 0.2,
                                                   "checkpoint_every": 50, "n_test": 1000, "eval_every": 250, "eval_trials": 100})
    for name in ("elife-12ax", "elife-12ax-sfa-fraction"):
        assert comparison_config(COMPARISONS[name], "sfa", "reduced", 0) == shipped
    cfg = comparison_config(COMPARISONS["elife-12ax-sfa-fraction"], "sfa-10pct", "reduced", 1, {"n_iterations": 2000})
    assert (cfg.frac_adaptive, cfg.n_iterations, cfg.seed, cfg.task_params["n_symbols"]) == (0.1, 2000, 1, 30)
    with pytest.raises(ValueError, match="unknown preset 'reduced'"):
        comparison_config(COMPARISONS["elife-fig2b"], "sfa", "reduced", 0)
    with pytest.raises(ValueError, match="unknown preset 'reduced'"):
        reproduce_table1("unused", preset="reduced")


def test_set_changes_every_run_of_a_comparison_and_is_named_in_its_table(tmp_path, cli):
    out = tmp_path / "noise"
    assert cli.run("reproduce", "elife-12ax-noise", "--preset", "tiny", "--models", "sfa-noise0.1", "--set", "n_iterations=2",
                   "--set", "task_params.n_symbols=6", "--validate-trials", "0", "--out", out, "--no-progress")[0] == 0
    cfg = json.loads((out / "runs" / "sfa-noise0.1-s0" / "config.json").read_text())
    assert (cfg["n_iterations"], cfg["task_params"]["n_symbols"], cfg["current_noise"]) == (2, 6, 0.1)
    assert 'changed with --set: n_iterations=2, task_params.n_symbols=6' in (out / "elife-12ax-noise.md").read_text()
    cli.error("reproduce", "elife-12ax-noise", "--preset", "tiny", "--set", "n_iterations=2", match="give --out FOLDER")
    cli.error("reproduce", "elife-table1", "--preset", "tiny", "--set", "n_iterations=2", "--out", tmp_path / "t",
              match="--set applies to the comparisons")
    cli.error("reproduce", "elife-12ax-noise", "--preset", "tiny", "--set", "n_iterationz=2", "--out", tmp_path / "u", match="n_iterationz")
    assert not (tmp_path / "u" / "runs").exists()


def test_tiny_table_trains_validates_tabulates_and_reuses_finished_runs(tmp_path, cli):
    logs = []
    frame = reproduce_table1(tmp_path, preset="tiny", rows=["lif", "sfa-2"], device="cython", progress=False, log=logs.append)
    assert list(frame.row) == ["lif", "sfa-2"] and list(frame.delay_s) == [0.2, 0.2]
    assert (frame.validated_trials == 4).all() and (frame.identical_trials == 4).all()
    assert list(frame.paper) == [TABLE1_PAPER["lif"][0.2], TABLE1_PAPER["sfa-2"][0.2]]
    assert frame.accuracy.between(0, 100).all() and frame.brian2_accuracy.between(0, 100).all()
    text = (tmp_path / "table1.md").read_text()
    assert "| tau_a = 2 s |" in text and "(99)" in text and "(float64, cython): 8/8 test trials with identical rasters" in text
    runs = pd.read_csv(tmp_path / "table1_runs.csv")
    assert len(runs) == 2
    metrics = tmp_path / "runs" / "sfa-2-delay0.2s-s0" / "metrics.jsonl"
    before = metrics.read_text()
    # the command line reuses the finished runs: no new iteration is written
    assert cli.run("reproduce", "elife-table1", "--preset", "tiny", "--rows", "lif", "sfa-2", "--device", "cython",
                   "--out", tmp_path, "--no-progress")[0] == 0
    assert metrics.read_text() == before
    assert json.loads((tmp_path / "table1.json").read_text())["preset"] == "tiny"
    cli.error("reproduce", "elife-table1", "--preset", "tiny", "--delays", "3", "--out", tmp_path, match="expected delays")
    rc, out, _ = cli.run("figures", tmp_path)
    assert rc == 0 and (tmp_path / "figures" / "table1.png").stat().st_size > 20_000


def test_comparisons_are_configured_as_in_the_paper():
    fig2b = COMPARISONS["elife-fig2b"]
    assert list(fig2b.variants) == ["sfa", "lif", "elif", "stp_d", "stp_f"]
    assert comparison_config(fig2b, "stp_f", "paper", 0).batch_size == 128  # Fig. 2B used batch 128
    assert comparison_config(fig2b, "sfa", "quick", 0) == table1_config("sfa-2", 2.0, "quick", 0)  # the 2 s column of Table 1
    assert COMPARISONS["elife-dup-rev"].variants == {"sfa": 95.88, "lif": 0.0}
    assert comparison_config(COMPARISONS["elife-12ax"], "sfa", "paper", 0).n_iterations == 10_000
    with pytest.raises(ValueError, match="compares"):
        comparison_config(COMPARISONS["elife-fig2a"], "stp_d", "quick", 0)


def test_tiny_fig2b_trains_validates_and_orders_the_variants(tmp_path, cli):
    frame = reproduce_comparison("elife-fig2b", tmp_path, preset="tiny", models=["lif", "stp_f"], validate_trials=2, device="numpy",
                                 progress=False, log=lambda *_: None)
    assert list(frame.model) == ["lif", "stp_f"]
    assert (frame.identical_trials == 2).all() and frame.paper.isna().all()
    text = (tmp_path / "elife-fig2b.md").read_text()
    assert "Ours, best to worst: " in text and "STP-F much worse" in text and "| 2/2 |" in text
    summary = json.loads((tmp_path / "elife-fig2b.json").read_text())["summary"]
    assert [s["mean"] for s in summary] == sorted((s["mean"] for s in summary), reverse=True)
    metrics = (tmp_path / "runs" / "lif-s0" / "metrics.jsonl").read_text()
    assert cli.run("reproduce", "elife-fig2b", "--preset", "tiny", "--models", "lif", "stp_f", "--validate-trials", "2",
                   "--device", "numpy", "--out", tmp_path, "--no-progress")[0] == 0  # reuses both runs and validations
    assert (tmp_path / "runs" / "lif-s0" / "metrics.jsonl").read_text() == metrics
    cli.error("reproduce", "elife-fig2b", "--preset", "tiny", "--rows", "lif", "--out", tmp_path, match="--rows and --delays apply to elife-table1, neurips-smnist, neurips-l2l and neurips-metarl only")
    cli.error("reproduce", "elife-fig2a", "--preset", "tiny", "--models", "elif", "--out", tmp_path, match="compares")
    assert cli.run("figures", tmp_path)[0] == 0 and (tmp_path / "figures" / "elife-fig2b.png").stat().st_size > 10_000


def test_smnist_rows_are_configured_as_in_the_paper():
    from lsnn.app import published
    from lsnn.app.smnist import smnist_config

    dense = smnist_config("lsnn", "2ms", "paper", 1)
    assert (dense.model, dense.connectivity, dense.dale, dense.tau_a, dense.task_params["ms_per_pixel"], dense.seed) == ("sfa", None, False, 1.4, 2, 1)
    assert smnist_config("deep-r-lsnn", "1ms", "quick", 0).connectivity == 0.12
    assert smnist_config("rnn", "1ms", "paper", 0).baseline_hidden == 128
    # Tables S1/S2 as printed
    assert published.NEURIPS_SMNIST["1ms"]["deep-r-lsnn"] == (12, 94.2, 0.3, 94.7) and published.NEURIPS_SMNIST["2ms"]["deep-r-lsnn"][3] == 96.4
    assert published.NEURIPS_SMNIST["1ms"]["lif"][3] == 63.3 and published.NEURIPS_SMNIST["2ms"]["lif"][3] == 51.8
    assert published.NEURIPS_SMNIST["1ms"]["lstm"][3] == 98.5 and published.NEURIPS_SMNIST["2ms"]["lstm"][3] == 98.0
    with pytest.raises(ValueError, match="unknown setup"):
        smnist_config("lif", "3ms", "quick", 0)


def test_tiny_smnist_reproduction_tabulates_validates_and_draws_fig1(tmp_path, cli, monkeypatch):
    from pathlib import Path

    slice_dir = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "mnist_slice"
    monkeypatch.setenv("LSNN_MNIST_DIR", str(slice_dir))
    rc, out, _ = cli.run("reproduce", "neurips-smnist", "--preset", "tiny", "--rows", "deep-r-lsnn", "lif", "rnn", "--device", "cython",
                         "--out", tmp_path, "--no-progress")
    assert rc == 0, out
    frame = pd.read_csv(tmp_path / "neurips-smnist_runs.csv")
    assert list(frame.row) == ["deep-r-lsnn", "lif", "rnn"] and list(frame.paper_max) == [94.7, 63.3, 89.0]
    assert list(frame.validated_trials) == [2, 2, 0] and list(frame.identical_trials) == [2, 2, 0]
    # DEEP R keeps the global number of connections: 12 % of the possible synapses
    assert abs(frame["connectivity_%"].iloc[0] - 12) < 1.5 and pd.isna(frame["connectivity_%"].iloc[1])
    table = pd.read_csv(tmp_path / "runs" / "deep-r-lsnn-1ms-s0" / "connectivity.csv")
    assert set(table.pre) == {"X(E)", "X(I)", "E", "I", "A"} and set(table.post) == {"E", "I", "A", "Y"}
    assert table.n_possible.sum() == 80 * 22 + 22 * 21 + 22 * 10
    text = (tmp_path / "neurips-smnist.md").read_text()
    assert "| deep-r-lsnn, 1ms |" in text and "94.2 +- 0.3 (12)" in text and "- (no spikes)" in text
    cli.error("reproduce", "neurips-smnist", "--preset", "tiny", "--models", "sfa", "--out", tmp_path, match="--rows")
    cli.error("reproduce", "elife-xor", "--preset", "tiny", "--setups", "2ms", "--out", tmp_path, match="--setups")
    rc, _, _ = cli.run("figures", tmp_path)
    assert rc == 0 and (tmp_path / "figures" / "neurips-smnist.png").stat().st_size > 20_000
    assert (tmp_path / "figures" / "time_to_accuracy.png").stat().st_size > 20_000  # every row's final test against its time
    rc, _, _ = cli.run("figures", tmp_path / "runs" / "deep-r-lsnn-1ms-s0")
    figures = tmp_path / "runs" / "deep-r-lsnn-1ms-s0" / "figures"
    assert rc == 0 and (figures / "smnist_connectivity.png").is_file() and (figures / "smnist_digit.png").stat().st_size > 50_000
