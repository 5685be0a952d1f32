"""Short-term plasticity in PyTorch (eLife Methods eqs. 6-10): the same map as NumPy and Brian2, the
gradient of an independent implementation, an analytical limit, and the trained STP models. The map and
gradient tests run both implementations: the compiled kernel and the per-step autograd loop."""

import numpy as np
import pytest
import torch

from lsnn.models import NetworkSpec, simulate_reference
from lsnn.models.examples import poisson_input, random_stp_spec
from lsnn.training import LSNN
from lsnn.training import stp as stp_module
from lsnn.training.config import STP_PARAMETERS, make_config
from lsnn.training.reference import reference_forward
from lsnn.training.trainer import build_model, build_task, train
from lsnn.training.validate import validate_run


@pytest.fixture(scope="module")
def stp_spec():
    return random_stp_spec(np.random.default_rng(5), n_in=10, n_rec=20, n_out=2, frac_alif=0.3, max_delay=3, max_ref=4)


@pytest.fixture(params=["kernel", "loop"])
def stp_path(request, monkeypatch):
    """Run the test through the compiled kernel (skipped without a compiler) or the per-step loop."""
    if request.param == "loop":
        monkeypatch.setenv("LSNN_KERNEL", "python")  # the documented switch to the pure-PyTorch paths
    elif stp_module.load_kernel() is None:
        pytest.skip("no compiled kernel on this machine")
    return request.param


def test_forward_equals_the_numpy_map(stp_spec, stp_path):
    rng = np.random.default_rng(0)
    x = poisson_input(rng, 1500, stp_spec.n_in, n_trials=2)
    i_ext = rng.normal(0, 0.003, (2, 1500, stp_spec.n_rec))
    out = LSNN.from_spec(stp_spec)(torch.as_tensor(x), i_ext=torch.as_tensor(i_ext))
    plain = simulate_reference(stp_spec.copy(stp_U=None, stp_F=None, stp_D=None), x[0], i_ext[0])
    for k in range(2):
        ref = simulate_reference(stp_spec, x[k], i_ext[k])
        assert ref.spikes.sum() > 300
        np.testing.assert_array_equal(out.spikes[k].detach().numpy(), ref.spikes)
        np.testing.assert_allclose(out.v[k].detach().numpy(), ref.v, rtol=0, atol=1e-12)
        np.testing.assert_allclose(out.outputs[k].detach().numpy(), ref.outputs, rtol=0, atol=1e-12)
    assert np.abs(plain.spikes - out.spikes[0].detach().numpy()).sum() > 100  # STP changes the raster: the test has teeth
    assert LSNN.from_spec(stp_spec).to_spec() == stp_spec


def test_gradients_equal_the_independent_autograd_reference(stp_spec, stp_path):
    x = torch.as_tensor(poisson_input(np.random.default_rng(1), 300, stp_spec.n_in, n_trials=3))
    net = LSNN.from_spec(stp_spec)
    params = [net.W_in, net.W_rec, net.W_out]
    out = net(x)
    target = torch.linspace(-1, 1, 300, dtype=torch.float64)[None, :, None]
    g_fast = torch.autograd.grad(((out.outputs - target) ** 2).sum() + 0.1 * out.spikes.sum(), params)
    zs, outs, _, _ = reference_forward(net, x)
    g_ref = torch.autograd.grad(((outs - target) ** 2).sum() + 0.1 * zs.sum(), params)
    for name, a, b in zip(("W_in", "W_rec", "W_out"), g_fast, g_ref):
        assert b.abs().max() > 0
        assert (a - b).abs().max() <= 1e-10 * b.abs().max(), name


