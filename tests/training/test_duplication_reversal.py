"""Duplication / reversal: episode layout, answers in the same or reversed order then EOS, success per
episode, the eLife selectivity samples (Task x Position x Symbol), and a tiny training run."""


import numpy as np
import pytest
import torch

from lsnn.analysis import anova_selectivity
from lsnn.training.tasks import DuplicationReversal
from lsnn.training.tasks.duplication_reversal import CONTENT, CUE_REVERSE, EOS, PROMPT, REVERSE


def test_episode_layout_and_answers():
    task = DuplicationReversal()
    assert (task.n_in, task.n_out, task.n_steps) == (175, 32, 6000)
    batch = task.sample(np.random.default_rng(0), 6)
    b = int(np.flatnonzero(batch.conditions["task"] == REVERSE)[0])
    syms = batch.conditions["symbols"][b]
    assert list(batch.labels[b]) == [-1] * 6 + list(syms[::-1]) + [EOS]
    rate = lambda step, symbol: batch.x[b, 500 * step : 500 * (step + 1), 5 * symbol : 5 * symbol + 5].mean() / 1e-3  # noqa: E731
    assert rate(0, syms[0]) > 150 and rate(0, CUE_REVERSE) > 150 and rate(1, CUE_REVERSE) < 10  # cue only in step 1
    assert rate(5, EOS) > 150 and rate(8, PROMPT) > 150
    assert np.array_equal(batch.windows[:2], [[499, 500], [999, 1000]])
    perfect = torch.zeros(6, 6000, 32, dtype=torch.float64)
    for bb, k in np.argwhere(batch.labels >= 0):
        perfect[bb, 500 * k + 499, batch.labels[bb, k]] = 1.0
    assert task.metrics(perfect, batch) == {"accuracy": 1.0, "success": 1.0}


def test_selectivity_samples_find_a_planted_symbol_neuron():
    task = DuplicationReversal()
    rng = np.random.default_rng(1)
    batch = task.sample(rng, 400)
    spikes = (rng.random((400, 6000, 3)) < 0.01).astype(np.float32)
    # neuron 0 fires extra whenever symbol "a" is shown (in any input step)
    for b, p in np.argwhere(batch.conditions["symbols"] == 0):
        spikes[b, 500 * p : 500 * p + 500, 0] += rng.random(500) < 0.03
    counts, factors = task.selectivity_samples(spikes, batch, np.random.default_rng(2))
    assert counts.shape == (400, 3) and set(factors) == {"Task", "Position", "Symbol"}
    assert set(np.unique(factors["Position"])) <= {1, 2, 3, 4, 5} and set(factors["Symbol"]) <= set(CONTENT)
    sel = anova_selectivity(counts, {"Symbol": factors["Symbol"], "Task": factors["Task"]})
    p = sel.set_index(["neuron", "effect"])["p"]
    assert p[(0, "Symbol")] < 1e-6 and p[(1, "Symbol")] > 1e-3


def test_trains_with_the_tiny_preset(tmp_path):
    from lsnn.training.config import make_config
    from lsnn.training.trainer import train

    paper = make_config("duplication_reversal", "sfa", "paper")
    assert (paper.n_rec, round(paper.frac_adaptive * paper.n_rec), paper.tau_out, paper.batch_size) == (320, 192, 0.25, 50)
    result = train(make_config("duplication_reversal", "sfa", "tiny"), tmp_path / "run", progress=False)
    assert result["finished"] and set(result["test"]) >= {"accuracy", "success"}


