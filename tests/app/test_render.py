"""``lsnn figures RUN``: every kind of run folder gets its learning curves and its task's held-out trial."""

import pytest
from matplotlib.image import imread

from lsnn.training.config import make_config
from lsnn.training.trainer import train


def _drawn(path) -> bool:
    """A PNG with content: more than one colour in it (an empty canvas is uniform)."""
    image = imread(path)
    return path.stat().st_size > 10_000 and image.reshape(-1, image.shape[-1]).std(axis=0).max() > 0.05


@pytest.mark.parametrize("task, model, expected", [
    ("store_recall", "sfa", {"training_curves.png", "store_recall_trial.png"}),
    ("delayed_xor", "lif", {"training_curves.png", "trial.png"}),  # analog input: drawn as an image
    ("12ax", "sfa", {"training_curves.png", "12ax_episode.png"}),
    ("duplication_reversal", "sfa", {"training_curves.png", "sequences.png"}),
    ("store_recall_20d", "sfa", {"training_curves.png", "trial.png"}),  # too few RECALLs per word to decode: said, not drawn
])
def test_figures_of_a_run_folder(tmp_path, cli, task, model, expected):
    run = tmp_path / "run"
    train(make_config(task, model, "tiny"), run, progress=False)
    rc, out, _ = cli.run("figures", run)
    assert rc == 0
    written = {p.name for p in (run / "figures").iterdir()}
    assert expected <= written and out.count("wrote") == len(written)
    assert all(_drawn(run / "figures" / name) for name in written)


def test_an_unfinished_run_gets_its_learning_curves_only(tmp_path, cli):
    run = tmp_path / "run"
    train(make_config("store_recall", "sfa", "tiny"), run, progress=False, max_iterations=3)
    assert cli.run("figures", run, "--out", tmp_path / "figs")[0] == 0
    assert {p.name for p in (tmp_path / "figs").iterdir()} == {"training_curves.png"}


def test_a_folder_of_something_else_is_refused(tmp_path, cli):
    (tmp_path / "notes.txt").write_text("hello")
    cli.error("figures", tmp_path, match="neither a run folder .* nor a results folder")
