"""Property-based tests (hypothesis): hostile or broken inputs end in the package's own error, in bounded
time and memory, never in another library's exception, a hang or a traceback.

Targets: ``NetworkSpec.load`` (random bytes, mutated valid files, forged ``.npy`` headers, hostile JSON
headers), the checkpoint loader, the trial-table reader, counts tables through ``lsnn analyze``, the
configuration (``--set`` values) and the command-line parser. Example counts are fixed (``derandomize``)
so that CI runs the same cases every time.
"""

import io
import json
import resource
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lsnn.models import NetworkSpec, SpecError
from lsnn.models.examples import random_spec

FUZZ = settings(max_examples=150, deadline=5000, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                         HealthCheck.too_slow])


@pytest.fixture(scope="module")
def valid_spec_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "net.npz"
    random_spec(np.random.default_rng(0), n_in=4, n_rec=5, n_out=2).save(path)
    return path.read_bytes()


def _load_bytes(tmp_path, data: bytes):
    path = tmp_path / "fuzz.npz"
    path.write_bytes(data)
    return NetworkSpec.load(path)


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@FUZZ
@given(data=st.binary(max_size=4096))
def test_random_bytes_are_not_a_network(tmp_path, data):
    with pytest.raises(SpecError):
        _load_bytes(tmp_path, data)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(1, 255)), min_size=1, max_size=8))
def test_mutated_network_files_load_or_are_refused(tmp_path, valid_spec_bytes, flips):
    data = bytearray(valid_spec_bytes)
    for position, xor in flips:
        data[position % len(data)] ^= xor
    try:
        spec = _load_bytes(tmp_path, bytes(data))
    except SpecError:
        return
    assert isinstance(spec, NetworkSpec)  # a mutation that left a valid network (e.g. in a weight) is fine


def _npz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, payload in members.items():
            zf.writestr(name, payload)
    return buffer.getvalue()


def _npy_header(shape, descr: str) -> bytes:
    header = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


@FUZZ
@given(shape=st.lists(st.integers(0, 2**40), min_size=0, max_size=4), descr=st.sampled_from(["<f8", "<i8", "|b1", "|O", "<U3", "<c16"]),
       name=st.sampled_from(["W_rec", "W_in", "tau_m", "__header__", "evil"]))
def test_forged_array_headers_never_allocate_what_they_declare(tmp_path, valid_spec_bytes, shape, descr, name):
    before = _max_rss_mb()
    with zipfile.ZipFile(io.BytesIO(valid_spec_bytes)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    members[f"{name}.npy"] = _npy_header(shape, descr) + b"\x00" * 64
    try:
        _load_bytes(tmp_path, _npz(members))
    except SpecError:
        pass
    assert _max_rss_mb() - before < 200  # a declared (2^40, ...) array is refused, never allocated


@FUZZ
@given(header=st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=20),
                           lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
                           max_leaves=30))