@pytest.mark.parametrize("inhibited", [False, True])
def test_kernel_equals_the_loop_with_potentials_and_thresholds_in_the_loss(inhibited, monkeypatch):
    """The kernel's hand-written adjoint (STP state adjoints, efficacy-scaled weight gradients) against autograd
    through the loop, with every output in the loss (dL/dZ, dL/dV, dL/dA all nonzero), ALIF neurons, delays
    1-3 and refractory periods. Without inhibition most neurons have a nonzero pseudo-derivative (the backward
    pass takes its dense branch); with three of four neurons held far below threshold by an injected current
    it takes the sparse one (dot products for the neurons with psi != 0 or a spike). float64: spikes
    identical, gradients within 1e-12 relative."""
    if stp_module.load_kernel() is None:
        pytest.skip("no compiled kernel on this machine")
    spec = random_stp_spec(np.random.default_rng(11), n_in=12, n_rec=48, n_out=3, frac_alif=0.4, max_delay=3, max_ref=3)
    x = torch.as_tensor(poisson_input(np.random.default_rng(3), 500, spec.n_in, n_trials=5, rate=60.0))
    i_ext = torch.zeros(5, 500, spec.n_rec, dtype=torch.float64)
    if inhibited:
        i_ext[:, :, spec.n_rec // 4:] = -0.5
    target = torch.linspace(-1, 1, 500, dtype=torch.float64)[None, :, None]
    results = []
    for loop in (False, True):
        if loop:
            monkeypatch.setenv("LSNN_KERNEL", "python")
        net = LSNN.from_spec(spec)
        out = net(x, i_ext=i_ext)
        loss = ((out.outputs - target) ** 2).sum() + 0.1 * out.spikes.sum() + 0.01 * (out.v ** 2).sum() + 0.01 * out.thresholds.sum()
        results.append((out, torch.autograd.grad(loss, [net.W_in, net.W_rec, net.W_out])))
    (kernel, g_kernel), (loop, g_loop) = results
    assert kernel.spikes.mean() > 0.005
    near = (((kernel.v - kernel.thresholds) / kernel.thresholds).abs() < 1) | (kernel.spikes > 0)
    assert (near.double().mean() < 1 / 3) == inhibited  # the branch this case is meant to exercise
    torch.testing.assert_close(kernel.spikes, loop.spikes, rtol=0, atol=0)
    torch.testing.assert_close(kernel.v, loop.v, rtol=0, atol=1e-13)
    for name, a, b in zip(("W_in", "W_rec", "W_out"), g_kernel, g_loop):
        assert b.abs().max() > 0
        assert (a - b).abs().max() <= 1e-12 * b.abs().max(), name


@pytest.mark.parametrize("seed,noise", [(21, False), (22, True)])
def test_memory_lean_path_with_stp_equals_the_autograd_reference(seed, noise, lean_calls):
    """``record_state=False`` (what training calls) runs STP on the fused memory-lean path: u, r kept only at
    the recorded entries, their adjoints decayed between spikes. Against the independent autograd reference in
    float64, with ALIF neurons, delays 1-3, a rate penalty on the spikes and (second case) an injected
    current: the same spikes and outputs as the full path, gradients within 1e-10 relative."""
    if stp_module.load_kernel() is None:
        pytest.skip("no compiled kernel on this machine")
    spec = random_stp_spec(np.random.default_rng(seed), n_in=12, n_rec=40, n_out=3, frac_alif=0.4, max_delay=3, max_ref=3)
    spec = spec.copy(d_in=np.ones_like(spec.d_in))  # the lean path takes one input delay
    x = torch.as_tensor(poisson_input(np.random.default_rng(seed), 400, spec.n_in, n_trials=4, rate=60.0))
    gen = torch.Generator().manual_seed(seed)
    i_ext = 0.3 * float(spec.b0.mean()) * torch.randn((4, 400, spec.n_rec), generator=gen, dtype=torch.float64) if noise else None
    target = torch.linspace(-1, 1, 400, dtype=torch.float64)[None, :, None]

    def loss(spikes, outputs):
        return ((outputs - target) ** 2).sum() + 3.0 * ((spikes.mean(dim=(0, 1)) - 0.02) ** 2).sum()

    net = LSNN.from_spec(spec)
    params = [net.W_in, net.W_rec, net.W_out]
    lean = net(x, i_ext=i_ext, record_state=False)
    assert lean_calls and lean.v is None  # the lean path ran
    with torch.no_grad():
        full = net(x, i_ext=i_ext)
        plain = LSNN.from_spec(spec.copy(stp_U=None, stp_F=None, stp_D=None))(x, i_ext=i_ext, record_state=False)
    assert torch.equal(lean.spikes, full.spikes) and lean.spikes.mean() > 0.005
    assert (plain.spikes != lean.spikes).sum() > 100  # STP changes the raster: the test has teeth
    torch.testing.assert_close(lean.outputs, full.outputs, rtol=0, atol=1e-12)
    g_lean = torch.autograd.grad(loss(lean.spikes, lean.outputs), params)
    zs, outs, _, _ = reference_forward(net, x, i_ext)
    g_ref = torch.autograd.grad(loss(zs, outs), params)
    for name, a, b in zip(("W_in", "W_rec", "W_out"), g_lean, g_ref):
        assert b.abs().max() > 0, name
        rel = float((a - b).norm() / b.norm())
        assert rel <= 1e-10, f"{name}: relative error {rel:.2e}"
    # what the trainer calls: spike counts (B, n) instead of spikes, the rate penalty's gradient through them
    counted = net(x, i_ext=i_ext, record_state=False, record_spikes=False)
    assert counted.spikes is None and torch.equal(counted.spike_counts, full.spikes.sum(dim=1))
    rates = counted.spike_counts.sum(dim=0) / (x.shape[0] * x.shape[1])
    total = ((counted.outputs - target) ** 2).sum() + 3.0 * ((rates - 0.02) ** 2).sum()
    for name, a, b in zip(("W_in", "W_rec", "W_out"), torch.autograd.grad(total, params), g_ref):
        rel = float((a - b).norm() / b.norm())
        assert rel <= 1e-10, f"{name} (spike counts): relative error {rel:.2e}"


def test_no_depression_limit_is_the_plain_network(stp_spec):
    """U = 1 and D -> 0: with the smallest D accepted (dt/D = 700; smaller ones overflow the Brian2 form and are
    refused), exp(-dt/D) ~ 1e-304, so 1 - r rounds to 1 one step after a spike and every spike after a
    refractory period >= 2 steps has efficacy exactly 1: the network without STP, spike for spike."""
    spec = stp_spec.copy(n_ref=np.maximum(stp_spec.n_ref, 2), stp_U=1.0, stp_D=stp_spec.dt / 699.0)
    x = torch.as_tensor(poisson_input(np.random.default_rng(2), 800, spec.n_in, n_trials=2))
    with_stp = LSNN.from_spec(spec)(x)
    plain = LSNN.from_spec(spec.copy(stp_U=None, stp_F=None, stp_D=None))(x)
    assert with_stp.spikes.sum() > 200
    torch.testing.assert_close(with_stp.spikes, plain.spikes, rtol=0, atol=0)
    torch.testing.assert_close(with_stp.outputs, plain.outputs, rtol=0, atol=1e-12)


def test_stp_models_use_the_papers_parameters():
    cfg = make_config("store_recall", "stp_f", "quick")
    assert (cfg.stp_U, cfg.stp_F, cfg.stp_D) == (0.28, 2.0, 0.765)  # 1-D STORE-RECALL: scaled to 2 s
    assert make_config("delayed_xor", "stp_d", "quick").stp_D == STP_PARAMETERS["data"]["stp_d"]["stp_D"]
    net = build_model(cfg, build_task(cfg))
    assert (net.beta == 0).all() and net.stp_U is not None
    assert ((net.stp_F >= 2.0 - 0.146 - 1e-6) & (net.stp_F <= 2.0 + 0.146 + 1e-6)).all() and net.stp_F.std() > 0
    assert build_model(make_config("store_recall", "lif", "quick"), build_task(cfg)).stp_U is None


def test_trained_stp_network_exports_and_validates_spike_for_spike(tmp_path):
    cfg = make_config("store_recall", "stp_d", "tiny", {"n_test": 8, "test_batch": 8})
    run = tmp_path / "run"
    result = train(cfg, run, progress=False)
    assert result["test"]["rate_hz"] > 0
    spec = NetworkSpec.load(run / "network.npz")
    assert spec.has_stp and (spec.beta == 0).all()
    np.testing.assert_array_equal(spec.stp_D, build_model(cfg, build_task(cfg)).stp_D.numpy())  # the drawn D, untrained
    report = validate_run(run, device="numpy", n_trials=4, nwb=False, progress=False)
    assert report["n_identical_rasters"] == report["n_trials"] == 4
