"""The compiled CPU kernel of the LSNN recurrence (``lsnn_kernel.cpp``), built at first use.

**Build.** The C++ source is compiled once per machine with the system compiler (``$CXX`` or ``g++``;
``-O3 -fno-trapping-math`` so that the branch-free loops vectorise, OpenMP when available, no fast-math
so results stay IEEE-exact) into a cache folder (``$LSNN_CACHE_DIR``, default ``~/.cache/lsnn``), named
by the hash of the source and flags. The shared library is written to a temporary name and renamed, so
concurrent first uses are safe; a log message (logger ``lsnn.training.kernel``, shown by the ``lsnn``
command) says when it compiles. A cached library that cannot be loaded, lacks a function or reports
another :data:`KERNEL_VERSION` is deleted and rebuilt once. Where no compiler exists, or
``LSNN_KERNEL=python`` is set, :func:`load` returns None and :mod:`lsnn.training.bptt` runs its
pure-PyTorch loops instead (one warning is issued).

**ABI, stated once.** The C++ source is the only statement of the exported functions: their argument
names, types and order are read from its ``extern "C"`` definitions (:func:`exported_functions`), the
:mod:`ctypes` argument tables are generated from them, and Python calls every function by argument
*name* (:meth:`Kernel.call`), so a missing, extra or reordered argument fails loudly instead of
passing a wrong pointer. It is loaded with :mod:`ctypes` (no Python headers, no pybind: the build takes
about a second).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import platform
import re
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("lsnn_kernel.cpp")
#: The kernel version this Python side expects (``lsnn_kernel_version()`` of the library).
KERNEL_VERSION = 13
_FLAG_SETS = (
    ["-O3", "-march=native", "-fno-trapping-math", "-fopenmp"],
    ["-O3", "-fno-trapping-math", "-fopenmp"],
    ["-O3"],
)
_state: dict = {}


class KernelUnavailable(RuntimeError):
    """The compiled kernel could not be built or loaded on this machine."""


# ------------------------------------------------------------------------------------------------ ABI
_DEFINITION = re.compile(r"(?P<ret>void\s*\*|void|int)\s+(?P<name>lsnn_\w+?)(?P<suffix>_##SUFFIX)?\s*\((?P<args>[^)]*)\)\s*\{")


def exported_functions(source: str | None = None) -> dict[str, tuple[str, list[tuple[str, str]]]]:
    """The exported functions of the C++ source: ``{name: (return type, [(argument name, C type), ...])}``.

    Names of the functions defined once per precision (macros with ``SUFFIX``) carry no suffix; ``F`` in
    their types stands for ``float`` (``_f32``) or ``double`` (``_f64``).
    """
    text = (SOURCE.read_text() if source is None else source).replace("\\\n", " ")
    start = text.find('extern "C"')
    if start < 0:
        raise KernelUnavailable(f"{SOURCE.name} has no extern \"C\" section.")
    functions = {}
    for match in _DEFINITION.finditer(text, start):
        args = []
        for arg in (a.strip() for a in match["args"].split(",") if a.strip()):
            ctype, name = arg.rsplit(None, 1) if "*" not in arg.split()[-1] else (arg, "")
            while name.startswith("*"):
                ctype, name = ctype + "*", name[1:]
            args.append((name, " ".join(ctype.split())))
        key = match["name"] + ("" if match["suffix"] is None else "_{suffix}")
        functions[key] = (match["ret"].replace(" ", ""), args)
    return functions


def _ctype(c_type: str, real) -> Any:
    if "*" in c_type:
        return ctypes.c_void_p
    return {"int64_t": ctypes.c_int64, "int": ctypes.c_int, "F": real, "float": ctypes.c_float, "double": ctypes.c_double}[c_type]


class Kernel:
    """The loaded library with argument tables generated from the source (module docstring)."""

    def __init__(self, lib: ctypes.CDLL, functions: dict[str, tuple[str, list[tuple[str, str]]]]) -> None:
        self.lib = lib
        self.signatures: dict[str, list[str]] = {}
        for key, (ret, args) in functions.items():
            for suffix, real in (("f32", ctypes.c_float), ("f64", ctypes.c_double)) if "{suffix}" in key else ((None, None),):
                name = key.format(suffix=suffix) if suffix else key
                fn = getattr(lib, name)  # AttributeError: the library lacks it (stale or corrupt build)
                fn.argtypes = [_ctype(t, real) for _, t in args]
                fn.restype = {"void": None, "int": ctypes.c_int, "void*": ctypes.c_void_p}[ret]
                self.signatures[name] = [a for a, _ in args]

    def call(self, name: str, dtype=None, **arguments: Any) -> Any:
        """Call ``name`` (``_f32``/``_f64`` chosen by the torch ``dtype`` where the function has both) with
        its arguments by name; tensors are passed as pointers to their data, None as a null pointer."""
        import torch

        if dtype is not None:
            name = f"{name}_{'f64' if dtype == torch.float64 else 'f32'}"
        expected = self.signatures[name]
        if set(arguments) != set(expected):
            raise TypeError(f"{name}: missing {sorted(set(expected) - set(arguments))}, unexpected {sorted(set(arguments) - set(expected))}.")
        values = [arguments[a].data_ptr() if isinstance(arguments[a], torch.Tensor) else arguments[a] for a in expected]
        return getattr(self.lib, name)(*values)


# ------------------------------------------------------------------------------------------- building
def cache_dir() -> Path:
    """Where compiled kernels are kept (``$LSNN_CACHE_DIR`` or ``~/.cache/lsnn``)."""
    return Path(os.environ.get("LSNN_CACHE_DIR") or Path.home() / ".cache" / "lsnn")


def _target(flags: list[str]) -> Path:
    key = hashlib.sha1(SOURCE.read_bytes() + " ".join(flags).encode() + platform.machine().encode() + platform.node().encode()).hexdigest()[:16]
    return cache_dir() / f"lsnn_kernel_{key}.so"


def _compile(compiler: str) -> Path:
    """The cached library of the first flag set that compiles (compiling it when absent)."""
    errors = []
    for flags in _FLAG_SETS:
        target = _target(flags)
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=target.parent)
        os.close(fd)
        cmd = [compiler, *flags, "-shared", "-fPIC", "-std=c++17", str(SOURCE), "-o", tmp]
        logger.info("compiling the LSNN training kernel (once per machine, a few seconds): %s", " ".join(cmd[:len(flags) + 1]))
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


def _open(path: Path) -> Kernel:
    lib = ctypes.CDLL(str(path))
    kernel = Kernel(lib, exported_functions())
    version = kernel.call("lsnn_kernel_version")
    if version != KERNEL_VERSION:
        raise KernelUnavailable(f"{path} is kernel version {version}; this lsnn expects {KERNEL_VERSION}")
    return kernel


def build_and_open(compiler: str) -> Kernel:
    """Compile (or reuse) and load the kernel; a cached library that fails to load is rebuilt once."""
    path = _compile(compiler)
    try:
        return _open(path)
    except (OSError, AttributeError, KernelUnavailable) as exc:
        logger.warning("the cached LSNN kernel %s is unusable (%s); rebuilding it", path, exc)
        path.unlink(missing_ok=True)
        path = _compile(compiler)
        try:
            return _open(path)
        except (OSError, AttributeError) as exc2:
            raise KernelUnavailable(f"the freshly compiled kernel {path} cannot be loaded: {exc2}") from None


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


def load() -> Kernel | None:
    """The loaded kernel, or None (pure-PyTorch fallback) with a one-time warning."""
    if os.environ.get("LSNN_KERNEL", "").lower() == "python":
        return None
    if "lib" in _state:
        return _state["lib"]
    kernel = None
    compiler = os.environ.get("CXX") or shutil.which("g++") or shutil.which("c++") or shutil.which("clang++")
    try:
        if compiler is None:
            raise KernelUnavailable("no C++ compiler found (install g++ or set $CXX)")
        kernel = build_and_open(compiler)
    except (KernelUnavailable, OSError) as exc:
        warnings.warn(f"LSNN: compiled kernel unavailable, using the slower pure-PyTorch loops ({exc})", RuntimeWarning, stacklevel=2)
    _state["lib"] = kernel
    return kernel
