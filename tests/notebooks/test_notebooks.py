"""Every notebook executes top to bottom (nbclient, the package's own kernel) and prints its numbers."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
#: Text each notebook must print (a number-bearing line, not only "it ran").
EXPECTED_TEXT = {
    "poster_intro": "spikes; first ISI",
    "store_recall_demo": "Brian2 identical rasters 32/32",
    "spike_codes": "time cells (p < 0.01): 40/40",
    "elife_table1": "Brian2 rasters identical in 8/8 validated test trials",
    "elife_fig2": "Brian2 rasters identical in 4/4 validated test trials",
    "elife_fig3": "answers right; 10 SFA + 10 LIF neurons",
    "elife_fig4": "300 held-out episodes x 20 neurons",
    "store_recall_pretrained": "Brian2 raster identical: True",
    "neurips_fig1": "possible synapses connected",
    "elife_fig1": "negative imprinting at 2/2 RECALLs",
    "elife_appendix": "SFA network (ALIF neurons): median intrinsic time scale",
    "neurips_fig3": "Brian2 replay identical: True",
    "neurips_fig2": "internal model MSE on the probes after 0 examples",
    "speech": "Speech Commands accuracy:",
}


@pytest.fixture(scope="module")
def tiny_demo(tmp_path_factory):
    """A finished tiny `lsnn demo` results folder (trained, validated, analysed)."""
    from lsnn.app.demo import run_demo

    out = tmp_path_factory.mktemp("demo")
    run_demo(out, preset="tiny", device="numpy", validation_trials=None, progress=False)
    return out


@pytest.fixture(scope="module")
def tiny_table1(tmp_path_factory):
    """A tiny `lsnn reproduce elife-table1` results folder (two rows, one delay, validated)."""
    from lsnn.app.reproduce import reproduce_table1

    out = tmp_path_factory.mktemp("table1")
    reproduce_table1(out, preset="tiny", rows=["lif", "sfa-2"], device="cython", progress=False, log=lambda *a: None)
    return out


@pytest.fixture(scope="module")
def tiny_fig2b(tmp_path_factory):
    """A tiny `lsnn reproduce elife-fig2b` results folder (SFA and STP-F, validated)."""
    from lsnn.app.reproduce import reproduce_comparison

    out = tmp_path_factory.mktemp("fig2b")
    reproduce_comparison("elife-fig2b", out, preset="tiny", models=["sfa", "stp_f"], validate_trials=2, device="numpy", progress=False,
                         log=lambda *a: None)
    return out


@pytest.fixture(scope="module")
def tiny_duplication_reversal(tmp_path_factory):
    """A tiny trained duplication/reversal run (20 neurons, two-symbol sequences of 50 ms steps)."""
    from lsnn.training.config import make_config
    from lsnn.training.trainer import train

    out = tmp_path_factory.mktemp("duprev") / "run"
    train(make_config("duplication_reversal", "sfa", "tiny"), out, progress=False)
    return out


@pytest.fixture(scope="module")
def tiny_12ax(tmp_path_factory):
    """A tiny trained 12AX run (20 neurons: 10 SFA + 10 LIF, 8 symbols of 50 ms)."""
    from lsnn.training.config import make_config
    from lsnn.training.trainer import train

    out = tmp_path_factory.mktemp("12ax") / "run"
    train(make_config("12ax", "sfa", "tiny"), out, progress=False)
    return out


@pytest.fixture(scope="module")
def tiny_smnist_results(tmp_path_factory):
    """A tiny `lsnn reproduce neurips-smnist` results folder (the DEEP R LSNN on the MNIST slice, tested every 2 iterations)."""
    from lsnn.app.smnist import reproduce_smnist

    out = tmp_path_factory.mktemp("smnist")
    slice_dir = Path(__file__).resolve().parents[2] / "notebooks" / "data" / "mnist_slice"
    reproduce_smnist(out, preset="tiny", rows=["deep-r-lsnn"], validate_trials=0, progress=False, log=lambda *a: None,
                     overrides={"task_params.data_dir": str(slice_dir), "eval_every": 2, "eval_trials": 4})
    return out


@pytest.fixture(scope="module")
def tiny_metarl_results(tmp_path_factory):
    """A tiny `lsnn reproduce neurips-metarl` results folder (one LSNN agent, replayed in Brian2)."""
    from lsnn.app.metarl import reproduce_metarl

    out = tmp_path_factory.mktemp("metarl")
    reproduce_metarl(out, preset="tiny", device="numpy", progress=False, log=lambda *a: None)
    return out


@pytest.fixture(scope="module")
def tiny_speech_runs(tmp_path_factory):
    """Tiny TIMIT and Speech Commands runs on a small synthetic corpus (None without espeak-ng and flite)."""
    import shutil

    if not (shutil.which("espeak-ng") and shutil.which("flite")):
        return None
    from lsnn.training.config import make_config
    from lsnn.training.speech.synth import synth_speech
    from lsnn.training.trainer import train

    out = tmp_path_factory.mktemp("speech")
    synth_speech(out / "corpus", commands_speakers=2, commands_held_out=1, timit_speakers=2, timit_dev=1, timit_test=1, sentences=2,
                 progress=False)
    for task, folder in (("timit", "timit"), ("gsc", "speech_commands")):
        train(make_config(task, "sfa", "tiny", {"task_params.data_dir": str(out / "corpus" / folder)}), out / task, progress=False)
    return out


@pytest.fixture(scope="module")
def tiny_l2l_results(tmp_path_factory):
    """A tiny `lsnn reproduce neurips-l2l` results folder (both families, one validated episode each)."""
    from lsnn.app.l2l import reproduce_l2l

    out = tmp_path_factory.mktemp("l2l")
    reproduce_l2l(out, preset="tiny", n_episodes=2, validate_trials=1, device="numpy", progress=False, log=lambda *a: None)
    return out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, tmp_path, tiny_demo, tiny_table1, tiny_fig2b, tiny_duplication_reversal, tiny_12ax, tiny_smnist_results,
                           tiny_metarl_results, tiny_l2l_results, tiny_speech_runs, monkeypatch):
    if path.stem == "speech" and tiny_speech_runs is None:
        pytest.skip("espeak-ng and flite are not installed (the synthetic corpus cannot be made)")
    monkeypatch.setenv("LSNN_DEMO_RESULTS", str(tiny_demo))
    monkeypatch.setenv("LSNN_TABLE1_RESULTS", str(tiny_table1))
    monkeypatch.setenv("LSNN_FIG2B_RESULTS", str(tiny_fig2b))
    monkeypatch.setenv("LSNN_DUPREV_RUN", str(tiny_duplication_reversal))
    monkeypatch.setenv("LSNN_FIG4_EPISODES", "300")
    monkeypatch.setenv("LSNN_12AX_RUN", str(tiny_12ax))
    monkeypatch.setenv("LSNN_SMNIST_RESULTS", str(tiny_smnist_results))
    monkeypatch.setenv("LSNN_SMNIST_RUN", str(tiny_smnist_results / "runs" / "deep-r-lsnn-1ms-s0"))
    monkeypatch.setenv("LSNN_METARL_RESULTS", str(tiny_metarl_results))
    monkeypatch.setenv("LSNN_L2L_RESULTS", str(tiny_l2l_results))
    if tiny_speech_runs is not None:
        monkeypatch.setenv("LSNN_TIMIT_RUN", str(tiny_speech_runs / "timit"))
        monkeypatch.setenv("LSNN_GSC_RUN", str(tiny_speech_runs / "gsc"))
    nb = nbformat.read(path, as_version=4)
    # run as a lab member runs it: Jupyter started in notebooks/ (relative default paths resolve from there)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the notebook draws no figure"
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert EXPECTED_TEXT[path.stem] in text
