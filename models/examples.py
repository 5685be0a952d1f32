"""Seeded example networks and inputs: random LSNNs for tests, benchmarks and notebooks.

Everything takes an explicit ``numpy.random.Generator`` (no global seeding).
"""

from __future__ import annotations

import numpy as np

from .spec import NetworkSpec


def random_spec(
    rng: np.random.Generator,
    n_in: int = 20,
    n_rec: int = 30,
    n_out: int = 3,
    *,
    p_connect: float = 0.5,
    frac_alif: float = 0.5,
    frac_elif: float = 0.0,
    max_delay: int = 5,
    max_ref: int = 5,
    input_kind: str = "spike",
    dale: bool = False,
    dt: float = 1e-3,
    w_scale: float = 1.0,
) -> NetworkSpec:
    """A random LIF/ALIF/ELIF network with delays 0..max_delay and refractory periods 0..max_ref.

    Parameters follow the papers' ranges: tau_m 20 ms, tau_a 200-1200 ms, b0 10 mV, beta 1.7 V
    for ALIF and -0.5 V for ELIF (floored at 5 mV; LSNN-official and eLife code values). Weights (volts) are Gaussian with a positive
    mean for inputs, so that the network fires at a few to tens of Hz under 50 Hz Poisson input.
    With ``dale=True`` neurons get signs (80 % excitatory) and their outgoing weights follow them.
    """
    kinds = rng.permutation(np.r_[np.ones(round(frac_alif * n_rec)), -np.ones(round(frac_elif * n_rec))].tolist() + [0.0] * (n_rec - round(frac_alif * n_rec) - round(frac_elif * n_rec)))
    b0 = np.full(n_rec, 0.01)
    beta = np.where(kinds > 0, 1.7, np.where(kinds < 0, -0.5, 0.0))
    A_min = np.where(kinds < 0, 0.005, 0.0)
    sign = np.zeros(n_rec, dtype=int)
    if dale:
        sign = np.where(rng.random(n_rec) < 0.8, 1, -1)
    scale_in = w_scale * 0.6 * b0[0] * 20 / np.sqrt(n_in)
    W_in = rng.normal(0.3, 1.0, (n_rec, n_in)) * scale_in
    W_in *= rng.random((n_rec, n_in)) < max(p_connect, 0.2)
    W_rec = rng.normal(0.0, 1.0, (n_rec, n_rec)) * w_scale * 0.6 * b0[0] * 20 / np.sqrt(n_rec)
    mask_rec = (rng.random((n_rec, n_rec)) < p_connect) & ~np.eye(n_rec, dtype=bool)
    if dale:
        W_rec = np.abs(W_rec) * sign[None, :] * np.where(sign[None, :] < 0, 2.0, 1.0)
    W_rec *= mask_rec
    W_out = rng.normal(0.0, 1.0, (n_out, n_rec)) / np.sqrt(n_rec)
    if dale:
        W_out = np.abs(W_out) * sign[None, :]
    return NetworkSpec(
        dt=dt,
        tau_m=np.full(n_rec, 0.02),
        tau_a=rng.uniform(0.2, 1.2, n_rec),
        beta=beta,
        b0=b0,
        A_min=A_min,
        n_ref=rng.integers(0, max_ref + 1, n_rec),
        sign=sign,
        W_in=W_in,
        W_rec=W_rec,
        W_out=W_out,
        b_out=rng.normal(0.0, 0.01, n_out),
        d_in=rng.integers(0, max_delay + 1, (n_rec, n_in)),
        d_rec=rng.integers(0, max_delay + 1, (n_rec, n_rec)),
        tau_out=rng.uniform(0.01, 0.05, n_out),
        mask_rec=mask_rec,
        input_kind=input_kind,
        input_encoding="poisson" if input_kind == "spike" else "gaussian-analog",
        meta={"source": "lsnn.models.examples.random_spec"},
    )


def random_stp_spec(rng: np.random.Generator, **kwargs) -> NetworkSpec:
    """:func:`random_spec` with short-term plasticity on every recurrent synapse (eLife eqs. 6-10):
    per presynaptic neuron U ~ U(0.1, 0.6), F ~ U(20 ms, 1 s), D ~ U(50 ms, 1 s), a mix of facilitating and
    depressing synapses. Recurrent delays are clipped to ``max(n_ref, 1)`` of the presynaptic neuron
    (the range where Brian2 carries the efficacy exactly, see :mod:`lsnn.models.neurons`)."""
    kwargs.setdefault("w_scale", 2.5)  # efficacies of 0.1-0.6 weaken the recurrence; keep it effective
    spec = random_spec(rng, **kwargs)
    n = spec.n_rec
    limit = np.maximum(spec.n_ref, 1)[None, :]
    return spec.copy(
        d_rec=np.minimum(spec.d_rec, limit),
        stp_U=rng.uniform(0.1, 0.6, n),
        stp_F=rng.uniform(0.02, 1.0, n),
        stp_D=rng.uniform(0.05, 1.0, n),
        meta={"source": "lsnn.models.examples.random_stp_spec"},
    )


