"""DEEP R invariants over many rewiring steps of an E/I network trained on random objectives."""

import numpy as np
import torch

from lsnn.training import LSNN
from lsnn.training.deep_r import DeepR
from lsnn.training.init import ei_weights, gaussian_weights, random_signs, sparse_mask


def _ei_net(seed=0, n_in=10, n=30, n_out=3, p=0.2):
    rng = np.random.default_rng(seed)
    sign, sign_in = random_signs(rng, n, 0.8), random_signs(rng, n_in, 0.8)
    return LSNN(
        n_in, n, n_out,
        W_in=ei_weights(rng, n, n_in, sign_in) * 3, W_rec=ei_weights(rng, n, n, sign),
        W_out=np.abs(gaussian_weights(rng, n_out, n)) * sign[None, :], sign=sign, sign_in=sign_in,
        mask_in=sparse_mask(rng, (n, n_in), p), mask_rec=sparse_mask(rng, (n, n), p, forbid_diagonal=True),
        mask_out=sparse_mask(rng, (n_out, n), p), beta=1.0, dtype=torch.float64,
    ), sign, sign_in


def test_deep_r_keeps_count_signs_dormancy_and_dale():
    net, sign, sign_in = _ei_net()
    gen = torch.Generator().manual_seed(1)
    deep_r = DeepR(net, gen, l1=0.01, temperature=1e-4)
    n_active = deep_r.count_active()
    opt = torch.optim.Adam(net.parameters(), lr=0.05)  # a large lr so that many connections die
    x = (torch.rand(4, 80, 10, generator=gen) < 0.1).double()
    removed_total = 0
    for step in range(40):
        before = {name: getattr(net, name).detach().clone() for name in deep_r.names}
        masks_before = {name: m.clone() for name, m in deep_r.masks().items()}
        out = net(x)
        target = torch.randn(out.outputs.shape, generator=gen, dtype=torch.float64)
        loss = ((out.outputs - target) ** 2).mean() + out.spikes.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        stats = deep_r.step(0.05, gen, opt)
        removed_total += stats["removed"]
        assert deep_r.count_active() == n_active == stats["active"]
        for name in deep_r.names:
            W, mask, s = getattr(net, name).detach(), deep_r.masks()[name], deep_r.signs[name]
            assert torch.all(W[~mask] == 0), f"{name}: a dormant connection has a weight"
            assert torch.all(W * s >= 0), f"{name}: a sign flipped"
            stayed_dormant = ~masks_before[name] & ~mask
            assert torch.equal(W[stayed_dormant], before[name][stayed_dormant])
            state = opt.state[getattr(net, name)]
            assert torch.all(state["exp_avg"][~mask] == 0) and torch.all(state["exp_avg_sq"][~mask] == 0)
        # Dale's law: every outgoing weight of a neuron has the neuron's sign
        assert torch.all(net.W_rec.detach() * torch.as_tensor(sign)[None, :] >= 0)
        assert torch.all(net.W_out.detach() * torch.as_tensor(sign)[None, :] >= 0)
        assert torch.all(net.W_in.detach() * torch.as_tensor(sign_in)[None, :] >= 0)
        assert not torch.any(torch.diagonal(net.mask_rec))
    assert removed_total > 20  # rewiring actually happened


def test_deep_r_refuses_weights_that_contradict_signs():
    net, sign, _ = _ei_net(seed=2)
    with torch.no_grad():
        j = int(np.flatnonzero(sign > 0)[0])
        rows = torch.nonzero(net.mask_rec[:, j]).flatten()
        net.W_rec[rows[0], j] = -1.0
    try:
        DeepR(net, torch.Generator().manual_seed(0))
    except ValueError as exc:
        assert "W_rec" in str(exc)
    else:
        raise AssertionError("expected a ValueError")
