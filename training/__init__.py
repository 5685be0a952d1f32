"""LSNN training (DESIGN.md "Layout", training/): the PyTorch LSNN, BPTT, DEEP R, tasks and the trainer.

Public surface::

    from lsnn.training import LSNN
    net = LSNN.from_spec(spec)            # torch.nn.Module; net.to_spec() returns a NetworkSpec
    out = net(x, i_ext=None)              # out.spikes, out.outputs, out.v, out.thresholds

    from lsnn.training import make_config, train, validate_run
    train(make_config("store_recall", "sfa", "quick"), "runs/sr-sfa")   # run folder + network.npz
    validate_run("runs/sr-sfa")                                         # Brian2 vs PyTorch, validation.json

Modules: ``model`` (LSNN), ``bptt`` (hand-written BPTT, compiled kernel ``lsnn_kernel.cpp`` loaded by
``kernel``), ``reference`` (straightforward autograd implementation, the gradient check), ``init``,
``deep_r``, ``regularizers``, ``tasks/``, ``config``, ``trainer``, ``validate``, ``cli``.
"""

from .config import TrainConfig, make_config
from .model import LSNN, LSNNOutput
from .trainer import train
from .validate import validate_run

__all__ = ["LSNN", "LSNNOutput", "TrainConfig", "make_config", "train", "validate_run"]
