"""Sequential MNIST (NeurIPS 2018 Fig. 1): the loader, both input encodings, the readout window, the
test set in order, the presets of Tables S1/S2, and a tiny run validated spike for spike in Brian2."""

import gzip
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lsnn.models.spec import NetworkSpec
from lsnn.training.config import make_config
from lsnn.training.datasets import MAX_IDX_BYTES, MNIST_MD5, DatasetError, default_mnist_dir, load_mnist, write_idx
from lsnn.training.tasks.smnist import LEVELS, SequentialMNIST, threshold_crossing_spikes
from lsnn.training.trainer import build_model, build_task, train

ROOT = Path(__file__).resolve().parents[2]
SLICE = ROOT / "notebooks" / "data" / "mnist_slice"


@pytest.fixture
def slice_copy(tmp_path):
    folder = tmp_path / "mnist"
    shutil.copytree(SLICE, folder)
    load_mnist.cache_clear()
    yield folder
    load_mnist.cache_clear()


# ------------------------------------------------------------------------------------------ the loader
def test_slice_loads_with_its_checksums_and_holds_real_digits():
    data = load_mnist(SLICE)
    assert data.train_images.shape == (512, 28, 28) and data.test_images.shape == (512, 28, 28)
    assert data.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the canonical first test digits
    if (default_mnist_dir() / "t10k-images-idx3-ubyte.gz").is_file():  # the slice is the first digits of the full files
        full = load_mnist()
        assert full.train_images.shape == (60000, 28, 28) and full.test_images.shape == (10000, 28, 28)
        np.testing.assert_array_equal(full.test_images[:512], data.test_images)
        np.testing.assert_array_equal(full.train_labels[:512], data.train_labels)


def test_a_changed_file_is_refused_by_its_checksum(slice_copy):
    path = slice_copy / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DatasetError, match="t10k-labels-idx1-ubyte.gz is not the expected MNIST file"):
        load_mnist(slice_copy)


def test_without_md5sums_the_canonical_checksums_apply(slice_copy):
    (slice_copy / "MD5SUMS").unlink()
    with pytest.raises(DatasetError, match=MNIST_MD5["train-images-idx3-ubyte"]):
        load_mnist(slice_copy)


@pytest.mark.parametrize("damage, message", [
    ("missing_folder", "no MNIST folder"),
    ("missing_file", r"train-labels-idx1-ubyte\(.gz\) not found"),
    ("truncated", "truncated gzip"),
    ("not_gzip", "not a readable gzip"),
    ("bomb", "inflates to more than"),
    ("wrong_shape", "declares"),
])
def test_damaged_folders_get_an_error_naming_the_file(slice_copy, damage, message):
    path = slice_copy / "train-labels-idx1-ubyte.gz"
    folder = slice_copy
    if damage == "missing_folder":
        folder = slice_copy / "nowhere"
    elif damage == "missing_file":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-20])
    elif damage == "not_gzip":
        path.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    elif damage == "bomb":  # a few kB that inflate past the limit
        path.write_bytes(gzip.compress(b"\0" * (MAX_IDX_BYTES + 1)))
    elif damage == "wrong_shape":
        raw = gzip.decompress(path.read_bytes())  # the header says 512 labels; three are cut off
        path.write_bytes(gzip.compress(raw[:-3]))
    with pytest.raises(DatasetError, match=message):
        load_mnist(folder, check=damage != "wrong_shape")


def test_write_idx_round_trips(tmp_path):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    for name in MNIST_MD5:
        write_idx(tmp_path / f"{name}.gz", array if "images" in name else np.array([3, 9], dtype=np.uint8))
    data = load_mnist(tmp_path, check=False)
    np.testing.assert_array_equal(data.test_images, array)
    assert data.train_labels.tolist() == [3, 9]


# ---------------------------------------------------------------------------------------- encodings
def test_threshold_crossings_fire_at_the_pixel_reached():
    grey = np.zeros((1, 784))
    grey[0, 1:4] = [0.5, 1.0, 0.3]  # up to 0.5, up to 1 (touch), down to 0.3, down to 0 at pixel 4
    spikes = threshold_crossing_spikes(grey)
    up, down, touch = spikes[0, :, 0:-1:2], spikes[0, :, 1:-1:2], spikes[0, :, -1]
    assert len(LEVELS) == 39 and LEVELS[0] == pytest.approx(0.025) and LEVELS[-1] == pytest.approx(0.975)
    np.testing.assert_array_equal(up[1], LEVELS <= 0.5)
    np.testing.assert_array_equal(up[2], (LEVELS > 0.5) & (LEVELS <= 1.0))
    np.testing.assert_array_equal(down[3], LEVELS > 0.3)
    np.testing.assert_array_equal(down[4], LEVELS <= 0.3)
    assert touch.nonzero()[0].tolist() == [2]
    assert spikes.sum() == 39 * 2 + 1  # every level crossed once up and once down, one touch