def poisson_input(rng: np.random.Generator, n_steps: int, n_in: int, rate: float = 50.0, dt: float = 1e-3, n_trials: int | None = None) -> np.ndarray:
    """Poisson spike trains at ``rate`` Hz as 0/1 per step: (n_steps, n_in) or (n_trials, n_steps, n_in)."""
    shape = (n_steps, n_in) if n_trials is None else (n_trials, n_steps, n_in)
    return (rng.random(shape) < rate * dt).astype(np.float64)


def single_neuron_spec(
    *, tau_m: float = 0.02, tau_a: float = 2.0, b0: float = 0.01, beta: float = 1.0, n_ref: int = 2, dt: float = 1e-3
) -> NetworkSpec:
    """One neuron with spike-frequency adaptation (ALIF; beta = 0 makes it LIF), one silent input
    channel and an identity readout: the cell of the poster's introduction panel (Salaj et al. 2021,
    eLife Fig. 1B). Defaults: tau_m 20 ms, tau_a 2 s, b0 10 mV, beta 1 V (eLife STORE-RECALL), refractory 2 ms."""
    return NetworkSpec(
        dt=dt, tau_m=tau_m, tau_a=tau_a, beta=beta, b0=b0, n_ref=n_ref, sign=0,
        W_in=np.zeros((1, 1)), W_rec=np.zeros((1, 1)), W_out=np.ones((1, 1)), b_out=np.zeros(1), tau_out=tau_m,
        meta={"source": "lsnn.models.examples.single_neuron_spec"},
    )


def step_current(n_steps: int, onset: int, offset: int, amplitude: float) -> np.ndarray:
    """Injected current R_m*I (volts) of one neuron: ``amplitude`` in steps [onset, offset), else 0; (n_steps, 1)."""
    if not 0 <= onset <= offset <= n_steps:
        raise ValueError(f"need 0 <= onset <= offset <= n_steps; got {onset}, {offset}, {n_steps}.")
    i_ext = np.zeros((n_steps, 1))
    i_ext[onset:offset] = amplitude
    return i_ext


#: Input populations of 1-D STORE-RECALL (eLife specs §2): value bit 0, value bit 1, STORE, RECALL, ten neurons each.
STORE_RECALL_POPULATIONS = ("bit 0", "bit 1", "STORE", "RECALL")


def two_neuron_circuit_spec(*, w_value: float = 0.04, w_recall: float = 0.03, beta: float = 3.0, tau_a: float = 1.2,
                            b0: float = 0.005, n_ref: int = 3, dt: float = 1e-3) -> NetworkSpec:
    """The hand-set circuit of Salaj et al. 2021 (eLife) Fig. 1D-E: two SFA neurons without recurrence, NL
    (index 0, driven by the value-0 population) and NR (index 1, value 1), both driven by the RECALL
    population. Paper values: beta 3, tau_a 1.2 s, threshold 5 mV (one spike raises it by
    beta (1 - exp(-dt/tau_a)) = 2.5 mV, half the threshold), tau_m 20 ms; refractory 3 ms. Inputs are the
    40 neurons of :data:`STORE_RECALL_POPULATIONS`. The readout reports the stored bit by negative
    imprinting: output 1 listens to NL, output 0 to NR, so at RECALL the neuron that adapted less during
    STORE -- the one that was not driven -- names the value."""
    W_in = np.zeros((2, 40))
    W_in[0, 0:10] = W_in[1, 10:20] = w_value
    W_in[:, 30:40] = w_recall
    return NetworkSpec(
        dt=dt, tau_m=0.02, tau_a=tau_a, beta=beta, b0=b0, n_ref=n_ref, sign=0, W_in=W_in, W_rec=np.zeros((2, 2)),
        W_out=np.array([[0.0, 1.0], [1.0, 0.0]]), b_out=np.zeros(2), tau_out=0.02,
        meta={"source": "lsnn.models.examples.two_neuron_circuit_spec", "neurons": ["NL", "NR"]},
    )


def store_recall_input(rng: np.random.Generator, commands, values, step_steps: int = 200, rate: float = 50.0,
                       dt: float = 1e-3) -> np.ndarray:
    """Poisson input (T, 40) of a STORE-RECALL sequence for :func:`two_neuron_circuit_spec`: per step of
    ``step_steps`` time steps, command 1 (STORE) activates the STORE population and the population of the
    step's value bit, command 2 (RECALL) the RECALL population, 0 nothing; active neurons fire at ``rate`` Hz."""
    commands, values = np.asarray(commands), np.asarray(values)
    if commands.shape != values.shape or commands.ndim != 1 or not np.isin(commands, (0, 1, 2)).all() or not np.isin(values, (0, 1)).all():
        raise ValueError("commands (0 none, 1 STORE, 2 RECALL) and values (0 or 1) must be 1-D sequences of one length.")
    active = np.zeros((len(commands), 40), dtype=bool)
    store = commands == 1
    active[store, 20:30] = True
    active[store & (values == 0), 0:10] = True
    active[store & (values == 1), 10:20] = True
    active[commands == 2, 30:40] = True
    return (rng.random((len(commands) * step_steps, 40)) < rate * dt) & np.repeat(active, step_steps, axis=0)
