"""Every Brian2 target reproduces the discrete-time map exactly (float64, >= 2,000 steps).

Random LIF/ALIF/ELIF networks with refractory periods 0-5 and delays 0-5, with spike input, analog
input and injected current, and with short-term plasticity on the recurrent synapses, against the NumPy reference map (lsnn.models.reference) and against
each other: identical spike rasters, readouts and voltages to 1e-9.
"""

import numpy as np
import pytest

from lsnn.models import DeviceUnavailable, simulate, simulate_reference
from lsnn.models.devices import check_available, use_device
from lsnn.models.examples import poisson_input, random_spec, random_stp_spec
from lsnn.models.network import build_network

T = 2000
CPU_DEVICES = ["numpy", "cython", pytest.param("cpp_standalone", marks=pytest.mark.standalone)]


def spike_case():
    rng = np.random.default_rng(2024)
    spec = random_spec(rng, n_in=12, n_rec=24, n_out=3, frac_alif=0.4, frac_elif=0.2, max_delay=5, max_ref=5)
    x = poisson_input(rng, T, spec.n_in, n_trials=3)
    i_ext = rng.normal(0.0, 0.004, (3, T, spec.n_rec))
    return spec, x, i_ext


def analog_case():
    rng = np.random.default_rng(7)
    spec = random_spec(rng, n_in=5, n_rec=16, n_out=2, frac_alif=0.5, max_delay=5, max_ref=4, input_kind="analog", dale=True)
    x = rng.normal(0.5, 1.0, (2, T, spec.n_in))
    i_ext = rng.normal(0.0, 0.003, (2, T, spec.n_rec))
    return spec, x, i_ext


def stp_case():
    """Short-term plasticity on every recurrent synapse: delays 0..max(n_ref, 1), a shared U, per-neuron F and D."""
    rng = np.random.default_rng(11)
    spec = random_stp_spec(rng, n_in=12, n_rec=24, n_out=3, frac_alif=0.4, max_delay=5, max_ref=5)
    spec = spec.copy(stp_U=0.3)
    x = poisson_input(rng, T, spec.n_in, n_trials=2)
    i_ext = rng.normal(0.0, 0.004, (2, T, spec.n_rec))
    return spec, x, i_ext


CASES = {"spike": spike_case, "analog": analog_case, "stp": stp_case}
_reference_cache = {}


def reference(case):
    if case not in _reference_cache:
        spec, x, i_ext = CASES[case]()
        _reference_cache[case] = [simulate_reference(spec, x[k], i_ext[k]) for k in range(len(x))]
    return _reference_cache[case]


def assert_same(res, ref):
    for k, r in enumerate(ref):
        mismatch = np.argwhere(res.spikes[k] != r.spikes)
        assert mismatch.size == 0, f"trial {k}: rasters differ first at (step, neuron) = {tuple(mismatch[0])}"
        np.testing.assert_allclose(res.outputs[k], r.outputs, rtol=0, atol=1e-9)
        np.testing.assert_allclose(res.v[k], r.v, rtol=0, atol=1e-9)
        np.testing.assert_allclose(res.thresholds[k], r.thresholds, rtol=0, atol=1e-9)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("device", CPU_DEVICES)
def test_device_reproduces_reference_map_exactly(device, case, tmp_path):
    spec, x, i_ext = CASES[case]()
    ref = reference(case)
    assert sum(r.spikes.sum() for r in ref) > 500  # the networks are active: the test has teeth
    assert {"LIF", "ALIF"} <= set(spec.kinds)
    # two trials per run: the standalone binary is compiled once and re-run with new inputs
    res = simulate(spec, x, i_ext=i_ext, device=device, record_threshold=True, trials_per_run=2,
                   build_dir=tmp_path / "build", progress=False)
    assert res.spikes.shape == (len(x), T, spec.n_rec)
    assert_same(res, ref)


