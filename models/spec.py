"""``NetworkSpec``: the file-level contract between PyTorch training and Brian2 simulation.

A spec fully describes one LSNN as plain numbers in SI units (DESIGN.md, "NetworkSpec"):

=============  ==============  =========================================================
field          shape           meaning
=============  ==============  =========================================================
dt             scalar          time step, s
tau_m, tau_a   (n_rec,)        membrane and adaptation time constants, s
beta           (n_rec,)        threshold adaptation strength, V (0: LIF, < 0: ELIF)
b0             (n_rec,)        baseline threshold, V
A_min          (n_rec,)        floor of the adaptive threshold, V (ELIF)
n_ref          (n_rec,)        refractory period, steps (minimum inter-spike interval)
sign           (n_rec,)        +1 excitatory, -1 inhibitory, 0 free (Dale's law)
sign_in        (n_in,)         the same for input channels
W_in, d_in     (n_rec, n_in)   input weights (V, i.e. R_m times weight) and delays (steps)
W_rec, d_rec   (n_rec, n_rec)  recurrent weights (V) and delays (steps); row = target
W_out, b_out   (n_out, n_rec)  readout weights and biases, V
tau_out        (n_out,)        readout time constants, s
mask_*         shape of W_*    connectivity (bool); weights outside the mask are 0
stp_U          (n_rec,)        optional short-term plasticity of the recurrent synapses of each
stp_F, stp_D   (n_rec,)        presynaptic neuron: utilisation U, facilitation and depression
                               time constants F, D in s (all three or none; see below)
=============  ==============  =========================================================

Short-term plasticity (Salaj et al. 2021, eLife, Methods eqs. 6-10, Mongillo et al. 2008; the
discretisation of the authors' code, ``../shared/papers`` §9.2). When ``stp_U`` is given, presynaptic
neuron i carries a facilitation variable u_i and a depression variable r_i (u', r' of the paper,
both 0 at t = 0), and each of its spikes reaches the recurrent targets scaled by its efficacy at
the moment it is emitted::

    e_i(t)     = (U_i + u_i(t)) (1 - r_i(t))
    I_j(t)    += sum_i W_rec[j,i] e_i(t - d) z_i(t - d)          d = d_rec[j,i]  (replaces W_rec z)
    u_i(t+dt)  = exp(-dt/F_i) u_i(t) + U_i (1 - U_i - u_i(t)) z_i(t)
    r_i(t+dt)  = exp(-dt/D_i) r_i(t) + (U_i + u_i(t+dt)) (1 - r_i(t)) z_i(t)

(the first spike after a long silence has efficacy U). Input and readout synapses have no STP.

The file format is a ``.npz`` of plain numeric arrays plus one JSON header stored as UTF-8 bytes
(``__header__``). It is read with ``allow_pickle=False``: a file carries numbers, never code, object
arrays or equation text, so a file from a stranger cannot inject code into Brian2's code generation.
Every field is validated on construction and on load, and errors name the field (:class:`SpecError`).
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from lsnn.common.files import atomic_open

SCHEMA = "lsnn.networkspec"
SCHEMA_VERSION = 1
INPUT_KINDS = ("spike", "analog")
#: Largest delay accepted, in steps (10 s at dt = 1 ms); protects against absurd files.
MAX_DELAY_STEPS = 10_000
#: Largest uncompressed size of one array in a spec file (guards against zip bombs).
MAX_MEMBER_BYTES = 2 * 1024**3
#: Largest total size of a spec file's arrays once loaded (bytes; 4 GiB). ``NetworkSpec.load(path,
#: max_bytes=...)`` or the environment variable ``LSNN_MAX_SPEC_BYTES`` raise it for larger networks.
MAX_SPEC_BYTES = 4 * 1024**3
#: Largest JSON header (bytes) and its deepest nesting.
MAX_HEADER_BYTES = 16 * 1024**2
MAX_HEADER_DEPTH = 64
#: Largest dt / time constant: the Brian2 form pre-divides events by exp(-dt/tau), which overflows
#: double precision near 709; networks beyond this are refused on both sides alike.
MAX_DT_OVER_TAU = 700.0

_NEURON_FLOAT = ("tau_m", "tau_a", "beta", "b0", "A_min")
_MATRICES = ("W_in", "W_rec", "W_out")
_ARRAY_FIELDS = (
    *_NEURON_FLOAT,
    "n_ref",
    "sign",
    "sign_in",
    "W_in",
    "W_rec",
    "W_out",
    "b_out",
    "d_in",
    "d_rec",
    "tau_out",
    "mask_in",
    "mask_rec",
    "mask_out",
)
#: Optional arrays: short-term plasticity (all three or none).
_STP_FIELDS = ("stp_U", "stp_F", "stp_D")


class SpecError(ValueError):
    """A network description (in memory or in a file) is invalid; the message names the field."""


def _as_float_array(name: str, value: Any, shape: tuple[int, ...], copy: bool = True) -> np.ndarray:
    """``value`` as a finite float64 array of ``shape`` (a copy unless ``copy`` is False and it is one
    already: arrays freshly read from a file are validated in place, without doubling the memory)."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # noqa: BLE001 - anything unconvertible is a bad field
        raise SpecError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise SpecError(f"{name} must be numeric; got dtype {arr.dtype}.")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise SpecError(f"{name} must be real; got dtype {arr.dtype}.")
    arr = np.broadcast_to(arr, shape) if arr.ndim == 0 else arr
    if arr.shape != shape:
        raise SpecError(f"{name} has shape {arr.shape}; expected {shape}.")
    arr = np.array(arr, dtype=np.float64) if copy else np.asarray(arr, dtype=np.float64)  # numpy 1.x has no copy=None
    if not np.isfinite(arr).all():
        raise SpecError(f"{name} contains NaN or infinite values.")
    return arr


