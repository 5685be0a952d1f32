"""Brian2 equations of LIF, ALIF and ELIF neurons and of the leaky readout.

The continuous-time model is that of Bellec et al. 2018 (NeurIPS), suppl. eqs. 1-3:

.. math::

    \\tau_m \\dot V_j = -V_j + R_m I_j(t), \\qquad
    \\tau_{a,j} \\dot a_j = -a_j, \\qquad
    A_j = \\max(b^0_j + \\beta_j a_j,\\ A_{\\min,j})

with a spike when :math:`V_j > A_j` outside the refractory period, after which :math:`V_j` is reduced
by :math:`A_j` and :math:`a_j` jumps up. :math:`\\beta_j = 0` gives a LIF neuron, :math:`\\beta_j > 0` an
adaptive (ALIF) neuron, :math:`\\beta_j < 0` an enhanced-excitability (ELIF) neuron whose threshold is
floored at :math:`A_{\\min}` (Salaj et al. 2021, eLife, Methods eqs. 3-5).

Brian2 integrates these equations *exactly* over each step and reproduces the papers' discrete-time
map, written once in :mod:`lsnn.models.reference` (NeurIPS suppl. eqs. 4-5), with the one-step decays
:math:`\\alpha = e^{-\\delta t/\\tau_m}` and :math:`\\rho = e^{-\\delta t/\\tau_a}`. Brian2 applies
spikes, synaptic events and resets *after* the threshold test of step t and *before* the leak of the
next step, so every event is pre-divided by the one-step decay it is about to receive:

- an arriving spike of weight w (volts, R_m times the synaptic weight) adds :math:`(1-\\alpha) w / \\alpha
  = (e^{\\delta t/\\tau_m} - 1)\\,w`: the exact effect of a current pulse :math:`w / R_m` lasting one step;
- the reset subtracts :math:`A / \\alpha = A e^{\\delta t/\\tau_m}`;
- adaptation jumps by :math:`(1-\\rho)/\\rho = e^{\\delta t/\\tau_a} - 1`.

Continuous inputs (analog input channels projected through ``W_in``, and the injected current
``i_ext``) enter as ``I_drive(t, i)``, a 2-D ``TimedArray`` (amperes) whose row n+1 holds the current of
step n, because the state update of step n+1 integrates from t to t + dt.

Readout neurons integrate the recurrent spikes (NeurIPS suppl. section 2, "readout"):
:math:`y_k(t) = \\kappa_k y_k(t-\\delta t) + (1-\\kappa_k)\\sum_j W^{out}_{kj} z_j(t)`,
:math:`\\kappa = e^{-\\delta t/\\tau_{out}}`; the output is :math:`o_k = y_k + b^{out}_k`.

Short-term plasticity of the recurrent synapses (Salaj et al. 2021, eLife, Methods eqs. 6-10;
Mongillo et al. 2008) lives in the *presynaptic* neuron, because its parameters U, F, D belong to the
presynaptic neuron and every outgoing synapse sees the same state: the facilitation variable
``u_stp`` (u' of the paper) and the depression variable ``r_stp`` (r') relax to 0,

.. math::

    F \\dot u = -u, \\qquad D \\dot r = -r,

and at a spike the efficacy :math:`e = (U + u)(1 - r)` is handed to the synapses, then
:math:`u \\mathrel{+}= U(1 - U - u)` and :math:`r \\mathrel{+}= (U + u^+)(1 - r)` (:math:`u^+`: u after its
jump, one step later), both pre-divided by their one-step decay as above. A synapse with delay 0
reads the efficacy directly (it acts before the reset); a delayed one reads ``e_last``, the efficacy
of its neuron's last spike, which is the spike it carries as long as the delay does not exceed the
refractory period (``max(n_ref, 1)`` steps; the builder checks this).

Notation: ``v`` is V (volt), ``a`` the adaptation variable (dimensionless), ``A`` the adaptive
threshold (volt; B in the NeurIPS text), ``R_m`` the membrane resistance (1 GOhm in the papers).
"""

from __future__ import annotations

from brian2 import Gohm

#: Membrane resistance of the papers; weights in a NetworkSpec are R_m times synaptic weights (volts).
R_M = 1 * Gohm

#: Recurrent LIF/ALIF/ELIF neuron (NeurIPS suppl. eqs. 1-2; eLife eqs. 3-5). ``I_inj`` (amp) is
#: defined by the builder: the 2-D TimedArray ``I_drive(t, i)`` or zero.
ALIF_EQS = """
dv/dt = (R_m*I_inj - v)/tau_m : volt
da/dt = -a/tau_a              : 1
A = clip(b0 + beta*a, A_min, inf*volt) : volt
tau_m   : second (constant)
tau_a   : second (constant)
b0      : volt (constant)
beta    : volt (constant)
A_min   : volt (constant)
t_ref   : second (constant)
"""


