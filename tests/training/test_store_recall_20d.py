"""20-D STORE-RECALL: the test dictionary (<= 4 active bits, pairwise Hamming >= 5), training words
never near a test word, inputs and targets as specified, word/bit metrics, and a tiny training run."""

import numpy as np
import torch

from lsnn.training.tasks import StoreRecall20D
from lsnn.training.tasks.store_recall import RECALL, STORE


def test_dictionaries_keep_test_words_unseen():
    task = StoreRecall20D()
    test = task.test_words()
    assert test.shape == (20, 20) and (test.sum(1) <= 4).all() and (test.sum(1) > 0).all()
    d = np.count_nonzero(test[:, None] != test[None], axis=-1)
    assert (d[~np.eye(20, dtype=bool)] >= 5).all()
    batch = task.sample(np.random.default_rng(0), 16)
    shown = batch.conditions["word_shown"]
    assert shown.max() < 40  # a 40-word training dictionary
    held = task.held_out().sample(np.random.default_rng(0), 16)
    targets = held.conditions["target_bits"][held.labels >= 0]
    assert all((targets[k] == test).all(axis=1).any() for k in range(len(targets)))  # recalls are test words


def test_inputs_targets_and_metrics():
    task = StoreRecall20D()
    batch = task.sample(np.random.default_rng(1), 8)
    assert batch.x.shape == (8, 2000, 88) and task.n_out == 20
    cmd = batch.conditions["command"]
    b, k = np.argwhere(cmd == RECALL)[0]
    L = 200
    recall_step = batch.x[b, k * L : (k + 1) * L]
    assert recall_step[:, 8:].sum() == 0 and recall_step[:, 4:8].mean() > 0.2  # bits silent, RECALL (4 neurons) at 400 Hz
    store_k = np.flatnonzero(cmd[b, :k] == STORE)[-1]
    store_step = batch.x[b, store_k * L : (store_k + 1) * L]
    target = batch.conditions["target_bits"][b, k]
    on = store_step[:, 8:].reshape(L, 2, 20, 2).sum(axis=(0, 3))  # (value 1 / value 0 channels, bit)
    assert ((on[0] > 0) == (target == 1)).all() and ((on[1] > 0) == (target == 0)).all()
    assert np.array_equal(batch.windows[0], [100, 101])
    perfect = torch.zeros(8, 2000, 20, dtype=torch.float64)
    for bb, kk in np.argwhere(batch.labels >= 0):
        perfect[bb, kk * L + 100] = torch.as_tensor(np.where(batch.conditions["target_bits"][bb, kk] == 1, 5.0, -5.0))
    assert task.metrics(perfect, batch) == {"accuracy": 1.0, "bit_accuracy": 1.0}
    assert float(task.loss(perfect, batch)) < 0.1


def test_trains_with_the_tiny_preset(tmp_path):
    from lsnn.training.config import make_config
    from lsnn.training.trainer import train

    cfg = make_config("store_recall_20d", "sfa", "tiny")
    paper = make_config("store_recall_20d", "sfa", "paper")
    assert (paper.n_rec, paper.beta, paper.tau_a, paper.batch_size, paper.n_iterations) == (500, 4.0, 0.8, 256, 4000)
    result = train(cfg, tmp_path / "run", progress=False)
    assert result["finished"] and set(result["test"]) >= {"accuracy", "bit_accuracy"}
