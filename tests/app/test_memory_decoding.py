"""eLife Fig. 2A decoding pipeline: phase cutting is exact, and decoders read Brian2 rasters of a trained run."""

import numpy as np
import pytest

from lsnn.app.decoding import memory_decoding, phase_counts
from lsnn.training.config import make_config
from lsnn.training.trainer import train


def test_phase_counts_pick_the_store_the_step_before_and_the_recall():
    # 2 trials x 4 steps of 5 time steps, 2 neurons; neuron 0 spikes (step index + 1) times in every step
    commands = np.array([[1, 0, 2, 0], [1, 2, 1, 2]])
    words = np.array([[7, 3, -1, 5], [4, -1, 9, -1]])
    spikes = np.zeros((2, 20, 2))
    for k in range(4):
        spikes[:, 5 * k:5 * k + k + 1, 0] = 1
    spikes[1, :, 1] = 1
    p = phase_counts(spikes, commands, words)
    np.testing.assert_array_equal(p["label"], [7, 4, 9])
    np.testing.assert_array_equal(p["store"][:, 0], [1, 1, 3])
    np.testing.assert_array_equal(p["before"][:, 0], [2, 1, 3])
    np.testing.assert_array_equal(p["recall"][:, 0], [3, 2, 4])
    np.testing.assert_array_equal(p["recall"][:, 1], [0, 5, 5])
    np.testing.assert_array_equal(p["has_before"], [True, False, False])
    with pytest.raises(ValueError, match="do not split"):
        phase_counts(spikes[:, :19], commands, words)
    with pytest.raises(ValueError, match="nothing to decode"):
        phase_counts(spikes, np.zeros_like(commands), words)


def test_decoders_read_the_brian2_rasters_of_a_trained_run(tmp_path):
    cfg = make_config("store_recall_20d", "sfa", "tiny", overrides={"n_test": 96, "test_batch": 32,
                      "task_params": {"n_steps_seq": 6, "step_duration": 0.02, "n_test_words": 2, "min_hamming": 3}})
    train(cfg, tmp_path / "run", progress=False)
    result = memory_decoding(tmp_path / "run", n_trials=96, n_splits=3)
    assert result.n_trials == 96 and result.device == "cython"
    assert set(result.accuracy) == {"before_recall", "recall", "store_to_recall", "recall_to_store"}
    assert all(0.0 <= a <= 1.0 for a in result.accuracy.values()) and 0.5 <= result.chance < 1.0
    assert result.n_samples["before_recall"] < result.n_samples["recall"]
    rows = result.table()
    assert [r["paper"] for r in rows] == [4.38, 100.0, 0.0, 0.0]
    train(make_config("store_recall", "sfa", "tiny"), tmp_path / "sr", progress=False)
    with pytest.raises(ValueError, match="20-D STORE-RECALL"):
        memory_decoding(tmp_path / "sr")