def test_two_ms_per_pixel_holds_each_pixel_for_two_steps_and_doubles_the_cue():
    task = SequentialMNIST(ms_per_pixel=2, data_dir=str(SLICE))
    batch = task.sample(np.random.default_rng(0), 3)
    one = SequentialMNIST(data_dir=str(SLICE)).sample(np.random.default_rng(0), 3)
    assert task.n_steps == batch.x.shape[1] == 2 * 840
    np.testing.assert_array_equal(batch.x[:, 0:1568:2, :79], one.x[:, :784, :79])  # crossings on the first step of a pixel
    assert batch.x[:, 1:1568:2].sum() == 0
    assert batch.x[:, 1568:, 79].all() and batch.x[:, :1568, 79].sum() == 0
    np.testing.assert_array_equal(batch.windows, [[1680 - 28, 1680]])


def test_population_code_fires_with_the_grey_value_as_probability():
    task = SequentialMNIST(encoding="population", data_dir=str(SLICE))
    batch = task.sample(np.random.default_rng(1), 64)
    grey = task.data.train_images[batch.conditions["digit_index"]].reshape(64, 784) / 255.0
    rates = batch.x[:, :784, :79].mean(axis=2)
    assert np.all(rates[grey == 0] == 0) and np.all(rates[grey == 1] == 1)
    mid = (grey > 0.3) & (grey < 0.7)
    # 79 Bernoulli draws per pixel: the mean over pixels matches the grey value within 4 standard errors
    assert abs(rates[mid].mean() - grey[mid].mean()) < 4 * np.sqrt(0.25 / (79 * mid.sum()))


def test_grey_encoding_gives_the_ann_baselines_the_paper_parameter_counts():
    counts = {}
    for model in ("lstm", "rnn", "sfa"):
        cfg = make_config("smnist", model, "paper")
        task = build_task(cfg)
        counts[model] = sum(p.numel() for p in build_model(cfg, task).parameters())
        if model != "sfa":
            assert task.n_in == 1 and task.input_kind == "analog"
    # Table S1: LSTM 67,850 and RNN 17,930 (TensorFlow, one bias vector); PyTorch's second bias adds 4h / h
    assert counts == {"lstm": 67850 + 4 * 128, "rnn": 17930 + 128, "sfa": 68210}


def test_held_out_set_is_the_test_digits_in_order():
    from lsnn.training.runs import held_out_batches

    task = SequentialMNIST(data_dir=str(SLICE))
    batches = held_out_batches(task, 10, 4, seed=123)
    index = np.concatenate([next(batches).conditions["digit_index"] for _ in range(4)])
    assert index.tolist() == list(range(14))  # 4 + 4 + 2 of the 10 test trials, then full batches
    labels = next(held_out_batches(task, 3, 3, seed=0)).labels[:, 0]
    assert labels.tolist() == task.data.test_labels[:3].tolist()


def test_task_parameters_are_checked():
    for params, message in [({"encoding": "rate"}, "encoding"), ({"ms_per_pixel": 3}, "ms_per_pixel"), ({"readout_steps": 57}, "readout_steps")]:
        with pytest.raises(ValueError, match=message):
            SequentialMNIST(**params)


# ------------------------------------------------------------------------------------------ presets
def test_paper_preset_is_the_deep_r_lsnn_of_the_paper():
    cfg = make_config("smnist", "sfa", "paper")
    assert (cfg.n_rec, cfg.beta, cfg.tau_a, cfg.b0, cfg.n_ref, cfg.connectivity, cfg.frac_excitatory) == (220, 1.8, 0.7, 0.01, 5, 0.12, 0.75)
    assert (cfg.batch_size, cfg.n_iterations, cfg.lr, cfg.lr_decay_every, cfg.lr_decay_factor, cfg.rate_coefficient, cfg.l1) == \
        (256, 36000, 0.01, 2500, 0.8, 0.1, 0.01)
    net = build_model(cfg, build_task(cfg))
    assert int((net.beta > 0).sum()) == 100 and float(net.beta.max()) == pytest.approx(1.8)
    assert int((net.sign_in > 0).sum()) == 60 and int((net.sign_in < 0).sum()) == 20  # X: 60 E + 20 I
    connected = sum(int(m.sum()) for m in (net.mask_in, net.mask_rec, net.mask_out))
    assert abs(connected / (80 * 220 + 220 * 219 + 220 * 10) - 0.12) < 0.005
    assert make_config("smnist", "lif", "paper").connectivity is None


# ------------------------------------------------------------------------ a tiny run, end to end
@pytest.fixture(scope="module")
def tiny_smnist(tmp_path_factory):
    run = tmp_path_factory.mktemp("smnist") / "run"
    cfg = make_config("smnist", "sfa", "tiny", {"task_params.data_dir": str(SLICE), "n_test": 6, "test_batch": 4, "eval_every": 2,
                                                "eval_trials": 4})
    train(cfg, run, progress=False)
    return run


