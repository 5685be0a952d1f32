"""``simulate(spec, x, device=...)``: the single entry point of Brian2 simulation.

Trials run as independent copies inside one network (see :mod:`lsnn.models.network`), in batches of
copies. One small runner per kind of device decides how:

- :class:`RuntimeRunner` (``numpy``, ``cython``): each batch is its own ``Network``; the Cython code is
  compiled once and cached;
- :class:`StandaloneRunner` (``cpp_standalone``, ``cuda_standalone``): the project is generated and
  compiled **once**; every batch is a re-run of the same binary with new inputs passed through
  ``device.run(run_args=...)``. C++ standalone projects are kept between calls (:func:`project_folder`):
  the next network of the same size recompiles only the files that changed (Brian2 writes only changed
  files, ``make`` rebuilds only what they affect; the weights are data files, not code);
- :class:`GeNNRunner` (``genn``): all trials in one network, generated, compiled and run inside
  ``network.run`` (Brian2GeNN refuses a separate build), with the layout Brian2GeNN supports.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .devices import STANDALONE, check_device_name, use_device
from .network import (
    BuiltNetwork,
    NetworkLayout,
    build_network,
    continuous_drive,
    drive_values,
    input_timed_array,
    threshold_test_records,
)
from .spec import NetworkSpec

logger = logging.getLogger(__name__)

#: Default number of synapses simulated at once (copies x synapses per trial).
SYNAPSE_BUDGET = 4_000_000
#: C++ standalone projects kept in ``$LSNN_CACHE_DIR/brian2-projects`` (least recently used removed first).
PROJECT_CACHE_SIZE = 4


@dataclass
class SimulationResult:
    """Brian2 simulation output; leading trial axis only if the input had one.

    Attributes
    ----------
    spikes : ndarray of uint8, (..., T, n_rec)
        z(t), 0/1.
    outputs : ndarray, (..., T, n_out)
        Readout o(t) = y(t) + b_out in volts.
    v, thresholds : ndarray or None, (..., T, n_rec)
        V(t) and A(t) as used by the threshold test at step t (volts), if recorded.
    dt : float
        Time step in seconds.
    device : str
        The Brian2 device that produced the result.
    wall_time : float
        Seconds spent building and running (including code generation and compilation).
    run_time : float
        Seconds spent running the simulation (network runs; standalone: the binary's runs, including
        its start-up and file input/output).
    loop_time : float
        Seconds inside Brian2's simulation loop (standalone: as timed by the binary itself;
        runtime targets: equal to ``run_time``).
    """

    spikes: np.ndarray
    outputs: np.ndarray
    v: np.ndarray | None
    thresholds: np.ndarray | None
    dt: float
    device: str
    wall_time: float
    run_time: float = float("nan")
    loop_time: float = float("nan")

    @property
    def n_trials(self) -> int:
        return self.spikes.shape[0] if self.spikes.ndim == 3 else 1


def _check_inputs(spec: NetworkSpec, x, i_ext) -> tuple[np.ndarray, np.ndarray | None, bool]:
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"spec must be a NetworkSpec; got {type(spec).__name__}.")
    try:
        x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"x must be a numeric array (T, n_in) or (trials, T, n_in): {exc}") from None
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.ndim != 3 or x.shape[2] != spec.n_in or x.shape[1] == 0 or x.shape[0] == 0:
        raise ValueError(f"x has shape {x.shape[1:] if single else x.shape}; expected (T, n_in) or (trials, T, n_in) with n_in = {spec.n_in}.")
    if not np.all(np.isfinite(x)):
        raise ValueError("x contains NaN or infinite values.")
    if spec.input_kind == "spike" and not np.all((x == 0) | (x == 1)):
        raise ValueError("x must hold spikes (0 or 1 per step) for a network with input_kind='spike'.")
    if i_ext is not None:
        i_ext = np.asarray(i_ext, dtype=np.float64)
        if single and i_ext.ndim == 2:
            i_ext = i_ext[None]
        expected = (x.shape[0], x.shape[1], spec.n_rec)
        if i_ext.shape != expected:
            raise ValueError(f"i_ext has shape {i_ext.shape}; expected (trials, T, n_rec) = {expected} (volts, R_m times current).")
        if not np.all(np.isfinite(i_ext)):
            raise ValueError("i_ext contains NaN or infinite values.")
    return x, i_ext, single


def _default_batch(spec: NetworkSpec, n_trials: int) -> int:
    """Trials per network: at most :data:`SYNAPSE_BUDGET` synapses in one network, and the trials spread evenly over
    the fewest networks (1,000 trials with room for 491 run as 3 x 334, not as 491 + 491 + 18 padded to 491)."""
    n_syn = int((spec.mask_in & (spec.W_in != 0)).sum() + (spec.mask_rec & (spec.W_rec != 0)).sum() + spec.n_rec)
    largest = int(np.clip(SYNAPSE_BUDGET // max(n_syn, 1), 1, n_trials))
    runs = -(-n_trials // largest)
    return -(-n_trials // runs)


def _collect(built: BuiltNetwork, spec: NetworkSpec, n: int, record_threshold: bool = True):
    """Read the monitors of a finished run into arrays for its first ``n`` copies."""
    T, n_rec, n_out = built.n_steps, spec.n_rec, spec.n_out
    copies = built.n_copies
    spikes = np.zeros((copies, T, n_rec), dtype=np.uint8)
    idx = np.asarray(built.spike_monitor.i[:], dtype=np.int64)
    steps = np.rint(np.asarray(built.spike_monitor.t_[:]) / spec.dt).astype(np.int64)
    spikes[idx // n_rec, steps, idx % n_rec] = 1
    outputs = np.asarray(built.output_monitor.o_[:]).reshape(copies, n_out, T).transpose(0, 2, 1)
    recorded = {}
    if built.state_monitor is not None:
        mon = built.state_monitor
        for name in mon.record_variables:
            recorded[name] = np.asarray(getattr(mon, name + "_")[:]).reshape(copies, n_rec, T).transpose(0, 2, 1)[:n]
    spikes, outputs = spikes[:n], outputs[:n]
    if built.layout.genn_schedule:
        outputs, v, thr = threshold_test_records(spec, spikes, outputs, recorded.get("v"), recorded.get("a"))
        return spikes, outputs, v, (thr if record_threshold else None)
    return spikes, outputs, recorded.get("v"), recorded.get("A")


@dataclass
class Batches:
    """The trials of one ``simulate`` call cut into batches of ``size`` copies (the last padded with
    silent trials, so that a standalone binary re-runs with inputs of one shape)."""

    x: np.ndarray  # (trials, T, n_in)
    drive: np.ndarray | None  # (trials, T, n_rec) volts
    size: int

    @property
    def starts(self) -> range:
        return range(0, len(self.x), self.size)

    def get(self, start: int) -> tuple[np.ndarray, np.ndarray | None, int]:
        """Inputs of the batch at ``start``, padded to ``size`` copies, and its number of real trials (a full
        batch is a view, not a copy)."""
        n = min(self.size, len(self.x) - start)

        def padded(a: np.ndarray | None) -> np.ndarray | None:
            if a is None or n == self.size:
                return None if a is None else a[start : start + n]
            out = np.zeros((self.size, *a.shape[1:]))
            out[:n] = a[start : start + n]
            return out

        return padded(self.x), padded(self.drive), n


class RuntimeRunner:
    """numpy / cython: one ``Network`` per batch of copies (the Cython code is compiled once and cached)."""

    layout = NetworkLayout(spike_input="generator")

    def run(self, spec: NetworkSpec, batches: Batches, record: dict, clock_dt: float, build_dir: Path | None) -> Iterator[tuple]:
        from brian2 import Clock, second

        clock = Clock(dt=clock_dt * second, name="lsnn_clock")
        for start in batches.starts:
            xb, db, n = (batches.x, batches.drive, len(batches.x)) if len(batches.starts) == 1 else batches.get(start)
            built = build_network(spec, xb, db, layout=self.layout, clock=clock, **record)
            t0 = time.perf_counter()
            built.network.run(built.n_steps * spec.dt * second, namespace=built.namespace)
            elapsed = time.perf_counter() - t0
            yield _collect(built, spec, n), n, elapsed, elapsed


class StandaloneRunner:
    """cpp_standalone / cuda_standalone: generate and compile once, re-run the binary per batch with
    new inputs (``run_args``); a single batch keeps the compact ``SpikeGeneratorGroup`` input."""

    def run(self, spec: NetworkSpec, batches: Batches, record: dict, clock_dt: float, build_dir: Path | None) -> Iterator[tuple]:
        from brian2 import Clock, amp, device, second

        reruns = len(batches.starts) > 1
        layout = NetworkLayout(spike_input="timedarray" if reruns else "generator")
        xb, db, _ = batches.get(0)
        built = build_network(spec, xb, db, layout=layout, clock=Clock(dt=clock_dt * second, name="lsnn_clock"), **record)
        built.network.run(built.n_steps * spec.dt * second, namespace=built.namespace)
        device.build(directory=str(build_dir), compile=True, run=False)
        for start in batches.starts:
            xb, db, n = batches.get(start)
            run_args = {}
            if reruns and built.x_in is not None:
                run_args[built.x_in] = input_timed_array(xb, spec.dt).values
            if reruns and built.I_drive is not None:
                run_args[built.I_drive] = drive_values(db) * amp
            t0 = time.perf_counter()
            device.run(run_args=run_args or None)
            yield _collect(built, spec, n), n, time.perf_counter() - t0, float(getattr(device, "_last_run_time", float("nan")))


class GeNNRunner:
    """genn: all trials in one network on Brian2's ``defaultclock`` (restored afterwards by
    :func:`~lsnn.models.devices.use_device`), built, compiled and run by ``network.run``, in the layout
    Brian2GeNN supports: one Synapses object per delay value, per-neuron constants, the drive read by a
    ``run_regularly`` operation, short-term plasticity held by the synapses, the threshold's floor without
    Brian2GeNN's single-precision ``clip``, and state monitors in the
    ``end`` slot, from which :func:`~lsnn.models.network.threshold_test_records` recovers the values of
    the threshold test. A network with an operation Brian2GeNN would drop is refused
    (:func:`check_genn_operations`)."""

    layout = NetworkLayout(spike_input="generator", split_delays=True, shared_constants=False, drive_by_operation=True,
                           stp_in_synapses=True, genn_schedule=True, floor_without_clip=True)

    def run(self, spec: NetworkSpec, batches: Batches, record: dict, clock_dt: float, build_dir: Path | None) -> Iterator[tuple]:
        from brian2 import defaultclock, second

        defaultclock.dt = clock_dt * second
        built = build_network(spec, batches.x, batches.drive, layout=self.layout, clock=defaultclock, **record)
        check_genn_operations(built.network)
        t0 = time.perf_counter()
        built.network.run(built.n_steps * spec.dt * second, namespace=built.namespace)
        n = len(batches.x)
        yield _collect(built, spec, n, record["record_threshold"]), n, time.perf_counter() - t0, float("nan")


#: brian2genn generates a ``run_regularly`` operation only if its name contains this (device.py of brian2genn 1.7).
GENN_OPERATION_MARK = "_run_regularly_"


def check_genn_operations(network) -> None:
    """Refuse a network with an operation that Brian2GeNN would leave out of the GeNN model without a
    word: it keeps a ``run_regularly`` operation only if its name contains ``_run_regularly_``, and it
    has no network operations (Python code) at all."""
    from brian2 import CodeRunner, NetworkOperation

    for obj in network.objects:
        for part in (obj, *getattr(obj, "contained_objects", ())):
            if isinstance(part, NetworkOperation):
                raise RuntimeError(f"Brian2GeNN cannot run the network operation {part.name!r}; GeNN would run without it.")
            if type(part) is CodeRunner and GENN_OPERATION_MARK not in part.name:
                raise RuntimeError(
                    f"Brian2GeNN would silently drop the operation {part.name!r} of {obj.name!r}: it keeps run_regularly "
                    f"operations only if their name contains {GENN_OPERATION_MARK!r}. Rename it."
                )


def _cache_root() -> Path:
    return Path(os.environ.get("LSNN_CACHE_DIR") or Path.home() / ".cache" / "lsnn") / "brian2-projects"


def _project_key(device: str, spec: NetworkSpec, batches: Batches, record: dict) -> str:
    """Name of the cached project of a simulation: what fixes the generated code's shape (sizes, layout,
    monitors). Another network under the same name only costs a fuller rebuild, never a wrong result:
    ``make`` recompiles every changed file."""
    import platform

    import brian2

    # the machine too: Brian2 compiles with -march=native, and a cache on a shared home folder meets other CPUs
    parts = (platform.node(), platform.machine(), brian2.__version__, device, spec.n_in, spec.n_rec, spec.n_out, spec.input_kind,
             spec.has_stp, batches.size, len(batches.starts) > 1, batches.drive is not None, batches.x.shape[1], sorted(record.items()))
    return f"{device}-{hashlib.sha1(repr(parts).encode()).hexdigest()[:16]}"


@contextlib.contextmanager
def project_folder(device: str, spec: NetworkSpec, batches: Batches, record: dict) -> Iterator[Path]:
    """The folder a standalone project is generated in: for ``cpp_standalone`` a cached folder per network
    size (:func:`_project_key`), locked while in use, emptied of inputs and results afterwards and kept
    compiled for the next call (removed instead if the block fails: a build cut short may leave
    half-written objects); a fresh temporary folder, removed afterwards, for the other devices, when
    the cached one is in use by another process, or when ``LSNN_BRIAN2_CACHE=0``."""
    lock = None
    if device == "cpp_standalone" and os.environ.get("LSNN_BRIAN2_CACHE", "1") != "0":
        import fcntl

        root = _cache_root()
        folder = root / _project_key(device, spec, batches, record)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            lock = open(folder.with_suffix(".lock"), "w")  # noqa: SIM115 (held until the end of the block)
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # read-only cache, or another process builds this project now
            if lock is not None:
                lock.close()
            lock = None
    if lock is None:
        folder = Path(tempfile.mkdtemp(prefix=f"lsnn_{device}_"))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    gc.collect()  # Brian2 names code objects after the objects still alive: stable names keep the sources unchanged
    try:
        yield folder
    except BaseException:  # a build or run cut short may leave half-written objects that make would take as current
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        for part in ("results", "static_arrays"):  # inputs, weights and recordings: rewritten by every build / run
            shutil.rmtree(folder / part, ignore_errors=True)
        if folder.exists():
            os.utime(folder)  # most recently used
        lock.close()
        _prune_projects(root, keep=folder)


def _prune_projects(root: Path, keep: Path) -> None:
    """Remove the least recently used cached projects beyond :data:`PROJECT_CACHE_SIZE` (not ``keep``, nor
    one another process holds)."""
    import fcntl

    folders = sorted((p for p in root.iterdir() if p.is_dir() and p != keep), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[PROJECT_CACHE_SIZE - 1:]:
        try:
            with open(old.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


RUNNERS = {"numpy": RuntimeRunner, "cython": RuntimeRunner, "cpp_standalone": StandaloneRunner, "genn": GeNNRunner,
           "cuda_standalone": StandaloneRunner}


def simulate(
    spec: NetworkSpec,
    x,
    *,
    i_ext=None,
    device: str = "cython",
    record_v: bool = True,
    record_threshold: bool = False,
    trials_per_run: int | None = None,
    build_dir: str | Path | None = None,
    progress: bool = True,
) -> SimulationResult:
    """Simulate ``spec`` in Brian2 on inputs ``x``: the map of :mod:`lsnn.models.reference`, exactly.

    Parameters
    ----------
    spec : NetworkSpec
        The network (see :class:`~lsnn.models.spec.NetworkSpec`).
    x : array_like, (T, n_in) or (trials, T, n_in)
        Input spikes (0/1) or analog values, one row per step of ``spec.dt``.
    i_ext : array_like, optional
        Injected current as R_m times current (volts), (T, n_rec) or (trials, T, n_rec).
    device : {"numpy", "cython", "cpp_standalone", "genn", "cuda_standalone"}
        Brian2 target (:mod:`lsnn.models.devices`).
    record_v, record_threshold : bool
        Record V(t) and A(t) (memory: trials x T x n_rec doubles each).
    trials_per_run : int, optional
        Trials simulated side by side in one network (default: as many as fit
        ``SYNAPSE_BUDGET`` synapses). GeNN runs all trials in one network.
    build_dir : path, optional
        Where standalone projects are generated (default: for C++ standalone a project folder kept
        compiled in ``$LSNN_CACHE_DIR/brian2-projects`` for the next network of the same size, see
        :func:`project_folder`; for the other devices a temporary folder, removed afterwards).
    progress : bool
        Show a progress bar over batches of trials.

    Returns
    -------
    SimulationResult

    Examples
    --------
    One LIF neuron (tau_m 20 ms, threshold 10 mV, 2 steps refractory) under a constant input of 50 mV
    reaches threshold at step 5 (V(5) = 0.05 (1 - e^{-5 dt/tau_m}) = 11.1 mV) and every 5 steps after the reset:

    >>> import numpy as np
    >>> from lsnn.models import NetworkSpec, simulate
    >>> spec = NetworkSpec(dt=1e-3, tau_m=0.02, tau_a=0.2, beta=0.0, b0=0.01, n_ref=2, sign=0,
    ...                    W_in=[[0.05]], W_rec=[[0.0]], W_out=[[1.0]], b_out=[0.0], tau_out=0.02)
    >>> res = simulate(spec, np.ones((50, 1)), device="numpy", progress=False)
    >>> int(res.spikes.sum()), np.flatnonzero(res.spikes[:, 0])[:3].tolist()
    (10, [5, 10, 15])
    """
    check_device_name(device)
    x, i_ext, single = _check_inputs(spec, x, i_ext)
    n_trials = x.shape[0]
    runner = RUNNERS[device]()
    size = n_trials if isinstance(runner, GeNNRunner) else int(min(max(trials_per_run or _default_batch(spec, n_trials), 1), n_trials))
    batches = Batches(x, continuous_drive(spec, x, i_ext), size)
    record = {"record_v": record_v, "record_threshold": record_threshold}
    parts = []
    run_time = loop_time = 0.0
    t0 = time.perf_counter()
    own_dir = device in STANDALONE and build_dir is None
    bar = tqdm(total=n_trials, desc=f"Brian2 {device}", unit="trial", disable=not progress, leave=False)
    try:
        with project_folder(device, spec, batches, record) if own_dir else contextlib.nullcontext(build_dir and Path(build_dir)) as directory:
            with use_device(device, directory):
                for part, n, run_s, loop_s in runner.run(spec, batches, record, spec.dt, directory):
                    parts.append(part)
                    run_time += run_s
                    loop_time += loop_s
                    bar.update(n)
    finally:
        bar.close()

    def cat(k: int):
        if parts[0][k] is None:
            return None
        arr = np.concatenate([p[k] for p in parts])
        return arr[0] if single else arr

    return SimulationResult(spikes=cat(0), outputs=cat(1), v=cat(2), thresholds=cat(3), dt=spec.dt, device=device,
                            wall_time=time.perf_counter() - t0, run_time=run_time, loop_time=loop_time)
