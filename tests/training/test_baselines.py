"""LSTM / tanh-RNN baselines: parameter counts matched to the LSNN, trained by the same trainer on
the same task (tiny), refused by validation with a clear message."""

import pytest

from lsnn.training.baselines import ANNBaseline, baseline_parameter_count, lsnn_parameter_count, matched_hidden_size


@pytest.mark.parametrize("kind", ["lstm", "rnn"])
def test_parameter_counts_match_the_lsnn(kind):
    target = lsnn_parameter_count(40, 60, 2)  # 1-D STORE-RECALL network: 6,122 parameters
    assert target == 40 * 60 + 60 * 60 + 60 * 2 + 2
    net = ANNBaseline.matched(kind, 40, 60, 2)
    assert net.n_parameters == baseline_parameter_count(kind, 40, net.recurrent.hidden_size, 2)
    h = matched_hidden_size(kind, 40, 2, target)
    assert abs(net.n_parameters - target) <= abs(baseline_parameter_count(kind, 40, h + 1, 2) - target)
    assert abs(net.n_parameters - target) / target < 0.05


def test_lstm_trains_on_store_recall_and_is_not_validated(tmp_path):
    from lsnn.training.config import make_config
    from lsnn.training.trainer import train
    from lsnn.training.validate import validate_run

    cfg = make_config("store_recall", "lstm", "tiny")
    result = train(cfg, tmp_path / "run", progress=False)
    assert result["finished"] and result["test"]["rate_hz"] is None and result["test"]["n_parameters"] > 0
    assert (tmp_path / "run" / "baseline.pt").is_file()
    with pytest.raises(ValueError, match="no spiking network"):
        validate_run(tmp_path / "run")
