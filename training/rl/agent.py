"""The meta-RL agent: an LSNN policy with trainable current noise, its rollouts and its PPO update
(NeurIPS supplement section 6).

The network (:func:`build_agent`): 400 neurons, 200 excitatory and 80 inhibitory LIF neurons and 120
adaptive (excitatory) neurons with tau_a 1200 ms and beta 1.7, tau_m ~ U[15, 30] ms, refractory 3 ms,
recurrent delays ~ U{1..10} ms, DEEP R at 20 % global connectivity with Dale's law, 160 input channels
(:mod:`.coding`) and 5 readouts. Each neuron j receives the current noise ``nu_j xi_j(t)`` (volts, R_m
times the current; xi ~ N(0, 1) per step), where ``nu_j`` is trained with the weights (init 0.03).

A rollout (:func:`rollout`) runs K episodes step by step (:meth:`LSNN.step`), because the input of step
t+1 depends on the action of step t, and records everything that determined them: input spikes, noise
draws xi, action draws. The PPO loss (:func:`ppo_update`) then runs the whole recorded sequence through
the fast BPTT path (:meth:`LSNN.forward`) with the same inputs and noise: for the parameters of the
rollout it gives the same spikes (float64: exactly), so the trajectory is conditioned on the noise as the
supplement asks. Interpretations (stated): the adaptive neurons are excitatory and the input channels
excitatory; input synapses have no delay; the readout time constant is 20 ms; the action is drawn as
``mu + sqrt(phi) eps``, eps ~ N(0, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ..config import TrainConfig
from ..init import ei_weights, sparse_mask
from ..model import LSNN
from ..trainer import clip_gradient_norm
from .coding import N_INPUTS, N_READOUTS, encode, entropy, log_probability, policy
from .navigation import NavigationArenas
from .ppo import PPOSettings, discounted_returns, ppo_loss

DTYPES = {"float32": torch.float32, "float64": torch.float64}


class MetaRLAgent(nn.Module):
    """An :class:`LSNN` (``net``) with a trainable per-neuron noise amplitude ``noise_scale`` (volts)."""

    def __init__(self, net: LSNN, noise_init: float = 0.03) -> None:
        super().__init__()
        self.net = net
        self.noise_scale = nn.Parameter(torch.full((net.n_rec,), float(noise_init), dtype=net.dtype))

    def noise_current(self, xi: Tensor) -> Tensor:
        """``nu_j xi_j(t)`` in volts for standard-normal draws ``xi`` (..., n_rec)."""
        return self.noise_scale * xi


@dataclass
class Populations:
    """Neuron indices of the sub-populations (Fig. S1B): excitatory LIF, inhibitory LIF, adaptive."""

    excitatory: np.ndarray
    inhibitory: np.ndarray
    adaptive: np.ndarray


def populations(cfg: TrainConfig) -> Populations:
    """Blocks in index order: E (LIF), I (LIF), adaptive (E); 200 / 80 / 120 of 400 in the paper."""
    n = cfg.n_rec
    n_adaptive = round(cfg.frac_adaptive * n) if cfg.model == "sfa" else 0
    n_inhibitory = round((1 - cfg.frac_excitatory) * n)
    n_excitatory = n - n_adaptive - n_inhibitory
    index = np.arange(n)
    return Populations(index[:n_excitatory], index[n_excitatory : n_excitatory + n_inhibitory], index[n_excitatory + n_inhibitory :])


def build_agent(cfg: TrainConfig) -> MetaRLAgent:
    """The agent of ``cfg`` (module docstring), initialised from ``cfg.seed``."""
    p = cfg.task_params
    rng = np.random.default_rng([cfg.seed, 0])
    n = cfg.n_rec
    pops = populations(cfg)
    sign = np.ones(n)
    sign[pops.inhibitory] = -1
    adaptive = np.zeros(n, dtype=bool)
    adaptive[pops.adaptive] = True
    sign_in = np.ones(N_INPUTS)
    # inputs all excitatory: |N(0, 1)| / sqrt(n_in) (the papers' w0 / sqrt(n_pre)); a balanced E/I matrix
    # (ei_weights) has no inhibitory columns to balance here and would shrink them to ~1/n
    W_in = np.abs(rng.standard_normal((n, N_INPUTS))) / np.sqrt(N_INPUTS)
    W_rec = ei_weights(rng, n, n, sign)
    W_out = np.abs(rng.standard_normal((N_READOUTS, n))) / np.sqrt(n) * sign[None, :]
    masks = {"mask_in": sparse_mask(rng, (n, N_INPUTS), cfg.connectivity),
             "mask_rec": sparse_mask(rng, (n, n), cfg.connectivity, forbid_diagonal=True),
             "mask_out": sparse_mask(rng, (N_READOUTS, n), cfg.connectivity)}
    tau_m = rng.uniform(p["tau_m_min"], p["tau_m_max"], n)
    d_rec = rng.integers(1, int(p["max_delay"]) + 1, (n, n))
    net = LSNN(N_INPUTS, n, N_READOUTS, W_in=W_in, W_rec=W_rec, W_out=W_out, dt=1e-3, tau_m=tau_m, tau_a=cfg.tau_a,
               beta=np.where(adaptive, cfg.beta, 0.0), b0=cfg.b0, n_ref=cfg.n_ref, tau_out=cfg.tau_out, d_in=0, d_rec=d_rec,
               sign=sign, sign_in=sign_in, input_kind="spike", input_encoding="metarl_navigation", gamma=cfg.gamma,
               dtype=DTYPES[cfg.dtype], **masks)
    return MetaRLAgent(net, p["noise_init"])


@dataclass
class Episodes:
    """K recorded episodes of T steps (arrays with leading axes (K, T)).

    x: input spikes (K, T, 160); xi: noise draws (K, T, n); eps: action draws (K, T, 2); actions (K, T, 2);
    log_prob, values: under the rollout's parameters (K, T); rewards (K, T): what followed each action;
    reached (K, T): the goal was reached by that action; positions (K, T, 2) before each action;
    goals (K, 2); spikes (K, T, n) uint8 as emitted during the rollout.
    """

    x: np.ndarray
    xi: np.ndarray
    eps: np.ndarray
    actions: np.ndarray
    log_prob: np.ndarray
    values: np.ndarray
    rewards: np.ndarray
    reached: np.ndarray
    positions: np.ndarray
    goals: np.ndarray
    spikes: np.ndarray

    @property
    def n_episodes(self) -> int:
        return int(self.x.shape[0])


@torch.no_grad()
def rollout(agent: MetaRLAgent, n_episodes: int, n_steps: int, rng: np.random.Generator) -> Episodes:
    """Run ``n_episodes`` arenas for ``n_steps`` with the agent's current parameters (module docstring).
    Per step only what the next step needs is computed; log-probabilities and values follow for the
    whole episode at once from the recorded readouts."""
    net = agent.net
    K, n, dt, dtype = n_episodes, net.n_rec, net.dt, net.dtype
    arenas = NavigationArenas(K, rng)
    state = net.initial_state(K)
    x = np.zeros((K, n_steps, N_INPUTS), dtype=np.uint8)
    xi = np.zeros((K, n_steps, n))
    eps = np.zeros((K, n_steps, 2))
    rewards, reached = np.zeros((K, n_steps)), np.zeros((K, n_steps), dtype=bool)
    positions = np.zeros((K, n_steps, 2))
    spikes = torch.zeros((K, n_steps, n), dtype=torch.uint8)
    outputs = torch.zeros((K, n_steps, N_READOUTS), dtype=dtype)
    actions = torch.zeros((K, n_steps, 2), dtype=dtype)
    last_rewards = np.zeros(K)
    for t in range(n_steps):
        positions[:, t] = arenas.positions
        x[:, t] = encode(rng, arenas.positions, last_rewards, dt)
        xi[:, t] = rng.standard_normal((K, n))
        eps[:, t] = rng.standard_normal((K, 2))
        z, o = net.step(state, torch.from_numpy(x[:, t]).to(dtype), agent.noise_scale * torch.from_numpy(xi[:, t]).to(dtype))
        a = torch.tanh(o[:, :2]) + torch.sqrt(torch.sigmoid(o[:, 2:4])) * torch.from_numpy(eps[:, t]).to(dtype)
        result = arenas.step(a.double().numpy())
        last_rewards = rewards[:, t] = result.rewards
        reached[:, t] = result.reached
        spikes[:, t], outputs[:, t], actions[:, t] = z.to(torch.uint8), o, a
    means, variances, values = policy(outputs)
    log_prob = log_probability(actions, means, variances)
    return Episodes(x=x, xi=xi, eps=eps, actions=actions.double().numpy(), log_prob=log_prob.double().numpy(),
                    values=values.double().numpy(), rewards=rewards, reached=reached, positions=positions,
                    goals=arenas.goals.copy(), spikes=spikes.numpy())


def episode_statistics(rewards: np.ndarray, reached: np.ndarray) -> dict[str, float | None]:
    """Reward and goals per episode of ``rewards`` / ``reached`` (K, T), steps to the first goal (T counted
    for episodes without one, ``steps_to_first_goal_or_T``), and the mean number of steps from one goal to
    the next after the first find (Fig. 3B; episodes with at least two goals)."""
    K, T = rewards.shape
    first, between = [], []
    for k in range(K):
        hits = np.flatnonzero(reached[k])
        first.append(hits[0] + 1 if len(hits) else T)
        if len(hits) >= 2:
            between.append(float(np.mean(np.diff(hits))))
    goals = reached.sum(axis=1)
    return {"reward_per_episode": float(rewards.sum(axis=1).mean()), "goals_per_episode": float(goals.mean()),
            "found_fraction": float(np.mean(goals > 0)), "steps_to_first_goal_or_T": float(np.mean(first)),
            "steps_between_goals": float(np.mean(between)) if between else None}


def ppo_update(agent: MetaRLAgent, optimizer: torch.optim.Optimizer, episodes: Episodes, settings: PPOSettings, lr: float) -> dict[str, float]:
    """One Adam step on the supplement's loss (eqs. 8-9) for the recorded ``episodes`` (module docstring)."""
    net = agent.net
    for group in optimizer.param_groups:
        group["lr"] = lr
    dtype = net.dtype
    xi = torch.as_tensor(episodes.xi, dtype=dtype)
    out = net(torch.as_tensor(episodes.x, dtype=dtype), i_ext=agent.noise_current(xi), record_state=False)
    means, variances, values = policy(out.outputs)
    actions = torch.as_tensor(episodes.actions, dtype=dtype)
    log_prob = log_probability(actions, means, variances)
    returns = discounted_returns(episodes.rewards, settings.discount)
    advantages = torch.as_tensor(returns - episodes.values, dtype=dtype)
    loss, terms = ppo_loss(log_prob, torch.as_tensor(episodes.log_prob, dtype=dtype), advantages, values,
                           torch.as_tensor(returns, dtype=dtype), entropy(variances), settings, spikes=out.spikes, dt=net.dt)
    if not torch.isfinite(loss):
        raise FloatingPointError(f"the loss is {loss.item()}")
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    grad_norm = clip_gradient_norm(agent.parameters(), None)  # the norm only (float64); the supplement does not clip
    if not np.isfinite(grad_norm):
        raise FloatingPointError(f"the gradient is not finite (norm {grad_norm})")
    optimizer.step()
    spikes = out.spikes.detach()
    terms.update(grad_norm=grad_norm, rate_hz=float(spikes.mean()) / net.dt,
                 replay_mismatch=float((spikes.to(torch.uint8) != torch.as_tensor(episodes.spikes)).to(torch.float64).mean()),
                 noise_scale=float(agent.noise_scale.detach().abs().mean()))
    return terms
