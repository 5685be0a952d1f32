"""LSNN models: the ``NetworkSpec`` contract and its Brian2 simulation (DESIGN.md, "models/").

Public surface::

    from lsnn.models import NetworkSpec, simulate

``NetworkSpec``, ``SpecError``, ``simulate_reference`` (the NumPy map) and the device names need numpy
only; the Brian2 parts (``simulate``, ``build_network``, ``network_equations``, ``use_device``) are
imported when first used, so reading, checking and writing network files never loads Brian2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsnn.common.lazy import lazy_exports

from .devices import DEVICES, DeviceUnavailable
from .reference import simulate_reference
from .spec import NetworkSpec, SpecError

#: Names loaded on first access (they import Brian2), and the module that defines each.
_LAZY = {
    "SimulationResult": "simulation",
    "simulate": "simulation",
    "build_network": "network",
    "network_equations": "network",
    "NetworkLayout": "network",
    "use_device": "devices",
}

__all__ = ["DEVICES", "DeviceUnavailable", "NetworkSpec", "SpecError", "simulate_reference", *_LAZY]

if TYPE_CHECKING:
    from .devices import use_device
    from .network import NetworkLayout, build_network, network_equations
    from .simulation import SimulationResult, simulate


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