def test_hostile_json_headers_are_refused_by_name(tmp_path, valid_spec_bytes, header):
    with zipfile.ZipFile(io.BytesIO(valid_spec_bytes)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    buffer = io.BytesIO()
    text = json.dumps(header).encode()
    np.save(buffer, np.frombuffer(text, dtype=np.uint8), allow_pickle=False)
    members["__header__.npy"] = buffer.getvalue()
    with pytest.raises(SpecError):
        _load_bytes(tmp_path, _npz(members))


def test_a_header_nested_100000_levels_deep_is_a_spec_error(tmp_path, valid_spec_bytes):
    with zipfile.ZipFile(io.BytesIO(valid_spec_bytes)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    buffer = io.BytesIO()
    np.save(buffer, np.frombuffer(b"[" * 100_000 + b"]" * 100_000, dtype=np.uint8), allow_pickle=False)
    members["__header__.npy"] = buffer.getvalue()
    with pytest.raises(SpecError, match="nested 100000 levels deep"):
        _load_bytes(tmp_path, _npz(members))


def test_the_total_size_limit_is_documented_and_overridable(tmp_path, valid_spec_bytes):
    path = tmp_path / "net.npz"
    path.write_bytes(valid_spec_bytes)
    with pytest.raises(SpecError, match="pass max_bytes to NetworkSpec.load or set LSNN_MAX_SPEC_BYTES"):
        NetworkSpec.load(path, max_bytes=100)
    assert NetworkSpec.load(path, max_bytes=10**6).n_rec == 5


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's notice on garbage input
@FUZZ
@given(data=st.binary(max_size=2048))
def test_checkpoint_loader_refuses_garbage_with_its_own_error(tmp_path, data):
    from lsnn.training.runs import RunError, load_checkpoint

    path = tmp_path / "checkpoint.pt"
    path.write_bytes(data)
    with pytest.raises(RunError, match="checkpoint"):
        load_checkpoint(path, required=("iteration", "model"))


_CSV_CELLS = st.sampled_from(["", "0", "1.5", "-2", "nan", "inf", "abc", "1e308", '"x,y"', "  ", "\u00e9", "None"])


@FUZZ
@given(columns=st.lists(st.sampled_from(["start", "stop", "event", "task", "x", ""]), min_size=1, max_size=4),
       rows=st.lists(st.lists(_CSV_CELLS, min_size=1, max_size=5), max_size=6))
def test_trial_tables_are_read_or_refused_with_a_value_error(tmp_path, columns, rows):
    from lsnn.analysis import read_trial_table

    path = tmp_path / "trials.csv"
    path.write_text("\n".join([",".join(columns), *(",".join(r) for r in rows)]) + "\n")
    try:
        table = read_trial_table(path)
    except ValueError:
        return
    if "start" in table and "stop" in table:
        assert (table["stop"] > table["start"]).all()


@settings(max_examples=40, deadline=20000, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(st.sampled_from(["a", "b", "", "nan"]), _CSV_CELLS, _CSV_CELLS), min_size=0, max_size=12))
def test_counts_tables_through_the_command_line_end_in_one_line_or_a_result(tmp_path, cli, rows):
    path = tmp_path / "counts.csv"
    path.write_text("factor,u0,u1\n" + "\n".join(",".join(r) for r in rows) + "\n")
    rc, _, err = cli.run("analyze", "selectivity", path, "--factors", "factor", "--out", tmp_path / "out")
    assert rc in (0, 2)
    if rc == 2:
        assert len(err.strip().splitlines()) == 1 and err.startswith("lsnn analyze: error: ") and "Traceback" not in err


_JSON_VALUES = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=6) \
    | st.lists(st.integers(), max_size=3)


@FUZZ
@given(overrides=st.dictionaries(st.sampled_from(["n_rec", "batch_size", "lr", "dtype", "seed", "connectivity", "model", "task",
                                                   "checkpoint_every", "n_test", "test_batch", "tau_a", "frac_adaptive", "dale",
                                                   "grad_clip", "stp_F_spread", "task_params", "unknown_key"]), _JSON_VALUES, max_size=4))
def test_configuration_values_are_accepted_or_refused_by_name(overrides):
    from lsnn.training.config import make_config

    try:
        cfg = make_config("store_recall", "sfa", "tiny", overrides)
    except (ValueError, TypeError) as exc:
        assert any(key in str(exc) for key in overrides), str(exc)
        return
    assert cfg.batch_size >= 1 and cfg.n_test >= 1 and cfg.checkpoint_every >= 1


_ARGV = st.lists(st.sampled_from(["train", "validate", "simulate", "figures", "analyze", "selectivity", "sequences", "reproduce",
                                  "elife-table1", "--task", "--model", "--preset", "--seed", "--set", "--window", "-200ms", "1s",
                                  "--trials", "-1", "0", "x", "--device", "gen", "numpy", "--debug", "--", "=", "n_rec=abc"]), max_size=7)


@FUZZ
@given(argv=_ARGV)
def test_the_parser_answers_every_argument_list_with_a_namespace_or_a_usage_error(argv):
    from lsnn.app.cli import _protect_negative_values, build_parser

    try:
        args = build_parser().parse_args(_protect_negative_values(argv))
    except SystemExit as exc:
        assert exc.code in (0, 2)
        return
    assert callable(args.run)
