"""The compiled kernel: built once into the cache, and a clear fallback where no compiler exists."""

import numpy as np
import pytest
import torch

from lsnn.training import LSNN, kernel


def test_without_a_compiler_training_falls_back_to_pytorch_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(kernel, "_state", {})
    monkeypatch.setenv("LSNN_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("CXX", str(tmp_path / "no-such-compiler"))
    monkeypatch.delenv("LSNN_KERNEL", raising=False)
    with pytest.warns(RuntimeWarning, match="pure-PyTorch"):
        assert kernel.load() is None
    assert not list(tmp_path.iterdir())  # no half-written library left behind
    net = LSNN(3, 5, 2, beta=1.0, dtype=torch.float64)
    x = (torch.rand(2, 50, 3, generator=torch.Generator().manual_seed(0)) < 0.3).double()
    out = net(x)  # runs on the fallback loops
    out.outputs.sum().backward()
    assert torch.isfinite(net.W_rec.grad).all()


@pytest.fixture
def fresh_cache(monkeypatch, tmp_path):
    import shutil

    if shutil.which("g++") is None:
        pytest.skip("no g++")
    monkeypatch.setattr(kernel, "_state", {})
    monkeypatch.setenv("LSNN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.delenv("LSNN_KERNEL", raising=False)
    return tmp_path


def test_kernel_is_compiled_once_into_the_cache_with_a_message(fresh_cache, monkeypatch, caplog):
    with caplog.at_level("INFO", logger="lsnn.training.kernel"):
        lib = kernel.load()
    assert lib is not None and lib.call("lsnn_kernel_version") == kernel.KERNEL_VERSION
    assert "compiling the LSNN training kernel" in caplog.text
    built = sorted(fresh_cache.glob("lsnn_kernel_*.so"))
    assert len(built) == 1 and not list(fresh_cache.glob("*.tmp*"))
    monkeypatch.setattr(kernel, "_state", {})
    caplog.clear()
    with caplog.at_level("INFO", logger="lsnn.training.kernel"):
        kernel.load()
    assert sorted(fresh_cache.glob("lsnn_kernel_*.so")) == built and "compiling" not in caplog.text  # reused, not rebuilt
    np.testing.assert_equal(built[0].stat().st_size > 0, True)


def test_a_corrupt_cached_library_is_rebuilt(fresh_cache, monkeypatch):
    import os

    built = kernel._compile("g++")  # compiled, not loaded by this process
    corrupt = built.with_suffix(".part")
    corrupt.write_bytes(b"\x7fELF truncated")  # a killed copy, a full disk: unloadable
    os.replace(corrupt, built)
    lib = kernel.load()
    assert lib is not None and lib.call("lsnn_kernel_version") == kernel.KERNEL_VERSION
    assert built.stat().st_size > 10_000


def test_a_library_of_another_kernel_version_is_rebuilt(fresh_cache, monkeypatch):
    kernel.load()
    monkeypatch.setattr(kernel, "_state", {})
    monkeypatch.setattr(kernel, "KERNEL_VERSION", kernel.KERNEL_VERSION + 1)  # what a newer Python side would expect
    with pytest.raises(kernel.KernelUnavailable, match="kernel version"):
        kernel.build_and_open("g++")  # rebuilt once from this source, still the old version: refused, not used


def test_the_abi_is_read_from_the_source_and_calls_are_checked_by_name(fresh_cache):
    functions = kernel.exported_functions()
    assert functions["lsnn_forward_{suffix}"][1][:5] == [("T", "int64_t"), ("B", "int64_t"), ("n", "int64_t"), ("nd", "int64_t"),
                                                        ("delays", "const int64_t*")]
    assert functions["lsnn_lean_forward_{suffix}"][0] == "void*" and functions["lsnn_kernel_version"] == ("int", [])
    lib = kernel.load()
    assert lib.signatures["lsnn_filter_f64"] == ["T", "M", "kappa_m", "u", "y", "reverse"]
    u = torch.ones(4, 2, dtype=torch.float64)
    with pytest.raises(TypeError, match="missing \\['reverse'\\]"):
        lib.call("lsnn_filter", torch.float64, T=4, M=2, kappa_m=torch.full((2,), 0.5, dtype=torch.float64), u=u, y=torch.empty_like(u))
    y = torch.empty_like(u)
    lib.call("lsnn_filter", torch.float64, T=4, M=2, kappa_m=torch.full((2,), 0.5, dtype=torch.float64), u=u, y=y, reverse=0)
    np.testing.assert_allclose(y[:, 0].numpy(), [0.5, 0.75, 0.875, 0.9375])  # y(t) = 0.5 y(t-1) + 0.5


def test_workspace_reuses_free_buffers_and_evicts_over_budget():
    """Buffers of other shapes are evicted by identity once the pool exceeds its budget (a run of
    long sequences after short ones used to fail comparing arrays of different shapes)."""
    import torch

    from lsnn.training.bptt import Workspace

    pool = Workspace(max_bytes=6 << 20)
    c = pool.empty((600, 256, 60), torch.float32)  # in use throughout, first in the pool
    a = pool.empty((600, 64, 60), torch.float32)
    ptr = a.data_ptr()
    del a
    b = pool.empty((600, 64, 60), torch.float32)
    assert b.data_ptr() == ptr  # the free buffer is handed out again
    del b
    d = pool.empty((300, 256, 60), torch.float32)  # over budget: the free (600, 64, 60) buffer goes
    assert [arr.shape for arr in pool.arrays] == [(600, 256, 60), (300, 256, 60)]
    assert c.shape == (600, 256, 60) and d.shape == (300, 256, 60)


def test_gradients_do_not_depend_on_the_number_of_threads():
    """The memory-lean path sums weight-gradient partials over a fixed partition of the batch, so one
    and two threads give the same bits (and a run the same weights on any machine's core count)."""
    net = LSNN(12, 30, 3, beta=np.r_[np.ones(15), np.zeros(15)] * 0.5, d_rec=1, dtype=torch.float32, seed=1)
    x = (torch.rand(24, 200, 12, generator=torch.Generator().manual_seed(2)) < 0.08).float()
    grads = []
    previous = torch.get_num_threads()
    try:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            net.zero_grad()
            out = net(x, record_state=False)
            (out.outputs.square().sum() + out.spikes.mean(dim=(0, 1)).square().sum()).backward()
            grads.append([p.grad.clone() for p in (net.W_in, net.W_rec, net.W_out)])
    finally:
        torch.set_num_threads(previous)
    assert all(torch.equal(a, b) for a, b in zip(*grads))
    assert all(float(g.abs().sum()) > 0 for g in grads[0])