#: The threshold's floor written with ``int()`` instead of ``clip``, for Brian2GeNN: its ``clip`` takes
#: ``float`` arguments (brian2genn 1.7, ``genn_generator.py``) and would round A to single precision.
#: Exactly one term is non-zero, so the values are those of ``clip`` in double precision.
ALIF_FLOOR_WITHOUT_CLIP = "A = (b0 + beta*a)*int(b0 + beta*a >= A_min) + A_min*int(b0 + beta*a < A_min) : volt"


def with_shared(equations: str, names) -> str:
    """``equations`` with the parameters ``names`` declared ``(constant, shared)``: one value for the
    whole group. Brian2 then evaluates expressions of them alone, such as ``exp(dt/tau_m)``, once per
    step instead of once per neuron or synaptic event (loop-invariant code motion); the builder uses
    this for time constants that all neurons share. Same arithmetic, same results."""
    lines = []
    for line in equations.splitlines():
        name = line.split(":")[0].strip()
        if name in names and line.rstrip().endswith("(constant)"):
            line = line.rstrip()[: -len("(constant)")] + "(constant, shared)"
        lines.append(line)
    return "\n".join(lines) + ("\n" if equations.endswith("\n") else "")


#: Spike condition, tested on V(t) against A(t); Brian2 adds ``not_refractory`` itself.
ALIF_THRESHOLD = "v > A"

#: Subtractive reset by the current threshold, then the adaptation jump (pre-divided by the decay).
ALIF_RESET = """
v -= A*exp(dt/tau_m)
a += exp(dt/tau_a) - 1
"""

#: Synapse onto a recurrent neuron: a one-step current pulse w/R_m, pre-divided by the decay.
ALIF_SYNAPSE = "w : volt (constant)"
ALIF_ON_PRE = "v_post += (exp(dt/tau_m_post) - 1)*w"

#: Short-term plasticity state of a presynaptic neuron (appended to ``ALIF_EQS``).
STP_EQS = """
du_stp/dt = -u_stp/tau_F : 1
dr_stp/dt = -r_stp/tau_D : 1
e_last  : 1
U_stp   : 1 (constant)
tau_F   : second (constant)
tau_D   : second (constant)
"""

#: Appended to ``ALIF_RESET``: hand the efficacy to the synapses, then facilitate and depress.
STP_RESET = """
e_last = (U_stp + u_stp)*(1 - r_stp)
u_stp += U_stp*(1 - U_stp - u_stp)*exp(dt/tau_F)
r_stp += (U_stp + u_stp*exp(-dt/tau_F))*(1 - r_stp)*exp(dt/tau_D)
"""

#: Recurrent synapse with STP: delay 0 (acts before the presynaptic reset) and delay >= 1 steps.
STP_ON_PRE_SAME_STEP = "v_post += (exp(dt/tau_m_post) - 1)*w*(U_stp_pre + u_stp_pre)*(1 - r_stp_pre)"
STP_ON_PRE_DELAYED = "v_post += (exp(dt/tau_m_post) - 1)*w*e_last_pre"

#: Short-term plasticity held by each recurrent synapse instead of its presynaptic neuron, for devices
#: that cannot read presynaptic variables in ``on_pre`` (Brian2GeNN). Every synapse keeps its own copy of
#: u and r as they were one step after the last spike it carried (``t_last``: that spike's arrival) and
#: decays them over the interval between arrivals. A synapse's delay is the same for all its spikes, so
#: the intervals between arrivals are those between emissions and the efficacies are those of the
#: presynaptic neuron, for any delay.
STP_SYNAPSE = """
w      : volt (constant)
U_stp  : 1 (constant)
tau_F  : second (constant)
tau_D  : second (constant)
u_syn  : 1
r_syn  : 1
t_last : second
"""
STP_ON_PRE_PER_SYNAPSE = """
u_syn = u_syn*exp(-(t - t_last - dt)/tau_F)
r_syn = r_syn*exp(-(t - t_last - dt)/tau_D)
v_post += (exp(dt/tau_m_post) - 1)*w*(U_stp + u_syn)*(1 - r_syn)
u_syn = u_syn*exp(-dt/tau_F) + U_stp*(1 - U_stp - u_syn)
r_syn = r_syn*exp(-dt/tau_D) + (U_stp + u_syn)*(1 - r_syn)
t_last = t
"""

#: Leaky readout (NeurIPS suppl. section 2), output o = y + b_out.
READOUT_EQS = """
dy/dt = -y/tau_out : volt
o = y + b_out      : volt
tau_out : second (constant)
b_out   : volt (constant)
"""
READOUT_SYNAPSE = "w : volt (constant)"
READOUT_ON_PRE = "y_post += (1 - exp(-dt/tau_out_post))*w"
