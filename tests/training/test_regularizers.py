"""Losses, the firing-rate regulariser and the learning-rate schedule against hand-computed values."""

import math

import pytest
import torch

from lsnn.training.regularizers import bit_cross_entropy, bit_entropy, firing_rate_loss, firing_rates, mse_loss, step_decay


def test_firing_rate_regulariser_in_spikes_per_step():
    spikes = torch.zeros(2, 100, 3)
    spikes[:, ::10, 0] = 1  # neuron 0 at 100 Hz (dt = 1 ms), others silent
    torch.testing.assert_close(firing_rates(spikes, 1e-3), torch.tensor([100.0, 0.0, 0.0]))
    # sum_j (r_j - 0.01)^2 with r in spikes/step: (0.1 - 0.01)^2 + 2 * 0.01^2
    assert float(firing_rate_loss(spikes, 10.0, 1e-3)) == pytest.approx(0.09**2 + 2e-4)


def test_mse_and_bit_losses():
    out, tgt = torch.tensor([[1.0, 2.0], [3.0, 5.0]]), torch.tensor([[0.0, 2.0], [3.0, 1.0]])
    assert float(mse_loss(out, tgt)) == pytest.approx((1 + 16) / 4)
    assert float(mse_loss(out, tgt, torch.tensor([[True, False], [False, False]]))) == pytest.approx(1.0)
    logits, bits = torch.tensor([0.0, 2.0]), torch.tensor([1, 0])
    expected = (math.log(2) + math.log(1 + math.exp(2))) / 2
    assert float(bit_cross_entropy(logits, bits)) == pytest.approx(expected)
    assert float(bit_entropy(torch.tensor([0.0]))) == pytest.approx(math.log(2))


def test_step_decay_with_ramp():
    assert step_decay(0, every=100, factor=0.3) == 1.0
    assert step_decay(250, every=100, factor=0.3) == pytest.approx(0.09)
    assert step_decay(0, every=200, factor=0.8, ramp=200, ramp_start=1e-3) == pytest.approx(1e-3)
    assert step_decay(100, every=200, factor=0.8, ramp=200, ramp_start=1e-3) == pytest.approx(1e-3 + (1 - 1e-3) / 2)
    assert step_decay(400, every=200, factor=0.8, ramp=200) == pytest.approx(0.64)
