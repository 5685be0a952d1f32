"""Task generators: the eLife STORE-RECALL and delayed-XOR specifications, reproducibility, readouts."""

import numpy as np
import pytest
import torch

from lsnn.training.tasks import DelayedXOR, StoreRecall, window_accuracy, window_cross_entropy, window_means
from lsnn.training.tasks.store_recall import NONE, RECALL, STORE


def test_store_recall_follows_the_elife_specification():
    task = StoreRecall.for_delay(2.0)
    assert (task.n_in, task.n_out, task.n_steps, task.step_steps) == (40, 2, 4000, 200)
    assert task.p_command == pytest.approx(1 / 11)
    batch = task.sample(np.random.default_rng(0), 400)
    cmd, shown, labels = batch.conditions["command"], batch.conditions["value_shown"], batch.labels
    assert np.all((cmd == RECALL).any(axis=1))  # every trial has a target
    for b in range(400):
        events = cmd[b][cmd[b] != NONE]
        assert np.all(events[0::2] == STORE) and np.all(events[1::2] == RECALL)  # alternating, STORE first
        for k in np.flatnonzero(cmd[b] == RECALL):
            last_store = np.flatnonzero(cmd[b, :k] == STORE)[-1]
            assert labels[b, k] == shown[b, last_store]
            assert batch.conditions["delay"][b, k] == pytest.approx((k - last_store) * 0.2)
    assert np.all(labels[cmd != RECALL] == -1)
    assert np.all(shown[cmd == RECALL] == -1)
    # command frequency: p = 1/11 per step (before the at-least-one-recall selection raises it slightly)
    assert 0.08 < (cmd != NONE).mean() < 0.14
    # Poisson rates: active populations at 50 Hz, silent ones at 0
    x = batch.x.reshape(400, 20, 200, 4, 10)
    store_rate = x[:, :, :, 2][cmd == STORE].mean() / 1e-3
    assert store_rate == pytest.approx(50, rel=0.1)
    assert x[:, :, :, 3][cmd != RECALL].sum() == 0


def test_store_recall_is_reproducible_from_the_seed():
    task = StoreRecall.for_delay(0.2)
    a, b = task.sample(np.random.default_rng(5), 8), task.sample(np.random.default_rng(5), 8)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert task.n_steps == 12 * 50
    with pytest.raises(ValueError, match="Table 1"):
        StoreRecall.for_delay(3.0)


def test_delayed_xor_labels_and_timing():
    task = DelayedXOR()
    batch = task.sample(np.random.default_rng(1), 600)
    signs = batch.conditions["signs"]
    single = signs[:, 1] == 0
    assert np.all(batch.labels[single, 0] == 2)
    assert np.all(batch.labels[~single, 0] == (signs[~single, 0] != signs[~single, 1]))
    assert abs(single.mean() - 1 / 3) < 0.06  # six equally likely configurations
    assert np.nanmax(batch.conditions["delay"]) <= 0.17 + 1e-9
    # each pulse integrates to the same area; sign carried by the signal channel
    area = task.pulse().sum()
    np.testing.assert_allclose(batch.x[:, :, 0].sum(1), (signs.sum(1)) * area, rtol=1e-5, atol=1e-4)
    assert np.all(batch.x[:, 500:530, 1].max(1) > 0.9) and batch.x[:, :500, 1].sum() == 0
    np.testing.assert_array_equal(batch.windows, [[500, 560]])


def test_window_readout_mean_loss_and_accuracy():
    out = torch.arange(2 * 10 * 2, dtype=torch.float64).reshape(2, 10, 2)
    equal = np.array([[0, 5], [5, 10]])
    np.testing.assert_allclose(window_means(out, equal).numpy(), out.reshape(2, 2, 5, 2).mean(2).numpy())
    odd = np.array([[1, 4], [6, 7]])
    np.testing.assert_allclose(window_means(out, odd)[:, 0].numpy(), out[:, 1:4].mean(1).numpy())
    from lsnn.training.tasks import TaskBatch

    batch = TaskBatch(np.zeros((2, 10, 1)), np.array([[1, -1], [0, 1]]), equal)
    assert window_accuracy(out, batch) == pytest.approx(2 / 3)  # output 1 > output 0 everywhere
    logits = window_means(out, equal)
    expected = torch.nn.functional.cross_entropy(torch.stack([logits[0, 0], logits[1, 0], logits[1, 1]]), torch.tensor([1, 0, 1]))
    assert float(window_cross_entropy(out, batch)) == pytest.approx(float(expected))