def _as_int_array(name: str, value: Any, shape: tuple[int, ...], lo: int, hi: int, copy: bool = True) -> np.ndarray:
    raw = np.asarray(value) if not isinstance(value, np.ndarray) else value
    if isinstance(raw, np.ndarray) and np.issubdtype(raw.dtype, np.integer) and raw.shape == shape:
        arr = raw.astype(np.int64, copy=copy)  # whole numbers already: no float copy to check
    else:
        as_float = _as_float_array(name, value, shape, copy)
        if np.any(as_float != np.round(as_float)):
            raise SpecError(f"{name} must hold whole numbers (steps); got non-integer values.")
        arr = as_float.astype(np.int64)
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise SpecError(f"{name} must lie in [{lo}, {hi}]; got values in [{arr.min():g}, {arr.max():g}].")
    return arr


def _as_mask(name: str, value: Any, shape: tuple[int, ...], copy: bool = True) -> np.ndarray:
    raw = value if isinstance(value, np.ndarray) else np.asarray(value)
    if raw.dtype == bool and raw.shape == shape:
        return raw.copy() if copy else raw
    arr = _as_float_array(name, value, shape, copy)
    if not np.all((arr == 0) | (arr == 1)):
        raise SpecError(f"{name} must be boolean (0/1).")
    return arr.astype(bool)


