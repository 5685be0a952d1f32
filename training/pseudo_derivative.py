r"""The dampened pseudo-derivative of the spike, for every Python path of the package.

Bellec et al. 2018 (NeurIPS), suppl. eqs. 6-7: the spike ``z = H(v)`` of the normalised potential
``v = (V - A) / A`` is given, for training only, the derivative

.. math:: \frac{dz}{dv} = \gamma \max(0, 1 - |v|), \qquad \gamma = 0.3 \text{ in both papers},

which the chain rule carries to V (``1/A``) and to the adaptive threshold A (``-V/A^2``). It is zero
while the neuron is refractory (z is held at 0 there). :func:`pseudo_derivative` is used by the
hand-written backward pass (:mod:`lsnn.training.bptt`), the short-term-plasticity recursion
(:mod:`lsnn.training.stp`) and the autograd reference (:mod:`lsnn.training.reference`); the compiled
kernel (``lsnn_kernel.cpp``) computes the same expression in C++.
"""

from __future__ import annotations

import torch
from torch import Tensor


def pseudo_derivative(v: Tensor, gamma: float) -> Tensor:
    """``gamma * max(0, 1 - |v|)`` elementwise (module docstring).

    >>> pseudo_derivative(torch.tensor([-2.0, -0.5, 0.0, 0.25, 1.0]), 0.3)
    tensor([0.0000, 0.1500, 0.3000, 0.2250, 0.0000])
    """
    return gamma * torch.clamp(1 - v.abs(), min=0)


class SpikeFunction(torch.autograd.Function):
    """``z = H(v)`` (1 where v > 0) with ``dz/dv = gamma max(0, 1 - |v|)`` (:func:`pseudo_derivative`)."""

    @staticmethod
    def forward(ctx, v: Tensor, gamma: float) -> Tensor:  # noqa: D102
        ctx.save_for_backward(v)
        ctx.gamma = gamma
        return (v > 0).to(v.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor):  # noqa: D102
        (v,) = ctx.saved_tensors
        return grad * pseudo_derivative(v, ctx.gamma), None
