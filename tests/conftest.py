"""Test set-up: caches inside the work tree, Brian2's global state reset around every test, and a helper
that runs the ``lsnn`` command line and checks its one-line errors."""

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("CYTHON_CACHE_DIR", str(ROOT / ".cython_cache"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("LSNN_CACHE_DIR", str(ROOT / ".lsnn_cache"))  # the compiled BPTT kernel


@pytest.fixture(autouse=True)
def brian2_state():
    """Brian2's device, preferences and ``defaultclock`` as at import, after every test that used Brian2
    (Brian2's own test-suite does the same): one test's device or dt never leaks into the next."""
    yield
    if "brian2" not in sys.modules:
        return
    from brian2 import get_device
    from brian2.devices.device import reset_device
    from brian2.only import restore_initial_state

    device = get_device()
    if getattr(device, "build_on_run", None) is not None and type(device).__name__ != "RuntimeDevice":
        device.reinit()
    reset_device("runtime")
    restore_initial_state()


class CommandLine:
    """Runs ``lsnn`` in-process (``lsnn.app.cli.main``) and captures what it prints."""

    def __init__(self, capsys):
        self.capsys = capsys

    def run(self, *argv: str) -> tuple[int, str, str]:
        from lsnn.app.cli import main

        self.capsys.readouterr()
        rc = main([str(a) for a in argv])
        out, err = self.capsys.readouterr()
        return rc, out, err

    def error(self, *argv: str, match: str) -> str:
        """Assert that the command fails with exit status 2 and one line ``lsnn <cmd>: error: ...`` matching ``match``."""
        rc, out, err = self.run(*argv)
        lines = err.strip().splitlines()
        assert rc == 2, f"exit status {rc}; stderr: {err}"
        assert len(lines) == 1 and lines[0].startswith(f"lsnn {argv[0]}: error: "), err
        assert "Traceback" not in err and re.search(match, lines[0]), lines[0]
        return lines[0]


@pytest.fixture
def cli(capsys):
    """The ``lsnn`` command line (:class:`CommandLine`)."""
    return CommandLine(capsys)


@pytest.fixture
def genn_environment() -> tuple[Path, dict]:
    """The GeNN environment (``bash scripts/run.sh setup-genn``: ``.venv-genn`` and a GeNN source in
    ``.genn/``) as (its ``lsnn`` command, environment variables with ``GENN_PATH`` and CPU-only GeNN unless
    ``LSNN_GENN_USE_GPU`` says otherwise); skips, saying what to run, where it is not set up."""
    python = Path(os.environ.get("LSNN_GENN_PYTHON") or ROOT / ".venv-genn" / "bin" / "python")
    genn_path = os.environ.get("GENN_PATH") or next((str(p) for p in sorted(ROOT.glob(".genn/genn-*"))), None)
    if not (python.parent / "lsnn").exists() or not genn_path:
        pytest.skip("the GeNN environment is not set up here: bash scripts/run.sh setup-genn (needs a GeNN 4.x source)")
    return python.parent / "lsnn", {**os.environ, "GENN_PATH": genn_path, "LSNN_GENN_USE_GPU": os.environ.get("LSNN_GENN_USE_GPU", "0")}


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A one-node SLURM cluster on this machine (``tests/slurm_cluster.py``) for the session, ``SLURM_CONF`` set
    while it runs; skips with the reason where it cannot start (no slurm-wlm/munge, not root)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from slurm_cluster import LocalSlurm

    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    reason = cluster.start()
    if reason:
        pytest.skip(f"no local SLURM cluster: {reason}")
    previous = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    try:
        yield cluster
    finally:
        cluster.stop()
        if previous is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = previous


@pytest.fixture
def shipped_answers_as_claimed(tmp_path):
    """``check(folder, n_trials, batch_size) -> meta`` for a network shipped in ``notebooks/data/<folder>``: its
    ``evaluation_float64.json`` (written by ``lsnn evaluate --dtype float64`` on 1,000 held-out episodes) is
    consistent, a float64 re-evaluation of the first ``n_trials`` episodes answers them episode for episode
    as the file says, and the network's ``meta`` is returned for the test's own checks."""
    import json

    from lsnn.models.spec import NetworkSpec
    from lsnn.training.evaluation import evaluate_run

    def check(folder: str, n_trials: int, batch_size: int) -> dict:
        shipped = ROOT / "notebooks" / "data" / folder
        claim = json.loads((shipped / "evaluation_float64.json").read_text())
        assert claim["n_trials"] == 1000 and claim["success"] == pytest.approx(claim["correct"].count("1") / 1000)
        report = evaluate_run(shipped, n_trials=n_trials, dtype="float64", batch_size=batch_size, progress=False, out=tmp_path)
        assert report["correct"] == claim["correct"][:n_trials]
        meta = NetworkSpec.load(shipped / "network.npz").meta
        assert meta["source"] == "lsnn train"
        return meta

    return check


@pytest.fixture
def lean_calls(monkeypatch) -> list:
    """A list that grows by one each time the memory-lean fused training path (``LSNNLean.forward``) runs."""
    from lsnn.training import bptt

    calls: list = []
    original = bptt.LSNNLean.forward
    monkeypatch.setattr(bptt.LSNNLean, "forward", staticmethod(lambda *args: calls.append(1) or original(*args)))
    return calls