def _member_headers(path: Path, zf: zipfile.ZipFile, limit: int) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Shape and dtype of every member, read from the ``.npy`` headers only; refuses odd members, pickled
    dtypes, members shorter than their header declares and totals above ``limit`` bytes."""
    headers, total = {}, 0
    for info in zf.infolist():
        if not info.filename.endswith(".npy") or "/" in info.filename:
            raise SpecError(f"{path}: unexpected member {info.filename!r}; not a NetworkSpec file.")
        name = info.filename[: -len(".npy")]
        if name in headers:
            raise SpecError(f"{path}: member {info.filename!r} appears twice; not a NetworkSpec file.")
        if info.file_size > MAX_MEMBER_BYTES:
            raise SpecError(f"{path}: member {info.filename} is {info.file_size} bytes uncompressed; refusing.")
        with zf.open(info) as fh:
            version = np.lib.format.read_magic(fh)
            shape, _, dtype = (np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0)(fh)
        if dtype.hasobject or not (np.issubdtype(dtype, np.number) or dtype == bool):
            raise SpecError(f"{path}: field {name} has non-numeric dtype {dtype} (reading it would need unpickling); refused.")
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        if nbytes > info.file_size:
            raise SpecError(f"{path}: field {name} declares shape {shape} ({nbytes} bytes) but holds {info.file_size} bytes; corrupt file.")
        total += nbytes
        if total > limit:
            raise SpecError(f"{path}: its arrays take more than {limit} bytes (field {name} reaches {total}); refusing. "
                            "For a network this large, pass max_bytes to NetworkSpec.load or set LSNN_MAX_SPEC_BYTES.")
        headers[name] = (tuple(shape), dtype)
    return headers


def _check_declared_shapes(path: Path, headers: dict[str, tuple[tuple[int, ...], np.dtype]]) -> None:
    """The shapes the headers declare fit together (n_rec, n_in, n_out from the weight matrices), before
    any array is read: a file cannot make the loader allocate what a consistent network would not hold."""
    shape = {name: h[0] for name, h in headers.items()}
    W_rec, W_in, W_out = shape.get("W_rec"), shape.get("W_in"), shape.get("W_out")
    if W_rec is None or W_in is None or W_out is None:
        return  # reported as missing fields after reading
    if len(W_rec) != 2 or W_rec[0] != W_rec[1]:
        raise SpecError(f"{path}: W_rec has shape {W_rec}; expected a square (n_rec, n_rec).")
    n_rec = W_rec[0]
    if len(W_in) != 2 or W_in[0] != n_rec or len(W_out) != 2 or W_out[1] != n_rec:
        raise SpecError(f"{path}: W_in {W_in} and W_out {W_out} do not fit W_rec {W_rec} (expected (n_rec, n_in), (n_out, n_rec)).")
    n_in, n_out = W_in[1], W_out[0]
    expected = {**{k: (n_rec,) for k in (*_NEURON_FLOAT, "n_ref", "sign", *_STP_FIELDS)}, "sign_in": (n_in,),
                "W_in": (n_rec, n_in), "d_in": (n_rec, n_in), "mask_in": (n_rec, n_in), "d_rec": (n_rec, n_rec),
                "mask_rec": (n_rec, n_rec), "mask_out": (n_out, n_rec), "b_out": (n_out,), "tau_out": (n_out,)}
    for name, want in expected.items():
        if name in shape and shape[name] != want:
            raise SpecError(f"{path}: {name} has shape {shape[name]}; expected {want}.")
    if "__header__" in shape and (len(shape["__header__"]) != 1 or shape["__header__"][0] > MAX_HEADER_BYTES):
        raise SpecError(f"{path}: __header__ must be at most {MAX_HEADER_BYTES} bytes of UTF-8 JSON.")


def _read_header(path: Path, raw: np.ndarray) -> dict:
    """The JSON header: UTF-8, at most :data:`MAX_HEADER_DEPTH` levels deep, the lsnn schema."""
    text = raw.tobytes()
    depth = level = 0
    for byte in text:  # bound the nesting before the parser recurses into it
        if byte in b"[{":
            level += 1
            depth = max(depth, level)
        elif byte in b"]}":
            level -= 1
    if depth > MAX_HEADER_DEPTH:
        raise SpecError(f"{path}: __header__ is nested {depth} levels deep (at most {MAX_HEADER_DEPTH}); not a NetworkSpec header.")
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SpecError(f"{path}: __header__ is not valid JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("schema") != SCHEMA:
        raise SpecError(f"{path}: header schema is {header.get('schema') if isinstance(header, dict) else header!r}; expected {SCHEMA!r}.")
    return header


@dataclass
class NetworkSpec:
    """A complete, validated LSNN description (see module docstring for fields and units).

    Parameters
    ----------
    dt : float
        Time step in seconds.
    tau_m, tau_a, beta, b0, n_ref, sign : array_like, shape (n_rec,)
        Per-neuron parameters; scalars are broadcast once ``W_rec`` fixes ``n_rec``.
    W_in, W_rec, W_out, b_out : array_like
        Weights in volts (R_m times the synaptic weight).
    d_in, d_rec : array_like of int, optional
        Delays in steps (default 0; a delay of 1 step is the papers' "1 ms").
    tau_out : array_like, shape (n_out,)
        Readout time constants in seconds.
    input_kind : {"spike", "analog"}
        Spikes (0/1 per step) or analog values (e.g. speech features).
    input_encoding : str
        Free-text name of the input encoding (e.g. ``"poisson-50Hz"``); metadata only.
    mask_in, mask_rec, mask_out : array_like of bool, optional
        Connectivity; default: everything connected except self-connections.
    A_min : array_like, optional
        Floor of the adaptive threshold ``A = max(b0 + beta*a, A_min)`` (ELIF); default 0 V.
    sign_in : array_like, optional
        Signs of input channels for Dale's law (default 0: free).
    stp_U, stp_F, stp_D : array_like, shape (n_rec,), optional
        Short-term plasticity of each presynaptic neuron's recurrent synapses (module docstring):
        utilisation U in (0, 1], facilitation and depression time constants F, D in seconds.
    meta : dict, optional
        JSON-serialisable provenance (task, config, seed, metrics, version, git commit).
    """

    dt: float
    tau_m: Any
    tau_a: Any
    beta: Any
    b0: Any
    n_ref: Any
    sign: Any
    W_in: Any
    W_rec: Any
    W_out: Any
    b_out: Any
    tau_out: Any
    d_in: Any = None
    d_rec: Any = None
    input_kind: str = "spike"
    input_encoding: str = ""
    mask_in: Any = None
    mask_rec: Any = None
    mask_out: Any = None
    A_min: Any = None
    sign_in: Any = None
    stp_U: Any = None
    stp_F: Any = None
    stp_D: Any = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._validate(copy=True)

    # ------------------------------------------------------------------ sizes
    @property
    def n_rec(self) -> int:
        return int(self.W_rec.shape[0])

    @property
    def n_in(self) -> int:
        return int(self.W_in.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.W_out.shape[0])

    @property
    def kinds(self) -> np.ndarray:
        """Neuron kind per recurrent neuron: ``"LIF"`` (beta = 0), ``"ALIF"`` (> 0), ``"ELIF"`` (< 0)."""
        return np.where(self.beta > 0, "ALIF", np.where(self.beta < 0, "ELIF", "LIF"))

    @property
    def has_stp(self) -> bool:
        """Whether the recurrent synapses have short-term plasticity (``stp_U`` etc. given)."""
        return self.stp_U is not None

    @property
    def max_delay(self) -> int:
        return int(max(self.d_in.max(initial=0), self.d_rec.max(initial=0)))

    # ------------------------------------------------------------- validation
    def _validate(self, copy: bool = True) -> None:
        """Check every field (module docstring); arrays are copied unless ``copy`` is False (files)."""
        try:
            dt = float(self.dt)
        except (TypeError, ValueError):
            raise SpecError(f"dt must be a number of seconds; got {self.dt!r}.") from None
        if not np.isfinite(dt) or dt <= 0 or dt > 1.0:
            raise SpecError(f"dt must be a positive time in seconds (at most 1 s); got {self.dt!r}.")
        self.dt = dt
        W_rec = np.asarray(self.W_rec)
        W_in, W_out = np.asarray(self.W_in), np.asarray(self.W_out)
        if W_rec.ndim != 2 or W_rec.shape[0] != W_rec.shape[1] or W_rec.shape[0] == 0:
            raise SpecError(f"W_rec has shape {W_rec.shape}; expected a non-empty square (n_rec, n_rec).")
        n_rec = W_rec.shape[0]
        if W_in.ndim != 2:
            raise SpecError(f"W_in has shape {W_in.shape}; expected (n_rec, n_in) = ({n_rec}, n_in).")
        if W_out.ndim != 2 or W_out.shape[0] == 0:
            raise SpecError(f"W_out has shape {W_out.shape}; expected (n_out, n_rec) = (n_out, {n_rec}).")
        n_in, n_out = W_in.shape[1], W_out.shape[0]
        rec, inp, out = (n_rec,), (n_rec, n_in), (n_out, n_rec)

        self.W_rec = _as_float_array("W_rec", W_rec, (n_rec, n_rec), copy)
        self.W_in = _as_float_array("W_in", W_in, inp, copy)
        self.W_out = _as_float_array("W_out", W_out, out, copy)
        self.b_out = _as_float_array("b_out", self.b_out, (n_out,), copy)
        self.tau_out = _as_float_array("tau_out", self.tau_out, (n_out,), copy)
        for name in ("tau_m", "tau_a", "beta", "b0"):
            setattr(self, name, _as_float_array(name, getattr(self, name), rec, copy))
        self.A_min = _as_float_array("A_min", 0.0 if self.A_min is None else self.A_min, rec, copy)
        for name in ("tau_m", "tau_a", "tau_out"):
            if np.any(getattr(self, name) <= 0):
                raise SpecError(f"{name} must be positive (seconds); got min {getattr(self, name).min():g}.")
        for name in ("tau_m", "tau_a", "tau_out"):
            tau = getattr(self, name)
            if dt / tau.min() > MAX_DT_OVER_TAU:
                raise SpecError(f"{name} has {tau.min():g} s, below dt/{MAX_DT_OVER_TAU:g} = {dt / MAX_DT_OVER_TAU:g} s: exp(dt/{name}) "
                                "overflows double precision; use time constants of at least that.")
        if np.any(self.b0 <= 0):
            raise SpecError(f"b0 must be positive (volts); got min {self.b0.min():g}.")
        if np.any(self.A_min < 0):
            raise SpecError(f"A_min must be non-negative (volts); got min {self.A_min.min():g}.")
        self.n_ref = _as_int_array("n_ref", self.n_ref, rec, 0, MAX_DELAY_STEPS, copy=copy)
        self.sign = _as_int_array("sign", self.sign, rec, -1, 1, copy=copy)
        self.sign_in = _as_int_array("sign_in", 0 if self.sign_in is None else self.sign_in, (n_in,), -1, 1, copy=copy)
        self.d_in = _as_int_array("d_in", 0 if self.d_in is None else self.d_in, inp, 0, MAX_DELAY_STEPS, copy=copy)
        self.d_rec = _as_int_array("d_rec", 0 if self.d_rec is None else self.d_rec, (n_rec, n_rec), 0, MAX_DELAY_STEPS, copy=copy)

        given = [name for name in _STP_FIELDS if getattr(self, name) is not None]
        if given and len(given) < len(_STP_FIELDS):
            missing = ", ".join(name for name in _STP_FIELDS if name not in given)
            raise SpecError(f"short-term plasticity needs stp_U, stp_F and stp_D together; {missing} missing.")
        if given:
            for name in _STP_FIELDS:
                setattr(self, name, _as_float_array(name, getattr(self, name), rec, copy))
            if np.any(self.stp_U <= 0) or np.any(self.stp_U > 1):
                raise SpecError(f"stp_U must lie in (0, 1]; got values in [{self.stp_U.min():g}, {self.stp_U.max():g}].")
            for name in ("stp_F", "stp_D"):
                if np.any(getattr(self, name) <= 0):
                    raise SpecError(f"{name} must be positive (seconds); got min {getattr(self, name).min():g}.")
                if dt / getattr(self, name).min() > MAX_DT_OVER_TAU:
                    raise SpecError(f"{name} has {getattr(self, name).min():g} s, below dt/{MAX_DT_OVER_TAU:g}: exp(dt/{name}) overflows "
                                    "double precision; use time constants of at least that.")

        default_rec = ~np.eye(n_rec, dtype=bool)
        self.mask_in = _as_mask("mask_in", True if self.mask_in is None else self.mask_in, inp, copy)
        self.mask_rec = _as_mask("mask_rec", default_rec if self.mask_rec is None else self.mask_rec, (n_rec, n_rec), copy)
        self.mask_out = _as_mask("mask_out", True if self.mask_out is None else self.mask_out, out, copy)
        for w, m in (("W_in", "mask_in"), ("W_rec", "mask_rec"), ("W_out", "mask_out")):
            outside = (getattr(self, w) != 0) & ~getattr(self, m)
            if outside.any():
                idx = tuple(int(k) for k in np.argwhere(outside)[0])
                raise SpecError(f"{w} is non-zero at {idx}, outside its connectivity {m}.")
        if np.any(np.diag(self.W_rec) != 0) or np.any(np.diag(self.mask_rec)):
            raise SpecError("W_rec/mask_rec have self-connections on the diagonal; LSNNs have none.")

        # Dale's law: the outgoing weights of a signed neuron (a column of W_rec / W_out, a column
        # of W_in for a signed input channel) all carry its sign.
        for w, signs, who in (("W_rec", self.sign, "neuron"), ("W_out", self.sign, "neuron"), ("W_in", self.sign_in, "input")):
            W = getattr(self, w)
            bad = ((W < 0) & (signs > 0)[None, :]) | ((W > 0) & (signs < 0)[None, :])  # booleans only
            if bad.any():
                post, pre = (int(k) for k in np.argwhere(bad)[0])
                raise SpecError(
                    f"{w}[{post}, {pre}] = {W[post, pre]:g} contradicts sign[{pre}] = {signs[pre]:+d} of {who} {pre} (Dale's law)."
                )

        if self.input_kind not in INPUT_KINDS:
            raise SpecError(f"input_kind must be one of {INPUT_KINDS}; got {self.input_kind!r}.")
        if not isinstance(self.input_encoding, str):
            raise SpecError(f"input_encoding must be a string; got {type(self.input_encoding).__name__}.")
        if not isinstance(self.meta, dict):
            raise SpecError(f"meta must be a dict; got {type(self.meta).__name__}.")
        try:
            json.dumps(self.meta, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise SpecError(f"meta must be JSON-serialisable (plain numbers, strings, lists, dicts): {exc}") from None

    # -------------------------------------------------------------- file I/O
    def save(self, path: str | os.PathLike) -> Path:
        """Write the spec to ``path`` (``.npz``) atomically: a crash never leaves a half-written file."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        header = {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "dt": self.dt,
            "input_kind": self.input_kind,
            "input_encoding": self.input_encoding,
            "meta": self.meta,
        }
        arrays = {name: getattr(self, name) for name in _ARRAY_FIELDS}
        if self.has_stp:
            arrays.update({name: getattr(self, name) for name in _STP_FIELDS})
        arrays["__header__"] = np.frombuffer(json.dumps(header, allow_nan=False).encode("utf-8"), dtype=np.uint8)
        with atomic_open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, max_bytes: int | None = None) -> "NetworkSpec":
        """Read and validate a spec written by :meth:`save`.

        Before any array is read, the members' ``.npy`` headers are checked: numeric dtypes only (no
        pickled objects), shapes consistent with each other (``W_rec`` fixes n_rec, ``W_in`` n_in,
        ``W_out`` n_out), each member holding the data its header declares, and a total of at most
        ``max_bytes`` (default :data:`MAX_SPEC_BYTES`, 4 GiB, or ``$LSNN_MAX_SPEC_BYTES``). The arrays
        read are then validated in place (no second copy).

        Raises
        ------
        FileNotFoundError
            If ``path`` does not exist.
        SpecError
            If the file is not a spec ``.npz`` (truncated, not a zip, pickled or object arrays,
            unknown schema version, missing or extra fields, invalid values, too large); the message
            names the file and the field.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No network file at {path}.")
        limit = int(max_bytes if max_bytes is not None else os.environ.get("LSNN_MAX_SPEC_BYTES", MAX_SPEC_BYTES))
        arrays: dict[str, np.ndarray] = {}
        try:
            with zipfile.ZipFile(path) as zf:
                headers = _member_headers(path, zf, limit)
                _check_declared_shapes(path, headers)
                for name in headers:
                    with zf.open(f"{name}.npy") as fh:
                        arrays[name] = np.lib.format.read_array(fh, allow_pickle=False)
        except zipfile.BadZipFile as exc:
            raise SpecError(f"{path} is not a NetworkSpec .npz file (bad or truncated zip: {exc}).") from None
        except SpecError:
            raise
        except ValueError as exc:  # object arrays need pickle, which is refused
            raise SpecError(f"{path}: refused to read an array that needs unpickling ({exc}).") from None
        except Exception as exc:  # noqa: BLE001 - truncated members, CRC errors, bad headers
            raise SpecError(f"{path} is corrupt or truncated: {type(exc).__name__}: {exc}") from None

        if "__header__" not in arrays:
            raise SpecError(f"{path}: missing __header__; not a NetworkSpec file.")
        raw = arrays.pop("__header__")
        if raw.dtype != np.uint8 or raw.ndim != 1:
            raise SpecError(f"{path}: __header__ must be UTF-8 bytes.")
        header = _read_header(path, raw)
        if header.get("version") != SCHEMA_VERSION:
            raise SpecError(
                f"{path}: unknown NetworkSpec version {header.get('version')!r}; this lsnn reads version {SCHEMA_VERSION}. "
                "Upgrade lsnn or re-export the network."
            )
        missing = sorted(set(_ARRAY_FIELDS) - set(arrays))
        extra = sorted(set(arrays) - set(_ARRAY_FIELDS) - set(_STP_FIELDS))
        if missing:
            raise SpecError(f"{path}: field(s) {', '.join(missing)} missing.")
        if extra:
            raise SpecError(f"{path}: unknown field(s) {', '.join(extra)}.")
        values = {f.name: None for f in fields(cls)}
        values.update(dt=header.get("dt"), input_kind=header.get("input_kind"), input_encoding=header.get("input_encoding", ""),
                      meta=header.get("meta", {}), **arrays)
        spec = cls.__new__(cls)
        for name, value in values.items():
            setattr(spec, name, value)
        try:
            spec._validate(copy=False)  # the arrays were just read: validated in place
        except SpecError as exc:
            raise SpecError(f"{path}: {exc}") from None
        return spec

    # ----------------------------------------------------------------- misc
    def copy(self, **changes: Any) -> "NetworkSpec":
        """A validated copy with some fields replaced (arrays are copied)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values = {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in values.items()}
        values["meta"] = json.loads(json.dumps(self.meta))
        values.update(changes)
        return NetworkSpec(**values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NetworkSpec):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray) != isinstance(b, np.ndarray):
                return False
            if isinstance(a, np.ndarray):
                if a.shape != b.shape or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True
