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


def test_kernel_is_compiled_once_into_the_cache(monkeypatch, tmp_path):
    import shutil

    if shutil.which("g++") is None:
        pytest.skip("no g++")
    monkeypatch.setattr(kernel, "_state", {})
    monkeypatch.setenv("LSNN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CXX", raising=False)
    monkeypatch.delenv("LSNN_KERNEL", raising=False)
    lib = kernel.load()
    assert lib is not None and lib.lsnn_kernel_version() >= 1
    built = sorted(tmp_path.glob("lsnn_kernel_*.so"))
    assert len(built) == 1 and not list(tmp_path.glob("*.tmp*"))
    monkeypatch.setattr(kernel, "_state", {})
    kernel.load()
    assert sorted(tmp_path.glob("lsnn_kernel_*.so")) == built  # reused, not rebuilt
    np.testing.assert_equal(built[0].stat().st_size > 0, True)


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
