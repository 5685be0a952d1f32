"""Brian2 code-generation targets behind one name, activated by a context manager.

=================  ===============================================================================
name               what runs
=================  ===============================================================================
numpy              runtime mode, numpy target (no compiler)
cython             runtime mode, Cython-compiled code objects (cached; set ``CYTHON_CACHE_DIR``)
cpp_standalone     one C++ project, compiled once, run for every batch of trials with ``run_args``
genn               Brian2GeNN (GeNN 4.x, needs ``GENN_PATH``); ``LSNN_GENN_USE_GPU=0`` for CPU-only
cuda_standalone    Brian2CUDA (needs an NVIDIA GPU and nvcc)
=================  ===============================================================================

The context manager restores Brian2's global device and preferences afterwards, so simulations
with different devices can follow each other in one process (``device.reinit()`` between
standalone builds, as Brian2's own test-suite does).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from brian2 import get_device, prefs, set_device
from brian2.devices.device import reset_device

DEVICES = ("numpy", "cython", "cpp_standalone", "genn", "cuda_standalone")
STANDALONE = ("cpp_standalone", "genn", "cuda_standalone")


class DeviceUnavailable(RuntimeError):
    """The requested Brian2 device cannot run on this machine (missing toolchain); says what to install."""


@dataclass(frozen=True)
class DeviceInfo:
    name: str
    standalone: bool
    #: "timedarray" inputs let ``device.run(run_args=...)`` swap trials without recompiling;
    #: GeNN allows TimedArrays only in run_regularly, so it uses a SpikeGeneratorGroup.
    spike_input: str
    #: Whether one compiled project can be re-run with new inputs (``run_args``).
    reruns: bool
    #: One Synapses object per delay value (Brian2GeNN supports only homogeneous delays).
    split_delays: bool = False
    #: Uniform time constants as shared group parameters (decay factors computed once per step);
    #: off for Brian2GeNN, whose code generation is not tested with shared neuron parameters.
    shared_constants: bool = True
    #: Brian2GeNN builds, compiles and runs inside ``network.run`` (its ``build`` refuses to be
    #: called separately after a run statement); the others build once and re-run the binary.
    build_on_run: bool = False
    #: Continuous drive read by a run_regularly operation (Brian2GeNN: TimedArrays only there).
    drive_by_operation: bool = False


_INFO = {
    "numpy": DeviceInfo("numpy", False, "generator", False),
    "cython": DeviceInfo("cython", False, "generator", False),
    "cpp_standalone": DeviceInfo("cpp_standalone", True, "timedarray", True),
    "genn": DeviceInfo("genn", True, "generator", False, split_delays=True, shared_constants=False, build_on_run=True, drive_by_operation=True),
    "cuda_standalone": DeviceInfo("cuda_standalone", True, "timedarray", True),
}


def device_info(name: str) -> DeviceInfo:
    """Properties of a device name; raises ``ValueError`` for unknown names."""
    if name not in _INFO:
        raise ValueError(f"Unknown device {name!r}; choose one of: {', '.join(DEVICES)}.")
    return _INFO[name]


def check_available(name: str) -> None:
    """Raise :class:`DeviceUnavailable` with instructions if ``name`` cannot run here."""
    device_info(name)
    if name == "genn":
        try:
            import brian2genn  # noqa: F401
        except ImportError as exc:
            raise DeviceUnavailable(
                "device 'genn' needs brian2genn 1.7 with Brian2 2.5 and numpy < 2, in its own environment: "
                f"see environments/genn.yml and the README's GPU section ({exc})."
            ) from None
        genn_path = os.environ.get("GENN_PATH")
        if not genn_path or not Path(genn_path, "bin", "genn-buildmodel.sh").exists():
            raise DeviceUnavailable(
                "device 'genn' needs GeNN 4.9 sources: set GENN_PATH to a GeNN 4.x source tree "
                f"(containing bin/genn-buildmodel.sh); GENN_PATH={genn_path!r}."
            )
    elif name == "cuda_standalone":
        try:
            import brian2cuda  # noqa: F401
        except ImportError as exc:
            raise DeviceUnavailable(
                "device 'cuda_standalone' needs brian2cuda (Brian2 2.10.1, an NVIDIA GPU and nvcc): "
                f"see environments/cuda.yml ({exc})."
            ) from None


@contextlib.contextmanager
def use_device(name: str, build_dir: str | os.PathLike | None = None) -> Iterator[DeviceInfo]:
    """Activate the Brian2 device ``name`` for the block, then restore the previous state.

    Standalone devices generate their project in ``build_dir`` (a fresh temporary folder when
    ``None`` is given by :func:`lsnn.models.simulate`).
    """
    info = device_info(name)
    check_available(name)
    saved_target = prefs.codegen.target
    saved_cache = prefs["codegen.runtime.cython.cache_dir"]
    try:
        if name in ("numpy", "cython"):
            set_device("runtime")
            prefs.codegen.target = name
            if name == "cython" and os.environ.get("CYTHON_CACHE_DIR"):
                prefs["codegen.runtime.cython.cache_dir"] = os.path.join(os.environ["CYTHON_CACHE_DIR"], "brian_extensions")
        else:
            directory = str(build_dir)
            if name == "cpp_standalone":
                set_device("cpp_standalone", directory=directory, build_on_run=False)
                prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
            elif name == "genn":
                use_gpu = os.environ.get("LSNN_GENN_USE_GPU", "1") != "0"
                set_device("genn", directory=directory, use_GPU=use_gpu, build_on_run=True)
            else:
                set_device("cuda_standalone", directory=directory, build_on_run=False)
        yield info
    finally:
        if info.standalone:
            get_device().reinit()
            get_device().activate()
        reset_device("runtime")
        prefs.codegen.target = saved_target
        prefs["codegen.runtime.cython.cache_dir"] = saved_cache