def test_reduced_variant_keeps_the_layout_and_says_so():
    paper = DuplicationReversal()
    assert paper.variant == "" and paper.eos == EOS
    task = DuplicationReversal(n_symbols_seq=3, n_content=8, step_duration=0.25)
    assert task.variant == "reduced: 3-symbol strings of 8 symbols, 250 ms steps (paper: 5 of 31, 500 ms)"
    assert (task.n_in, task.n_out, task.n_steps, task.eos) == (60, 9, 2000, 8)
    batch = task.sample(np.random.default_rng(0), 50)
    assert batch.conditions["symbols"].max() < 8
    b = int(np.flatnonzero(batch.conditions["task"] == REVERSE)[0])
    syms = batch.conditions["symbols"][b]
    assert list(batch.labels[b]) == [-1] * 4 + list(syms[::-1]) + [8]
    rate = lambda step, symbol: batch.x[b, 250 * step : 250 * (step + 1), 5 * symbol : 5 * symbol + 5].mean() / 1e-3  # noqa: E731
    assert rate(0, syms[0]) > 150 and rate(0, 8 + 3) > 150 and rate(3, 8) > 150 and rate(5, 8 + 1) > 150  # cue, EOS, prompt
    counts, factors = task.selectivity_samples(batch.x[:, :, :3], batch, np.random.default_rng(1))
    assert set(factors["Symbol"]) <= set("abcdefgh") and set(np.unique(factors["Position"])) <= {1, 2, 3}
    for bad in ({"n_content": 1}, {"n_content": 32}, {"n_symbols_seq": 0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            DuplicationReversal(**bad)


def test_one_sequence_under_both_tasks(tmp_path):
    """Poster B: fixed-sequence episodes differ only in their input spikes; the traces of both tasks come in one
    neuron order, and the fractions of neurons changing their peak step are computed on the active neurons."""
    from lsnn.app.episodes import task_sequences
    from lsnn.training.config import make_config
    from lsnn.training.tasks.duplication_reversal import DUPLICATE
    from lsnn.training.trainer import train

    task = DuplicationReversal(n_symbols_seq=3, n_content=8, step_duration=0.05)
    batch = task.fixed_sequence(np.random.default_rng(0), "bad", DUPLICATE, 5)
    assert (batch.conditions["symbols"] == [1, 0, 3]).all() and (batch.labels[:, 4:7] == [1, 0, 3]).all()
    assert not np.array_equal(batch.x[0], batch.x[1]) and task.step_names("bad") == ["b", "a", "d", "*", "?", "?", "?", "?"]
    for word in ("bax", "ab"):
        with pytest.raises(ValueError, match="must be 3 symbols"):
            task.fixed_sequence(np.random.default_rng(0), word, DUPLICATE, 2)
    run = tmp_path / "run"
    train(make_config("duplication_reversal", "sfa", "tiny", {"n_iterations": 2}), run, progress=False)
    both = task_sequences(run, n_episodes=20, bin_size=0.01)
    assert both.word == "ab" and both.step_names == ["a", "b", "*", "?", "?", "?"]
    assert both.duplication.shape == both.reversal.shape == (30, 20) and sorted(both.order) == list(range(20))
    assert 0 <= both.changed <= 1 and 0 <= both.changed_control <= 1 and 0 < both.n_active <= 20
    assert np.nanmax(both.reversal) == 1.0 and set(both.success) == {"duplication", "reversal"}
    again = task_sequences(run, n_episodes=20, bin_size=0.01)
    assert np.array_equal(again.reversal, both.reversal) and again.changed == both.changed  # seeded


def test_shipped_reduced_network_answers_the_episodes_it_claims(shipped_answers_as_claimed):
    """The reduced duplication/reversal network in notebooks/data (made by lsnn train, 6,000 iterations): float64
    re-evaluation of its first 50 held-out episodes gives, episode for episode, the answers recorded by
    ``lsnn evaluate --dtype float64`` on all 1,000, whose success is the one the README reports."""
    meta = shipped_answers_as_claimed("duplication_reversal_reduced", n_trials=50, batch_size=50)  # the run's test batches
    assert meta["task"]["n_symbols_seq"] == 3 and meta["task"]["n_content"] == 8
    assert DuplicationReversal(n_symbols_seq=3, n_content=8, step_duration=0.25).variant.startswith("reduced")
