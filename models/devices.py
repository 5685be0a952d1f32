"""Brian2 code-generation targets behind one name, activated by a context manager.

=================  ===============================================================================
name               what runs
=================  ===============================================================================
numpy              runtime mode, numpy target (no compiler)
cython             runtime mode, Cython-compiled code objects (cached; set ``CYTHON_CACHE_DIR``)
cpp_standalone     one C++ project, compiled once, run for every batch of trials with ``run_args``
genn               Brian2GeNN (GeNN 4.x, needs ``GENN_PATH``); ``LSNN_GENN_USE_GPU=0`` for CPU-only;
                   its own environment (``bash scripts/run.sh setup-genn``)
cuda_standalone    Brian2CUDA (needs an NVIDIA GPU and nvcc)
=================  ===============================================================================

:func:`use_device` activates a device for a block and restores Brian2's global device, preferences
and ``defaultclock.dt`` afterwards (``device.reinit()`` after standalone builds, as Brian2's own
test-suite does), so simulations with different devices can follow each other in one process. How a
simulation is run on each kind of device (runtime, standalone re-runs, GeNN build-on-run) is the job of
the runners in :mod:`lsnn.models.simulation`. Brian2 itself is imported only when a device is used.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

DEVICES = ("numpy", "cython", "cpp_standalone", "genn", "cuda_standalone")
#: Devices that generate and compile a project in a build folder.
STANDALONE = ("cpp_standalone", "genn", "cuda_standalone")


class DeviceUnavailable(RuntimeError):
    """The requested Brian2 device cannot run on this machine (missing toolchain); says what to install."""


def check_device_name(name: str) -> str:
    """``name`` if it is a known device; ``ValueError`` listing the devices otherwise."""
    if name not in DEVICES:
        raise ValueError(f"Unknown device {name!r}; choose one of: {', '.join(DEVICES)}.")
    return name


def check_available(name: str) -> None:
    """Raise :class:`DeviceUnavailable` with instructions if ``name`` cannot run here."""
    check_device_name(name)
    if name == "genn":
        try:
            import brian2genn  # noqa: F401
        except ImportError as exc:
            raise DeviceUnavailable(
                "device 'genn' needs brian2genn 1.7 with Brian2 2.5 and numpy < 2, in its own environment: "
                f"`bash scripts/run.sh setup-genn` builds it (.venv-genn), or environments/genn.yml; README, GPUs ({exc})."
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
def use_device(name: str, build_dir: str | os.PathLike | None = None) -> Iterator[str]:
    """Activate the Brian2 device ``name`` for the block, then restore the previous state.

    Standalone devices generate their project in ``build_dir`` (required for them; :func:`lsnn.models.simulate`
    passes a fresh temporary folder). Restored afterwards: the runtime device, ``prefs.codegen.target``,
    the Cython cache folder, the default schedule and loop-invariant optimisations (Brian2GeNN changes
    both) and ``defaultclock.dt``.
    """
    check_available(name)
    if name in STANDALONE and build_dir is None:
        raise ValueError(f"device {name!r} needs a build_dir for its generated project.")
    from brian2 import defaultclock, get_device, prefs, set_device
    from brian2.devices.device import reset_device

    saved_target = prefs.codegen.target
    saved_cache = prefs["codegen.runtime.cython.cache_dir"]
    # brian2genn changes these two when activated and leaves them changed: its schedule would make the
    # readout of a later simulation miss the spikes of each step
    saved_prefs = {name: prefs[name] for name in ("core.network.default_schedule", "codegen.loop_invariant_optimisations")}
    saved_dt = defaultclock.dt
    try:
        if name in ("numpy", "cython"):
            set_device("runtime")
            prefs.codegen.target = name
            if name == "cython" and os.environ.get("CYTHON_CACHE_DIR"):
                prefs["codegen.runtime.cython.cache_dir"] = os.path.join(os.environ["CYTHON_CACHE_DIR"], "brian_extensions")
        elif name == "cpp_standalone":
            set_device("cpp_standalone", directory=str(build_dir), build_on_run=False)
            prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{os.cpu_count() or 1}"]
        elif name == "genn":
            use_gpu = os.environ.get("LSNN_GENN_USE_GPU", "1") != "0"
            set_device("genn", directory=str(build_dir), use_GPU=use_gpu, build_on_run=True)
        else:
            set_device("cuda_standalone", directory=str(build_dir), build_on_run=False)
        yield name
    finally:
        if name in STANDALONE:
            get_device().reinit()
            get_device().activate()
        reset_device("runtime")
        prefs.codegen.target = saved_target
        prefs["codegen.runtime.cython.cache_dir"] = saved_cache
        for pref_name, value in saved_prefs.items():
            prefs[pref_name] = value
        defaultclock.dt = saved_dt
