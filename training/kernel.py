"""The compiled CPU kernel of the LSNN recurrence (``lsnn_kernel.cpp``), built at first use.

The C++ source is compiled once per machine with the system compiler (``$CXX`` or ``g++``;
``-O3 -fno-trapping-math`` so that the branch-free loops vectorise, OpenMP when available, no
fast-math so results stay IEEE-exact) into a cache folder
(``$LSNN_CACHE_DIR``, default ``~/.cache/lsnn``), named by the hash of the source and flags; the
shared library is written to a temporary name and renamed, so concurrent first uses are safe. It is
loaded with :mod:`ctypes` (no Python headers, no pybind: the build takes about a second).
Where no compiler exists, or ``LSNN_KERNEL=python`` is set, :func:`load` returns None and
:mod:`lsnn.training.bptt` runs its pure-PyTorch loops instead (one warning is issued).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

SOURCE = Path(__file__).with_name("lsnn_kernel.cpp")
_FLAG_SETS = (
    ["-O3", "-march=native", "-fno-trapping-math", "-fopenmp"],
    ["-O3", "-fno-trapping-math", "-fopenmp"],
    ["-O3"],
)
_state: dict = {}


class KernelUnavailable(RuntimeError):
    """The compiled kernel could not be built or loaded on this machine."""


def cache_dir() -> Path:
    """Where compiled kernels are kept (``$LSNN_CACHE_DIR`` or ``~/.cache/lsnn``)."""
    return Path(os.environ.get("LSNN_CACHE_DIR") or Path.home() / ".cache" / "lsnn")


def _compile(compiler: str) -> Path:
    source = SOURCE.read_bytes()
    errors = []
    for flags in _FLAG_SETS:
        key = hashlib.sha1(source + " ".join(flags).encode() + platform.machine().encode() + platform.node().encode()).hexdigest()[:16]
        target = cache_dir() / f"lsnn_kernel_{key}.so"
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
        os.close(fd)
        cmd = [compiler, *flags, "-shared", "-fPIC", "-std=c++17", str(SOURCE), "-o", tmp]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode == 0:
                os.replace(tmp, target)
                return target
            errors.append(f"{' '.join(cmd)}: {proc.stderr.strip()[-500:]}")
        except OSError as exc:  # the compiler cannot be run at all
            raise KernelUnavailable(f"cannot run {compiler}: {exc}") from None
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    raise KernelUnavailable("could not compile the LSNN kernel:\n" + "\n".join(errors))


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    i64, p, c_int = ctypes.c_int64, ctypes.c_void_p, ctypes.c_int
    for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)):
        fwd = getattr(lib, f"lsnn_forward_{suffix}")
        fwd.argtypes = [i64, i64, i64, i64, p, p, p, p, p, p, p, p, p, c_int, p, p, p, p, p, c_int]
        fwd.restype = None
        bwd = getattr(lib, f"lsnn_backward_{suffix}")
        bwd.argtypes = [i64, i64, i64, i64, p, p, p, p, p, p, p, p, p, p, p, p, p, real, c_int, p, p, c_int]
        bwd.restype = None
        filt = getattr(lib, f"lsnn_filter_{suffix}")
        filt.argtypes = [i64, i64, p, p, p, c_int]
        filt.restype = None
        proj = getattr(lib, f"lsnn_project_{suffix}")
        proj.argtypes = [i64, i64, i64, i64, i64, p, p, p, c_int]
        proj.restype = None
        proj_grad = getattr(lib, f"lsnn_project_grad_{suffix}")
        proj_grad.argtypes = [i64, i64, i64, i64, i64, p, p, p, c_int]
        proj_grad.restype = None
        lean_fwd = getattr(lib, f"lsnn_lean_forward_{suffix}")
        lean_fwd.argtypes = [i64, i64, i64, i64, p, i64, i64, p, p, p, i64, p, p, p, p, p, p, p, real, p, p, c_int]
        lean_fwd.restype = p
        lean_bwd = getattr(lib, f"lsnn_lean_backward_{suffix}")
        lean_bwd.argtypes = [p, i64, p, i64, i64, p, p, i64, p, p, p, p, real, c_int, p, i64, i64, i64, p, p, p, p, c_int]
        lean_bwd.restype = None
        free = getattr(lib, f"lsnn_record_free_{suffix}")
        free.argtypes = [p]
        free.restype = None
    return lib


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed buffers of up to 32 MB mapped (``mallopt``) instead of returning them.

    BPTT allocates the same large per-iteration buffers again and again; by default glibc gives each
    back to the system and the next iteration pays the page faults again (a sizeable part of an
    iteration at sequential-MNIST sizes). Process-wide; called by the trainer and the benchmarks, not
    at import. Returns False where mallopt is unavailable (non-glibc systems).
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024)
        ok &= libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
        ok &= libc.mallopt(M_TOP_PAD, 64 * 1024 * 1024)
        return bool(ok)
    except (OSError, AttributeError):
        return False


def load() -> ctypes.CDLL | None:
    """The loaded kernel library, or None (pure-PyTorch fallback) with a one-time warning."""
    if os.environ.get("LSNN_KERNEL", "").lower() == "python":
        return None
    if "lib" in _state:
        return _state["lib"]
    lib = None
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    try:
        if compiler is None:
            raise KernelUnavailable("no C++ compiler found (install g++ or set $CXX)")
        lib = _bind(ctypes.CDLL(str(_compile(compiler))))
    except (KernelUnavailable, OSError) as exc:
        warnings.warn(f"LSNN: compiled kernel unavailable, using the slower pure-PyTorch loops ({exc})", RuntimeWarning, stacklevel=2)
    _state["lib"] = lib
    return lib