def test_tiny_run_logs_periodic_tests_and_cumulative_time(tiny_smnist):
    lines = [json.loads(line) for line in (tiny_smnist / "metrics.jsonl").read_text().splitlines()]
    assert [("test_accuracy" in r) for r in lines] == [False, True, False, False]  # after iteration 2, not at the end (test.json)
    assert all(b["time_s"] >= a["time_s"] for a, b in zip(lines, lines[1:]))


def test_evaluate_command_scores_every_digit(tiny_smnist, cli, tmp_path):
    rc, out, _ = cli.run("evaluate", tiny_smnist, "--trials", "6", "--dtype", "float64", "--out", tmp_path, "--no-progress")
    report = json.loads((tmp_path / "evaluation_float64.json").read_text())
    assert rc == 0 and "6 held-out trials" in out
    assert len(report["correct"]) == 6 and report["accuracy"] == pytest.approx(report["correct"].count("1") / 6)
    cli.error("evaluate", tmp_path, match="not a run folder")


def test_tiny_run_is_identical_in_brian2(tiny_smnist):
    from lsnn.training.validate import validate_run

    report = validate_run(tiny_smnist, device="cython", n_trials=3, nwb=False, progress=False)
    assert report["n_identical_rasters"] == 3 and report["ok"]


def test_an_ann_baseline_run_is_reloaded_and_scored(tmp_path):
    from lsnn.training.evaluation import evaluate_run

    run = tmp_path / "rnn"
    result = train(make_config("smnist", "rnn", "tiny", {"task_params.data_dir": str(SLICE)}), run, progress=False)
    report = evaluate_run(run, dtype="float32", progress=False)  # baseline.pt read back with weights_only=True
    assert report["accuracy"] == pytest.approx(result["test"]["accuracy"]) and len(report["correct"]) == 8


def test_shipped_network_scores_the_test_digits_it_claims(monkeypatch, tmp_path):
    """The quick-preset DEEP R LSNN in notebooks/data: float64 re-evaluation of the first 512 test digits (the slice)
    gives, digit for digit, the answers recorded by ``lsnn evaluate --dtype float64`` on all 10,000."""
    from lsnn.training.evaluation import evaluate_run

    shipped = ROOT / "notebooks" / "data" / "smnist_deep_r_lsnn_quick"
    claim = json.loads((shipped / "evaluation_float64.json").read_text())
    monkeypatch.setenv("LSNN_MNIST_DIR", str(SLICE))
    load_mnist.cache_clear()
    report = evaluate_run(shipped, n_trials=512, dtype="float64", batch_size=128, progress=False, out=tmp_path)
    assert claim["n_trials"] == 10000 and claim["accuracy"] == pytest.approx(claim["correct"].count("1") / 10000)
    assert report["correct"] == claim["correct"][:512]
    meta = NetworkSpec.load(shipped / "network.npz").meta
    assert meta["source"] == "lsnn train" and meta["config"]["task"] == "smnist" and meta["config"]["connectivity"] == 0.12


def test_time_to_accuracy_marks_the_final_test_on_the_whole_test_set_apart():
    """The periodic tests use the first 2,000 digits, the final test all 10,000: the figure must not pass the last
    point off as one more periodic test, and the milestones come from the curve's values."""
    import pandas as pd

    from lsnn.app.smnist import time_to_accuracy
    from lsnn.figures.smnist import figure_time_to_accuracy

    curve = pd.DataFrame({"iteration": [1000, 2000, 3000], "time_min": [2.0, 4.0, 6.0], "accuracy": [61.0, 79.0, 89.6],
                          "n_trials": [2000, 2000, 10000]})
    assert time_to_accuracy(curve) == {"min_to_60": 2.0, "min_to_80": 6.0, "min_to_90": None}
    texts = [t.get_text() for t in figure_time_to_accuracy(curve).axes[0].texts]
    assert "final test, 10,000 trials: 89.60 %" in texts
    same = curve.assign(n_trials=2000)
    assert not any(t.get_text().startswith("final test") for t in figure_time_to_accuracy(same).axes[0].texts)


def test_fig1b_title_says_over_how_many_seeds_each_bar_is():
    """Bars of 2 seeds next to a bar of 1 run: the title must not claim 2 seeds for every bar."""
    import pandas as pd

    from lsnn.figures.smnist import figure_smnist_accuracy

    frame = pd.DataFrame({"row": ["deep-r-lsnn", "deep-r-lsnn", "lif"], "setup": ["1ms"] * 3, "accuracy": [89.97, 90.80, 52.8],
                          "paper_mean": [94.2, 94.2, 60.9], "paper_max": [94.7, 94.7, 63.3]})
    assert figure_smnist_accuracy(frame).axes[0].get_title().endswith("(bars: mean (± s.d.) over 1-2 seeds)")
    assert figure_smnist_accuracy(frame.iloc[:2]).axes[0].get_title().endswith("(bars: mean ± s.d. over 2 seeds)")
    assert figure_smnist_accuracy(frame.iloc[1:]).axes[0].get_title().endswith("(bars: one run each)")
