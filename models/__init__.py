"""LSNN models: the ``NetworkSpec`` contract and its Brian2 simulation (DESIGN.md, "models/").

Public surface::

    from lsnn.models import NetworkSpec, simulate
"""

from .devices import DEVICES, DeviceUnavailable, use_device
from .network import build_network
from .reference import simulate_reference
from .simulate import SimulationResult, simulate
from .spec import NetworkSpec, SpecError

__all__ = [
    "DEVICES",
    "DeviceUnavailable",
    "NetworkSpec",
    "SimulationResult",
    "SpecError",
    "build_network",
    "simulate",
    "simulate_reference",
    "use_device",
]
