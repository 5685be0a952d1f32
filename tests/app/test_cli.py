"""The ``lsnn`` command: light to start, one error path, subcommands that load only what they use."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from lsnn.models.examples import random_spec

#: Runs the command line in a fresh interpreter where the named packages cannot be imported.
BLOCKED = """
import sys

class NotInstalled:  # `import name` raises ImportError, as where the package is not installed
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"No module named {{name!r}} (blocked by the test)")

sys.meta_path.insert(0, NotInstalled())
from lsnn.app.cli import main
sys.exit(main({argv!r}))
"""


def run_without(blocked: list[str], argv: list[str], cwd=None) -> subprocess.CompletedProcess:
    code = BLOCKED.format(blocked=blocked, argv=[str(a) for a in argv])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=cwd)


def test_help_and_version_load_no_wing():
    probe = "import sys\nfrom lsnn.app.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n" \
            "print([m for m in ('torch', 'brian2', 'neo', 'elephant', 'sklearn', 'matplotlib') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().endswith("[]") and "lsnn analyze" in out.stdout
    version = subprocess.run([sys.executable, "-m", "lsnn.app.cli", "--version"], capture_output=True, text=True, timeout=120)
    assert version.stdout.startswith("lsnn ") and version.returncode == 0


def test_analyze_runs_where_neither_torch_nor_brian2_is_installed(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    task = rng.integers(0, 2, n)
    frame = pd.DataFrame({"task": task, "u0": rng.poisson(5 + 10 * task), "u1": rng.poisson(5, n)})
    frame.to_csv(tmp_path / "counts.csv", index=False)
    out = run_without(["torch", "brian2"], ["analyze", "selectivity", tmp_path / "counts.csv", "--factors", "task", "--count-window", "1s",
                                            "--out", tmp_path / "a"])
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(tmp_path / "a" / "selectivity.csv")
    assert table.set_index("neuron").loc["u0", "selective"] and not table.set_index("neuron").loc["u1", "selective"]


def test_simulate_shows_the_brian2_equations_without_torch(tmp_path):
    spec = random_spec(np.random.default_rng(0), n_in=4, n_rec=6, n_out=2)
    path = spec.save(tmp_path / "net.npz")
    out = run_without(["torch"], ["simulate", path, "--show-equations"])
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "dv/dt = (R_m*I_inj - v)/tau_m : V" in text and "tau_m : s (constant, shared)" in text
    assert "threshold: v > A" in text and "v -= A*exp(dt/tau_m)" in text
    assert "Synapses 'syn_rec' neurons -> neurons" in text and "on_pre: v_post += (exp(dt/tau_m_post) - 1)*w" in text
    assert "tau_a : s (constant)\n" in text  # tau_a differs per neuron: not shared
    assert "R_m = 1. Gohm" in text or "R_m = 1 GΩ" in text and "dt = 1 ms" in text


def test_simulate_writes_spikes_of_a_saved_network(tmp_path, cli):
    rng = np.random.default_rng(1)
    spec = random_spec(rng, n_in=5, n_rec=8, n_out=2)
    spec.save(tmp_path / "net.npz")
    np.save(tmp_path / "x.npy", (rng.random((2, 300, 5)) < 0.05).astype(float))
    rc, out, _ = cli.run("simulate", tmp_path / "net.npz", tmp_path / "x.npy", "--device", "numpy", "--out", tmp_path / "res.npz")
    assert rc == 0 and "spikes" in out
    with np.load(tmp_path / "res.npz") as res:
        assert res["spikes"].shape == (2, 300, 8) and res["spikes"].sum() > 0


@pytest.mark.parametrize("argv, match", [
    (["simulate", "TMP/MISSING.npz", "--show-equations"], "No network file at .*MISSING.npz"),
    (["simulate", "TMP/BAD.npz", "--show-equations"], "not a NetworkSpec .npz file"),
    (["validate", "TMP/MISSING_RUN"], "does not exist; train the run"),
    (["validate", "TMP/BAD.npz"], "BAD.npz is a file, not a run folder"),
    (["train", "--preset", "tiny", "--run-dir", "TMP/BAD.npz"], "BAD.npz is a file, not a run folder"),
    (["train", "--preset", "tiny", "--set", "checkpoint_every=0", "--run-dir", "TMP/RUN"], "checkpoint_every=0 is out of range; allowed: \\[1, inf\\)"),
    (["train", "--preset", "tiny", "--set", "dtype=float16", "--run-dir", "TMP/RUN"], "dtype='float16' is not allowed; choose one of: float32, float64"),
    (["train", "--preset", "tiny", "--set", "n_rec=abc", "--run-dir", "TMP/RUN"], "n_rec='abc' is not allowed; give a whole number"),
    (["train", "--preset", "tiny", "--seed", "-1", "--run-dir", "TMP/RUN"], "seed=-1 is out of range"),
    (["train", "--preset", "tiny", "--set", "batch_size=0", "--run-dir", "TMP/RUN"], "batch_size=0 is out of range"),
    (["figures", "TMP/NOWHERE"], "no folder at"),
])
def test_errors_are_one_line_and_write_nothing(tmp_path, cli, argv, match):
    (tmp_path / "BAD.npz").write_bytes(b"not a zip")
    argv = [a.replace("TMP", str(tmp_path)) for a in argv]
    cli.error(*argv, match=match)
    assert not (tmp_path / "RUN").exists()  # a refused configuration leaves no run folder behind


def test_debug_shows_the_traceback(tmp_path):
    from lsnn.app.cli import main
    from lsnn.models import SpecError

    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(SpecError):
        main(["--debug", "simulate", str(tmp_path / "bad.npz"), "--show-equations"])


def test_negative_window_starts_parse_as_documented():
    from lsnn.app.cli import _protect_negative_values, build_parser

    args = build_parser().parse_args(_protect_negative_values(["analyze", "sequences", "f.nwb", "--event", "stim", "--window", "-200ms", "1s"]))
    assert [a.strip() for a in args.window] == ["-200ms", "1s"]
    from lsnn.analysis import parse_time

    assert float(parse_time(args.window[0])) == pytest.approx(-0.2)
    args = build_parser().parse_args(_protect_negative_values(["train", "--seed", "-1"]))
    assert args.seed == -1  # still a number; refused later by the configuration check


def test_an_unwritable_output_is_reported_before_any_computation(tmp_path, cli):
    import os

    if os.geteuid() == 0:
        blocker = tmp_path / "file"  # root writes anywhere: a file where a folder should be
        blocker.write_text("x")
        out = blocker / "results"
    else:
        out = tmp_path / "ro"
        out.mkdir()
        out.chmod(0o500)
    cli.error("reproduce", "elife-table1", "--preset", "tiny", "--rows", "lif", "--out", out, match="cannot write into")
    cli.error("demo", "--preset", "tiny", "--out", out, match="cannot write into")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("setting, match", [
    ("task_params.expected_delay=-1", "expected_delay must be at least one step_duration"),
    ("task_params.n_colours=3", "task_params of store_recall: .*n_colours"),
    ("connectivity=0.5", "DEEP R rewiring .* not to the LSTM"),
])
def test_task_parameters_are_checked_before_the_run_folder_is_written(tmp_path, cli, setting, match):
    model = "lstm" if setting.startswith("connectivity") else "sfa"
    cli.error("train", "--preset", "tiny", "--model", model, "--set", setting, "--run-dir", tmp_path / "run", match=match)
    assert not (tmp_path / "run").exists()
