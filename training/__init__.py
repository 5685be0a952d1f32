"""LSNN training (DESIGN.md "Layout", training/): the PyTorch LSNN, BPTT, DEEP R, tasks and the trainer.

Public surface::

    from lsnn.training import LSNN
    net = LSNN.from_spec(spec)            # torch.nn.Module; net.to_spec() returns a NetworkSpec
    out = net(x, i_ext=None)              # out.spikes, out.outputs, out.v, out.thresholds
"""

from .model import LSNN, LSNNOutput

__all__ = ["LSNN", "LSNNOutput"]
