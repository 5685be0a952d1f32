"""Validation of trained networks: PyTorch vs Brian2 on the regenerated test set."""

import json

import numpy as np
import pytest

from lsnn.models.neo_io import load_nwb
from lsnn.training.config import make_config
from lsnn.training.runs import held_out_set
from lsnn.training.trainer import build_task, evaluate, train
from lsnn.training.validate import first_divergence, validate_run


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("runs") / "sr"
    train(make_config("store_recall", "elif", "tiny", {"n_test": 20, "test_batch": 8, "d_rec": 2, "n_ref": 4}), run, progress=False)
    return run


def test_first_divergence_names_step_and_neuron():
    a = np.zeros((10, 4), dtype=np.uint8)
    b = a.copy()
    assert first_divergence(a, b) is None
    b[7, 1] = 1
    b[3, 2] = 1
    b[3, 3] = 1
    assert first_divergence(a, b) == (3, 2)


def test_regenerated_test_set_is_the_trainers_test_set(tiny_run):
    from lsnn.models import NetworkSpec
    from lsnn.training import LSNN
    import torch

    spec = NetworkSpec.load(tiny_run / "network.npz")
    cfg = make_config("store_recall", "elif", "tiny", {"n_test": 20, "test_batch": 8, "d_rec": 2, "n_ref": 4})
    batch = held_out_set(cfg, build_task(cfg))
    assert batch.n_trials == 20
    net = LSNN.from_spec(spec, dtype=torch.float32)
    # the accuracy over the regenerated set equals the trainer's held-out evaluation
    assert evaluate(net, build_task(cfg), 20, 8, cfg.test_seed)["accuracy"] == pytest.approx(json.loads((tiny_run / "test.json").read_text())["accuracy"])
    first8 = held_out_set(cfg, build_task(cfg), n_trials=8)
    np.testing.assert_array_equal(first8.x, batch.x[:8])


@pytest.mark.parametrize("device", ["numpy", pytest.param("cpp_standalone", marks=pytest.mark.standalone)])
def test_trained_elif_network_with_delays_validates_spike_for_spike(tiny_run, device):
    report = validate_run(tiny_run, device=device, progress=False)
    assert report["ok"] and report["agreement"] == 1.0 and report["n_trials"] == 20
    assert report["n_spikes"] > 500 and report["max_abs_output_difference"] <= 1e-9
    assert report["max_abs_v_difference"] <= 1e-9
    assert report["metric_brian2"] == pytest.approx(report["metric_torch"])
    saved = json.loads((tiny_run / "validation.json").read_text())
    assert saved["n_identical_rasters"] == 20
    block = load_nwb(tiny_run / "validation_rasters.nwb")
    seg = block.segments[3]
    assert len(block.segments) == 20 and seg.annotations["trial"] == 3
    assert len(seg.annotations["command"]) == 6 and "stored_value" in seg.annotations
    spikes_nwb = sum(len(st) for s in block.segments for st in s.spiketrains)
    assert spikes_nwb == report["n_spikes"]


def test_float32_validation_reports_agreement_in_its_own_file(tiny_run):
    before = (tiny_run / "validation.json").read_text() if (tiny_run / "validation.json").exists() else None
    report = validate_run(tiny_run, device="numpy", n_trials=8, dtype="float32", nwb=False, progress=False)
    assert report["dtype"] == "float32" and report["n_trials"] == 8
    # float32 PyTorch against float64 Brian2 on these short trials: the same rasters, readouts within float32 rounding
    assert report["agreement"] == 1.0 and report["max_abs_output_difference_identical"] <= 1e-5
    assert report["max_abs_output_difference"] > 1e-12  # it really ran in float32
    assert (tiny_run / "validation_float32.json").is_file()
    after = (tiny_run / "validation.json").read_text() if (tiny_run / "validation.json").exists() else None
    assert after == before  # the float64 report is never overwritten by a float32 one


def test_validation_of_a_missing_run_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="lsnn train"):
        validate_run(tmp_path / "nothing")


def test_two_step_route_validates_where_pytorch_is_not_installed(tiny_run):
    """Main environment: PyTorch's rasters stored; an environment without torch (GeNN's, CUDA's): Brian2
    compared against them by `lsnn validate`, with the same verdict as the one-step validation."""
    import subprocess
    import sys

    from lsnn.training.validate import REFERENCE, write_reference

    assert write_reference(tiny_run, 6, progress=False) == tiny_run / REFERENCE
    code = (
        "import sys\n"
        "class NotInstalled:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'torch':\n"
        "            raise ImportError('No module named torch')\n"
        "sys.meta_path.insert(0, NotInstalled())\n"
        "from lsnn.app.cli import main\n"
        f"sys.exit(main(['validate', {str(tiny_run)!r}, '--device', 'numpy', '--no-progress']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    report = json.loads((tiny_run / "validation.json").read_text())
    assert report["ok"] and report["n_identical_rasters"] == report["n_trials"] == 6
    assert report["metric_brian2"] is None and report["reference"].endswith(REFERENCE)
    assert report["max_abs_v_difference"] <= 1e-9 and report["n_spikes"] > 100
    assert "VALIDATED: identical" in out.stdout


def test_trained_network_validates_on_genn_in_the_genn_environment(tiny_run, genn_environment, tmp_path):
    """The documented route to GeNN, end to end: PyTorch's rasters stored here; `lsnn validate RUN --device
    genn` in the GeNN environment (Brian2 2.5, brian2genn, no PyTorch; CPU-only GeNN) finds the Brian2
    rasters identical (an ELIF network with delays and refractoriness), and its NWB file is read back here."""
    import shutil
    import subprocess

    from lsnn.training.validate import REFERENCE, VALIDATION_RASTERS, write_reference

    run = tmp_path / "sr"
    shutil.copytree(tiny_run, run)
    write_reference(run, 6, progress=False)
    lsnn, env = genn_environment
    out = subprocess.run([str(lsnn), "validate", str(run), "--device", "genn", "--no-progress"], capture_output=True, text=True,
                         timeout=900, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads((run / "validation.json").read_text())
    assert report["device"] == "genn" and report["reference"].endswith(REFERENCE)
    assert report["ok"] and report["n_identical_rasters"] == report["n_trials"] == 6 and report["n_spikes"] > 100
    assert report["max_abs_v_difference"] <= 1e-9
    block = load_nwb(run / VALIDATION_RASTERS)
    assert len(block.segments) == 6 and sum(len(st) for seg in block.segments for st in seg.spiketrains) == report["n_spikes"]


def test_concurrent_validations_of_one_run_all_succeed(tiny_run):
    """Three `lsnn validate` on one run at once: unique temporary files, atomic renames, a valid report."""
    import subprocess
    import sys

    argv = [sys.executable, "-m", "lsnn.app.cli", "validate", str(tiny_run), "--device", "numpy", "--trials", "4", "--no-progress"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in results]
    report = json.loads((tiny_run / "validation.json").read_text())
    assert report["ok"] and report["n_trials"] == 4
    assert not list(tiny_run.glob(".*lsnn-tmp*"))  # no temporary file left behind
