"""DEEP R: rewiring under a fixed global number of connections (Bellec et al. ICLR 2018; NeurIPS 2018 suppl.).

Every potential connection k has a fixed sign s_k and a parameter theta_k; it is active while
theta_k >= 0 and its weight is ``w_k = s_k theta_k`` (dormant connections have weight 0). After each
gradient step (Adam on the active weights) DEEP R applies, to the active connections::

    theta_k <- theta_k - eta * alpha_L1 + sqrt(2 eta T) * nu_k,   nu_k ~ N(0, 1)

(L1 shrinkage, optional temperature T), deactivates every connection whose theta_k dropped below 0,
and reactivates as many dormant connections, drawn uniformly from all dormant candidates of all
rewired matrices together (W_in, W_rec without self-connections, W_out), with theta_k = 0. The total
number of active connections is therefore constant, no sign ever flips (Dale's law is kept where the
signs come from the neurons), and no update ever reaches a dormant connection: its weight stays 0
and the optimizer's moments for it are reset.
"""

from __future__ import annotations

import math

import torch

from .model import LSNN

MATRICES = {"W_in": ("mask_in", "sign_in"), "W_rec": ("mask_rec", "sign"), "W_out": ("mask_out", "sign")}


class DeepR:
    """Sign-preserving rewiring of ``net``'s weight matrices (see module docstring).

    Parameters
    ----------
    net : LSNN
        Its masks are the active sets; they are changed in place.
    generator : torch.Generator
        Source of the fixed signs of sign-free connections (drawn once here).
    l1 : float
        L1 shrinkage alpha (0.01 in the NeurIPS supplement).
    temperature : float
        Noise temperature T (0 in the NeurIPS supplement).
    names : tuple of str
        Which matrices are rewired.
    """

    def __init__(self, net: LSNN, generator: torch.Generator, l1: float = 0.01, temperature: float = 0.0, names: tuple[str, ...] = ("W_in", "W_rec", "W_out")) -> None:
        self.net, self.l1, self.temperature, self.names = net, float(l1), float(temperature), tuple(names)
        self.signs: dict[str, torch.Tensor] = {}
        with torch.no_grad():
            for name in self.names:
                W = getattr(net, name)
                mask_name, sign_name = MATRICES[name]
                pre_sign = getattr(net, sign_name).to(W.dtype)[None, :].expand_as(W)
                random_sign = torch.where(torch.rand(W.shape, generator=generator) < 0.5, -1.0, 1.0).to(W.device, W.dtype)
                weight_sign = torch.sign(W)
                sign = torch.where(pre_sign != 0, pre_sign, torch.where(weight_sign != 0, weight_sign, random_sign))
                self.signs[name] = sign
                mask = getattr(net, mask_name)
                if ((W * sign < 0) & mask).any():
                    raise ValueError(f"{name}: active weights contradict their signs (Dale's law); initialise with matching signs.")
                W.mul_(mask)
        self.n_active = self.count_active()

    def masks(self) -> dict[str, torch.Tensor]:
        return {name: getattr(self.net, MATRICES[name][0]) for name in self.names}

    def count_active(self) -> int:
        """Total number of active connections over the rewired matrices."""
        return int(sum(int(m.sum()) for m in self.masks().values()))

    def candidates(self, name: str) -> torch.Tensor:
        """Dormant connections that may be activated (no self-connections in W_rec)."""
        dormant = ~getattr(self.net, MATRICES[name][0])
        if name == "W_rec":
            dormant = dormant & ~torch.eye(dormant.shape[0], dtype=torch.bool, device=dormant.device)
        return dormant

    @torch.no_grad()
    def step(self, lr: float, generator: torch.Generator, optimizer: torch.optim.Optimizer | None = None) -> dict[str, int]:
        """Shrink, add noise, deactivate connections whose theta < 0 and reactivate as many at random."""
        removed = 0
        for name in self.names:
            W, mask, sign = getattr(self.net, name), self.masks()[name], self.signs[name]
            theta = W * sign
            theta -= lr * self.l1
            if self.temperature > 0:
                theta += math.sqrt(2 * lr * self.temperature) * torch.randn(W.shape, generator=generator, dtype=W.dtype).to(W.device)
            dead = mask & (theta < 0)
            mask &= ~dead
            removed += int(dead.sum())
            W.copy_(torch.where(mask, theta * sign, torch.zeros((), dtype=W.dtype)))
        if removed:
            cand = {name: self.candidates(name) for name in self.names}
            sizes = torch.tensor([int(c.sum()) for c in cand.values()])
            pick = torch.randperm(int(sizes.sum()), generator=generator)[:removed]
            offsets = torch.cumsum(sizes, 0) - sizes
            for k, (name, c) in enumerate(cand.items()):
                local = pick[(pick >= offsets[k]) & (pick < offsets[k] + sizes[k])] - offsets[k]
                idx = torch.nonzero(c.flatten()).flatten()[local]
                self.masks()[name].view(-1)[idx] = True  # theta = 0: the weight stays 0 until the next gradient step
        if optimizer is not None:
            self._reset_dormant_moments(optimizer)
        return {"removed": removed, "active": self.count_active()}

    def _reset_dormant_moments(self, optimizer: torch.optim.Optimizer) -> None:
        for name in self.names:
            W, mask = getattr(self.net, name), self.masks()[name]
            state = optimizer.state.get(W, {})
            for key in ("exp_avg", "exp_avg_sq"):
                if key in state:
                    state[key].mul_(mask)
