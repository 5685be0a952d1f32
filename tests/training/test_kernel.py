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