@pytest.mark.standalone
def test_standalone_compiles_once_for_many_batches(tmp_path, monkeypatch):
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice

    calls = {"compile_source": 0, "run": 0}
    for name in calls:
        original = getattr(CPPStandaloneDevice, name)

        def counted(self, *args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(CPPStandaloneDevice, name, counted)
    spec, x, i_ext = spike_case()
    res = simulate(spec, x, i_ext=i_ext, device="cpp_standalone", trials_per_run=1, build_dir=tmp_path, progress=False, record_v=False)
    assert calls == {"compile_source": 1, "run": 3}  # one compilation, three runs of the binary
    for k, r in enumerate(reference("spike")):
        np.testing.assert_array_equal(res.spikes[k], r.spikes)
    assert res.v is None and res.thresholds is None


@pytest.mark.parametrize("case", sorted(CASES))
def test_genn_layout_reproduces_reference_map_on_numpy(case):
    """The Brian2GeNN layout -- one Synapses object per delay value, per-neuron constants, the drive read
    by a run_regularly operation, STP held by the synapses, Brian2GeNN's schedule with monitors at the end
    of each step -- gives the same map on numpy: what the genn test checks on GeNN itself."""
    spec, x, i_ext = CASES[case]()
    from brian2 import second

    with use_device("numpy"):
        from lsnn.models.simulation import GeNNRunner, _collect, check_genn_operations, continuous_drive

        built = build_network(spec, x, continuous_drive(spec, x, i_ext), layout=GeNNRunner.layout, record_threshold=True)
        check_genn_operations(built.network)  # the drive operation has a name brian2genn keeps
        assert any("_run_regularly_" in obj.name for obj in built.neurons.contained_objects)
        names = sorted(obj.name for obj in built.network.objects if obj.name.startswith("syn_rec"))
        assert len(names) == len(np.unique(spec.d_rec[spec.mask_rec & (spec.W_rec != 0)]))
        assert built.state_monitor.when == "end" and list(built.network.schedule)[:3] == ["start", "synapses", "groups"]
        built.network.run(T * spec.dt * second, namespace=built.namespace)
        spikes, outputs, v, thr = _collect(built, spec, len(x))
    from lsnn.models.simulation import SimulationResult

    assert_same(SimulationResult(spikes, outputs, v, thr, spec.dt, "numpy", 0.0), reference(case))


def test_genn_refuses_an_operation_it_would_drop():
    """brian2genn keeps a run_regularly operation only if its name contains "_run_regularly_": any other is
    refused before the build instead of being left out of the GeNN model."""
    from brian2 import NeuronGroup, Network, NetworkOperation

    from lsnn.models.simulation import check_genn_operations

    with use_device("numpy"):
        group = NeuronGroup(2, "I_inj : 1", name="neurons")
        group.run_regularly("I_inj = 1", name="neurons_drive")
        with pytest.raises(RuntimeError, match="silently drop the operation 'neurons_drive' of 'neurons'"):
            check_genn_operations(Network(group))
        with pytest.raises(RuntimeError, match="network operation"):
            check_genn_operations(Network(NetworkOperation(lambda: None, name="python_op")))


@pytest.mark.genn
@pytest.mark.parametrize("case", sorted(CASES))
def test_genn_reproduces_reference_map_exactly(case, tmp_path):
    """GeNN (CPU-only in CI: ``LSNN_GENN_USE_GPU=0``; the same test in GPU mode) gives the reference map:
    identical rasters, readouts, V and A within 1e-9, for spike input, analog input with injected current,
    and short-term plasticity, with delays 0-5 (one GeNN build per case). Runs in the GeNN environment
    (``bash scripts/run.sh test-genn``)."""
    try:
        check_available("genn")
    except DeviceUnavailable as exc:
        pytest.skip(str(exc))
    spec, x, i_ext = CASES[case]()
    ref = reference(case)
    res = simulate(spec, x, i_ext=i_ext, device="genn", record_threshold=True, build_dir=tmp_path / "genn", progress=False)
    assert res.spikes.sum() > 300 and res.spikes.sum() == sum(r.spikes.sum() for r in ref)  # active, not silent
    assert_same(res, ref)


@pytest.mark.gpu
def test_cuda_standalone_reproduces_reference_map(tmp_path):
    try:
        check_available("cuda_standalone")
    except DeviceUnavailable as exc:
        pytest.skip(str(exc))
    spec, x, i_ext = spike_case()
    res = simulate(spec, x, i_ext=i_ext, device="cuda_standalone", record_threshold=True, build_dir=tmp_path, progress=False)
    assert_same(res, reference("spike"))


def test_bad_inputs_get_clear_errors():
    spec, x, i_ext = spike_case()
    with pytest.raises(ValueError, match="Unknown device 'gen'; choose one of: numpy, cython"):
        simulate(spec, x, device="gen")
    with pytest.raises(ValueError, match=r"x has shape \(3, 2000, 11\); expected .* n_in = 12"):
        simulate(spec, x[:, :, :11], device="numpy")
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        simulate(spec, bad, device="numpy")
    with pytest.raises(ValueError, match="spikes \\(0 or 1"):
        simulate(spec, x * 2, device="numpy")
    with pytest.raises(ValueError, match="i_ext has shape"):
        simulate(spec, x, i_ext=i_ext[:, :, :3], device="numpy")
    with pytest.raises(TypeError, match="spec must be a NetworkSpec"):
        simulate({"W_rec": 1}, x, device="numpy")


@pytest.mark.standalone
def test_standalone_single_batch_with_spike_generator_input(tmp_path):
    """All trials in one batch: no re-runs, spike input as a SpikeGeneratorGroup (compact files)."""
    spec, x, i_ext = spike_case()
    res = simulate(spec, x, i_ext=i_ext, device="cpp_standalone", trials_per_run=len(x), build_dir=tmp_path,
                   record_threshold=True, progress=False)
    assert_same(res, reference("spike"))
    assert res.loop_time > 0 and res.run_time >= res.loop_time


def test_devices_leave_brian2s_global_state_as_they_found_it(tmp_path):
    """A simulation (any runner) restores Brian2's device, target and ``defaultclock.dt``: the GeNN
    runner sets ``defaultclock.dt`` to the network's dt, and nothing of that may leak out."""
    from brian2 import defaultclock, get_device, ms, prefs

    defaultclock.dt = 0.1 * ms
    spec, x, i_ext = spike_case()
    schedule = list(prefs.core.network.default_schedule)
    with use_device("numpy"):
        defaultclock.dt = 1 * ms  # what the GeNN runner does inside
        prefs.core.network.default_schedule = ["start", "synapses", "groups", "thresholds", "resets", "end"]  # brian2genn
        prefs.codegen.loop_invariant_optimisations = False  # brian2genn
        assert prefs.codegen.target == "numpy"
    assert float(defaultclock.dt) == pytest.approx(1e-4) and type(get_device()).__name__ == "RuntimeDevice"
    assert list(prefs.core.network.default_schedule) == schedule and prefs.codegen.loop_invariant_optimisations
    simulate(spec, x[:1, :50], device="cython", progress=False)
    assert float(defaultclock.dt) == pytest.approx(1e-4)
