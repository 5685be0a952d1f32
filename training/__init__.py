"""LSNN training (DESIGN.md "Layout", training/): the PyTorch LSNN, BPTT, DEEP R, tasks and the trainer.

Public surface::

    from lsnn.training import LSNN
    net = LSNN.from_spec(spec)            # torch.nn.Module; net.to_spec() returns a NetworkSpec
    out = net(x, i_ext=None)              # out.spikes, out.outputs, out.v, out.thresholds

    from lsnn.training import make_config, train, validate_run
    train(make_config("store_recall", "sfa", "quick"), "runs/sr-sfa")   # run folder + network.npz
    validate_run("runs/sr-sfa")                                         # Brian2 vs PyTorch, validation.json

Modules: ``model`` (LSNN), ``bptt`` (hand-written BPTT, compiled kernel ``lsnn_kernel.cpp`` loaded by
``kernel``), ``pseudo_derivative``, ``stp``, ``reference`` (straightforward autograd implementation, the
gradient check), ``init``, ``deep_r``, ``regularizers``, ``baselines``, ``tasks/``, ``datasets`` (MNIST from its IDX
files), ``config``, ``runs`` (the run folder), ``trainer``, ``evaluation`` (scoring a finished run,
``lsnn evaluate``), ``heldout`` (re-simulating held-out trials), ``validate`` (PyTorch vs Brian2). ``config`` needs no torch; the other names load torch when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsnn.common.lazy import lazy_exports

from .config import TrainConfig, make_config

_LAZY = {"LSNN": "model", "LSNNOutput": "model", "train": "trainer", "validate_run": "validate"}

__all__ = ["LSNN", "LSNNOutput", "TrainConfig", "make_config", "train", "validate_run"]

if TYPE_CHECKING:
    from .model import LSNN, LSNNOutput
    from .trainer import train
    from .validate import validate_run


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
