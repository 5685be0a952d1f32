"""``simulate(spec, x, device=...)``: the single entry point of Brian2 simulation.

Trials run as independent copies inside one network (see :mod:`lsnn.models.network`). On the runtime
targets each batch of copies is its own ``Network``; the Cython code is compiled once and cached. On
C++ (and CUDA) standalone the project is generated and compiled **once**; every further batch of
trials is a re-run of the same binary with new inputs passed through ``device.run(run_args=...)``.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Clock, amp, defaultclock, second
from tqdm.auto import tqdm

from .devices import device_info, use_device
from .network import BuiltNetwork, build_network, drive_values, input_timed_array
from .reference import delayed_input
from .spec import NetworkSpec

logger = logging.getLogger(__name__)

#: Default number of synapses simulated at once (copies x synapses per trial).
SYNAPSE_BUDGET = 4_000_000


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


def continuous_drive(spec: NetworkSpec, x: np.ndarray, i_ext: np.ndarray | None) -> np.ndarray | None:
    """Continuous input in volts, (trials, T, n_rec): analog input through ``W_in`` (with delays) + ``i_ext``."""
    drive = None
    if spec.input_kind == "analog":
        drive = np.stack([delayed_input(spec.W_in * spec.mask_in, spec.d_in, trial) for trial in x])
    if i_ext is not None:
        drive = i_ext.copy() if drive is None else drive + i_ext
    return drive


def _default_batch(spec: NetworkSpec, n_trials: int) -> int:
    n_syn = int((spec.mask_in & (spec.W_in != 0)).sum() + (spec.mask_rec & (spec.W_rec != 0)).sum() + spec.n_rec)
    return int(np.clip(SYNAPSE_BUDGET // max(n_syn, 1), 1, n_trials))


def _collect(built: BuiltNetwork, spec: NetworkSpec, n: int):
    """Read the monitors of a finished run into arrays for its first ``n`` copies."""
    T, n_rec, n_out = built.n_steps, spec.n_rec, spec.n_out
    copies = built.n_copies
    spikes = np.zeros((copies, T, n_rec), dtype=np.uint8)
    idx = np.asarray(built.spike_monitor.i[:], dtype=np.int64)
    steps = np.rint(np.asarray(built.spike_monitor.t_[:]) / spec.dt).astype(np.int64)
    spikes[idx // n_rec, steps, idx % n_rec] = 1
    outputs = np.asarray(built.output_monitor.o_[:]).reshape(copies, n_out, T).transpose(0, 2, 1)
    v = thr = None
    if built.state_monitor is not None:
        mon = built.state_monitor
        if "v" in mon.record_variables:
            v = np.asarray(mon.v_[:]).reshape(copies, n_rec, T).transpose(0, 2, 1)[:n]
        if "A" in mon.record_variables:
            thr = np.asarray(mon.A_[:]).reshape(copies, n_rec, T).transpose(0, 2, 1)[:n]
    return spikes[:n], outputs[:n], v, thr


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
    """Simulate ``spec`` in Brian2 on inputs ``x``.

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
        Where standalone projects are generated (default: a temporary folder, removed afterwards).
    progress : bool
        Show a progress bar over batches of trials.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import numpy as np
    >>> from lsnn.models import NetworkSpec, simulate
    >>> spec = NetworkSpec(dt=1e-3, tau_m=0.02, tau_a=0.2, beta=0.0, b0=0.01, n_ref=2, sign=0,
    ...                    W_in=[[0.05]], W_rec=[[0.0]], W_out=[[1.0]], b_out=[0.0], tau_out=0.02)
    >>> res = simulate(spec, np.ones((50, 1)), device="numpy", progress=False)
    >>> int(res.spikes.sum())
    17
    """
    info = device_info(device)
    x, i_ext, single = _check_inputs(spec, x, i_ext)
    n_trials, T, _ = x.shape
    drive = continuous_drive(spec, x, i_ext)
    batch = n_trials if device == "genn" else (trials_per_run or _default_batch(spec, n_trials))
    batch = int(min(max(batch, 1), n_trials))
    starts = list(range(0, n_trials, batch))

    def batch_data(start: int):
        """Inputs of one batch, padded with silent trials to ``batch`` copies (standalone re-runs)."""
        xb = np.zeros((batch, T, spec.n_in))
        n = min(batch, n_trials - start)
        xb[:n] = x[start : start + n]
        db = None
        if drive is not None:
            db = np.zeros((batch, T, spec.n_rec))
            db[:n] = drive[start : start + n]
        return xb, db, n

    parts = []
    run_time = loop_time = 0.0
    t0 = time.perf_counter()
    own_dir = info.standalone and build_dir is None
    directory = Path(tempfile.mkdtemp(prefix=f"lsnn_{device}_")) if own_dir else build_dir
    bar = tqdm(total=n_trials, desc=f"Brian2 {device}", unit="trial", disable=not progress, leave=False)
    try:
        with use_device(device, directory):
            clock = defaultclock if device == "genn" else Clock(dt=spec.dt * second, name="lsnn_clock")
            if device == "genn":
                defaultclock.dt = spec.dt * second
            # A single batch needs no re-runs: a SpikeGeneratorGroup stores the input far more compactly
            # than the (T, trials*n_in) TimedArray that re-runs with run_args require.
            spike_input = info.spike_input if len(starts) > 1 else "generator"
            kw = dict(spike_input=spike_input, split_delays=info.split_delays, shared_constants=info.shared_constants, drive_by_operation=info.drive_by_operation, record_v=record_v, record_threshold=record_threshold, clock=clock)
            if not info.standalone:
                for start in starts:
                    xb, db, n = batch_data(start) if len(starts) > 1 else (x, drive, n_trials)
                    built = build_network(spec, xb, db, **kw)
                    t_run = time.perf_counter()
                    built.network.run(T * spec.dt * second, namespace=built.namespace)
                    run_time += time.perf_counter() - t_run
                    loop_time = run_time
                    parts.append(_collect(built, spec, n))
                    bar.update(n)
            else:
                from brian2 import device as active_device

                xb, db, n = batch_data(0)
                built = build_network(spec, xb, db, **kw)
                t_run = time.perf_counter()
                built.network.run(T * spec.dt * second, namespace=built.namespace)
                if info.build_on_run:  # GeNN: built, compiled and run by network.run, all trials in one batch
                    run_time, loop_time = time.perf_counter() - t_run, float("nan")
                    parts.append(_collect(built, spec, n))
                    bar.update(n)
                else:
                    active_device.build(directory=str(directory), compile=True, run=False)
                for start in starts if not info.build_on_run else ():
                    xb, db, n = batch_data(start)
                    run_args = {}
                    if built.x_in is not None:
                        run_args[built.x_in] = input_timed_array(xb, spec.dt).values
                    if built.I_drive is not None:
                        run_args[built.I_drive] = drive_values(db) * amp
                    t_run = time.perf_counter()
                    active_device.run(run_args=run_args if info.reruns else None)
                    run_time += time.perf_counter() - t_run
                    loop_time += float(getattr(active_device, "_last_run_time", float("nan")))
                    parts.append(_collect(built, spec, n))
                    bar.update(n)
    finally:
        bar.close()
        if own_dir:
            shutil.rmtree(directory, ignore_errors=True)

    def cat(k: int):
        if parts[0][k] is None:
            return None
        arr = np.concatenate([p[k] for p in parts])
        return arr[0] if single else arr

    return SimulationResult(
        spikes=cat(0), outputs=cat(1), v=cat(2), thresholds=cat(3), dt=spec.dt, device=device, wall_time=time.perf_counter() - t0, run_time=run_time, loop_time=loop_time
    )
