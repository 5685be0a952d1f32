"""NetworkSpec: construction checks, file round trip, and hostile or broken files."""

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from lsnn.models import NetworkSpec, SpecError
from lsnn.models.examples import random_spec


@pytest.fixture
def spec():
    return random_spec(np.random.default_rng(0), n_in=4, n_rec=6, n_out=2, dale=True, frac_elif=0.2)


def test_save_load_round_trip_is_exact(spec, tmp_path):
    spec.meta = {"task": "store_recall", "seed": 3, "metrics": {"acc": 0.97}}
    path = spec.save(tmp_path / "net.npz")
    loaded = NetworkSpec.load(path)
    assert loaded == spec
    assert loaded.meta["metrics"]["acc"] == 0.97
    assert loaded.d_rec.dtype == np.int64 and loaded.mask_rec.dtype == bool
    assert list(loaded.kinds).count("ELIF") == 1


def test_scalars_broadcast_and_defaults():
    s = NetworkSpec(dt=1e-3, tau_m=0.02, tau_a=0.5, beta=0.0, b0=0.01, n_ref=3, sign=0,
                    W_in=np.ones((3, 2)), W_rec=np.zeros((3, 3)), W_out=np.ones((1, 3)), b_out=[0.0], tau_out=0.02)
    assert s.tau_m.shape == (3,) and s.n_ref.tolist() == [3, 3, 3]
    assert not s.mask_rec.diagonal().any() and s.mask_rec.sum() == 6
    assert s.d_in.shape == (3, 2) and s.max_delay == 0


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(W_rec=np.zeros((6, 5))), "W_rec has shape"),
        (dict(W_in=np.zeros((5, 4))), r"W_in has shape \(5, 4\); expected \(6, 4\)"),
        (dict(tau_m=np.full(6, np.nan)), "tau_m contains NaN"),
        (dict(tau_a=-np.ones(6)), "tau_a must be positive"),
        (dict(b0=np.zeros(6)), "b0 must be positive"),
        (dict(n_ref=np.full(6, 1.5)), "n_ref must hold whole numbers"),
        (dict(d_rec=-np.ones((6, 6))), r"d_rec must lie in \[0"),
        (dict(sign=np.full(6, 2)), "sign must lie in"),
        (dict(input_kind="rate"), "input_kind must be one of"),
        (dict(dt=0.0), "dt must be a positive time"),
        (dict(meta={"f": object()}), "meta must be JSON-serialisable"),
        (dict(W_out=np.full((2, 6), np.inf)), "W_out contains NaN"),
    ],
)
def test_invalid_fields_are_named(spec, change, match):
    with pytest.raises(SpecError, match=match):
        spec.copy(**change)


def test_dale_violation_names_weight_and_neuron(spec):
    W = spec.W_rec.copy()
    post, pre = np.argwhere(spec.mask_rec & (spec.sign[None, :] > 0))[0]
    W[post, pre] = -abs(W[post, pre]) - 0.1
    with pytest.raises(SpecError, match=rf"W_rec\[{post}, {pre}\] = .* contradicts sign\[{pre}\] = \+1"):
        spec.copy(W_rec=W)


def test_weight_outside_mask_and_self_connection_refused(spec):
    mask = spec.mask_rec.copy()
    post, pre = np.argwhere(spec.W_rec != 0)[0]
    mask[post, pre] = False
    with pytest.raises(SpecError, match="outside its connectivity mask_rec"):
        spec.copy(mask_rec=mask)
    mask = spec.mask_rec.copy()
    mask[0, 0] = True
    with pytest.raises(SpecError, match="self-connections"):
        spec.copy(mask_rec=mask)


def _rewrite(path, out, edit):
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    edit(arrays)
    np.savez(out, **arrays)
    return out


def test_unknown_version_refused(spec, tmp_path):
    path = spec.save(tmp_path / "net.npz")

    def bump(arrays):
        header = json.loads(arrays["__header__"].tobytes())
        header["version"] = 99
        arrays["__header__"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)

    bad = _rewrite(path, tmp_path / "v99.npz", bump)
    with pytest.raises(SpecError, match="unknown NetworkSpec version 99"):
        NetworkSpec.load(bad)


def test_missing_and_extra_fields_refused(spec, tmp_path):
    path = spec.save(tmp_path / "net.npz")
    with pytest.raises(SpecError, match="field.*d_rec missing"):
        NetworkSpec.load(_rewrite(path, tmp_path / "m.npz", lambda a: a.pop("d_rec")))
    with pytest.raises(SpecError, match="unknown field.*code"):
        NetworkSpec.load(_rewrite(path, tmp_path / "e.npz", lambda a: a.update(code=np.arange(3))))


def test_text_field_refused(spec, tmp_path):
    path = spec.save(tmp_path / "net.npz")
    bad = _rewrite(path, tmp_path / "s.npz", lambda a: a.update(tau_m=np.array(["v = 1; import os"] * 6)))
    with pytest.raises(SpecError, match="tau_m has non-numeric dtype"):
        NetworkSpec.load(bad)


def test_truncated_and_non_npz_files_refused(spec, tmp_path):
    path = spec.save(tmp_path / "net.npz")
    data = path.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(SpecError, match="bad or truncated zip"):
        NetworkSpec.load(tmp_path / "trunc.npz")
    (tmp_path / "notes.npz").write_text("W_rec = 1\n")
    with pytest.raises(SpecError, match="not a NetworkSpec .npz"):
        NetworkSpec.load(tmp_path / "notes.npz")
    with pytest.raises(FileNotFoundError):
        NetworkSpec.load(tmp_path / "absent.npz")


class _Exploit:
    """Unpickling this object would create a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickled_object_array_refused_without_unpickling(spec, tmp_path):
    marker = tmp_path / "pwned"
    path = spec.save(tmp_path / "net.npz")
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["W_in"] = np.array([_Exploit(str(marker))], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    (tmp_path / "evil.npz").write_bytes(buf.getvalue())
    with pytest.raises(SpecError, match="unpickling"):
        NetworkSpec.load(tmp_path / "evil.npz")
    assert not marker.exists()
    # A raw pickle renamed to .npz is not a zip at all.
    (tmp_path / "raw.npz").write_bytes(pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(SpecError):
        NetworkSpec.load(tmp_path / "raw.npz")
    assert not marker.exists()


def test_save_is_atomic_and_leaves_no_temporary(spec, tmp_path):
    spec.save(tmp_path / "net.npz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.npz"]
    assert zipfile.is_zipfile(tmp_path / "net.npz")


def test_time_constants_whose_decay_overflows_are_refused_on_both_sides():
    """exp(dt/tau) of the Brian2 form overflows near dt/tau = 709: NetworkSpec and LSNN refuse alike."""
    from lsnn.models import NetworkSpec, SpecError
    from lsnn.models.examples import single_neuron_spec

    spec = single_neuron_spec()
    with pytest.raises(SpecError, match="tau_a has 1e-06 s, below dt/700"):
        spec.copy(tau_a=1e-6)
    with pytest.raises(SpecError, match="tau_m has"):
        NetworkSpec(**{**{f: getattr(spec, f) for f in ("dt", "tau_a", "beta", "b0", "n_ref", "sign", "W_in", "W_rec", "W_out", "b_out",
                                                           "tau_out")}, "tau_m": 1e-9})
    spec.copy(tau_a=1e-3 / 699)  # just inside: accepted
    torch = pytest.importorskip("torch")
    from lsnn.training import LSNN

    with pytest.raises(ValueError, match="tau_a has 1e-06 s, below dt/700"):
        LSNN(1, 1, 1, tau_a=1e-6, dtype=torch.float64)
