"""Meta-RL (NeurIPS §6): the navigation task, the input/output coding, PPO, the agent's step-wise
rollout against the whole-sequence path, training with resume, and the Brian2 replay of an episode."""

import json
import math

import numpy as np
import pytest
import torch

from lsnn.training.config import make_config
from lsnn.training.model import LSNN
from lsnn.training.rl.coding import N_INPUTS, encode, entropy, log_probability, position_rates
from lsnn.training.rl.navigation import A_SCALE, GOAL_CIRCLE, GOAL_RADIUS, NavigationArenas, register_environment
from lsnn.training.rl.ppo import PPOSettings, clipped_surrogate, discounted_returns, ppo_loss


# ------------------------------------------------------------------------------------------ the arena
def test_environment_passes_gymnasiums_checker():
    import gymnasium as gym
    from gymnasium.utils.env_checker import check_env

    env = gym.make(register_environment())
    check_env(env.unwrapped)
    obs, info = env.reset(seed=3)
    assert obs.shape == (2,) and np.hypot(*obs) <= 1 and abs(np.hypot(*info["goal"]) - GOAL_CIRCLE) < 1e-12


def test_arena_geometry_walls_goals_and_clipping():
    arenas = NavigationArenas(3, np.random.default_rng(0))
    assert np.allclose(np.linalg.norm(arenas.goals, axis=1), GOAL_CIRCLE)
    # agent 0 just inside the wall moving outwards; agent 1 far from everything with a huge action; agent 2 next to its goal
    goal_dir = arenas.goals / GOAL_CIRCLE
    arenas.positions = np.array([-0.995 * goal_dir[0], [0.0, 0.0], arenas.goals[2] - (GOAL_RADIUS + 0.01) * goal_dir[2]])
    before = arenas.positions.copy()
    result = arenas.step(np.array([-goal_dir[0], [30.0, 40.0], goal_dir[2]]))
    assert result.hit_wall.tolist() == [True, False, False] and result.reached.tolist() == [False, False, True]
    assert result.rewards.tolist() == [-0.02, 0.0, 1.0]
    assert np.linalg.norm(result.positions[0]) == pytest.approx(1.0, abs=1e-12)  # stopped where the step crosses the border
    assert np.allclose(result.positions[1] - before[1], [0.6 * A_SCALE, 0.8 * A_SCALE])  # norm clipped to a_scale
    assert np.linalg.norm(result.positions[2] - arenas.goals[2]) > GOAL_RADIUS  # placed anew, outside the goal
    with pytest.raises(ValueError, match=r"actions must be finite with shape \(3, 2\)"):
        arenas.step(np.full((3, 2), np.nan))


def test_input_coding_rates_and_reward_groups():
    rates = position_rates(np.array([[-1.0, 0.0]]))[0]
    assert rates[0] == pytest.approx(500.0) and rates[40:].max() < 500.0 and rates[40:].max() > 450.0
    assert rates[20] == pytest.approx(500 * math.exp(-100 * (20 * 2 / 39 - 1 + 1) ** 2))
    spikes = encode(np.random.default_rng(0), np.zeros((3, 2)), np.array([1.0, -0.02, 0.0]), 1e-3)
    assert spikes.shape == (3, N_INPUTS)
    assert spikes[0, 80:120].all() and not spikes[0, 120:].any() and spikes[1, 120:].all() and not spikes[1, 80:120].any()
    assert not spikes[2, 80:].any()


# ------------------------------------------------------------------------------------------ PPO
def test_returns_surrogate_and_gaussian_terms_analytically():
    assert np.allclose(discounted_returns(np.array([[1.0, 0.0, 2.0]]), 0.9), [[1 + 0.81 * 2, 1.8, 2.0]])
    ratio_logs = torch.log(torch.tensor([0.5, 1.0, 1.5]))
    adv = torch.tensor([1.0, 1.0, -1.0])
    assert torch.allclose(clipped_surrogate(ratio_logs, torch.zeros(3), adv, 0.2), torch.tensor([0.5, 1.0, -1.5]))
    var = torch.tensor([[0.25, 4.0]])
    assert float(entropy(var)) == pytest.approx(0.5 * math.log(2 * math.pi * math.e * 0.25) + 0.5 * math.log(2 * math.pi * math.e * 4.0))
    lp = log_probability(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0]]), var)
    assert float(lp) == pytest.approx(-0.5 / 0.25 - 0.5 * math.log(2 * math.pi * 0.25) - 0.5 * math.log(2 * math.pi * 4.0))


def _bandit_env_class():
    import gymnasium as gym
    from gymnasium import spaces

    class TargetBandit(gym.Env):
        """One-step episodes: observe c ~ U[-1, 1], act a, reward 1 - (a - c)^2. A Gaussian policy with mean
        w c + b and variance phi has the expected return 1 - phi - (w - 1)^2 / 3 - b^2 (optimum 1 - phi)."""

        def __init__(self):
            self.observation_space = spaces.Box(-1.0, 1.0, (1,), np.float64)
            self.action_space = spaces.Box(-np.inf, np.inf, (1,), np.float64)

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.c = self.np_random.uniform(-1, 1, 1)
            return self.c.copy(), {}

        def step(self, action):
            return self.c.copy(), float(1 - (action[0] - self.c[0]) ** 2), True, False, {}

    return TargetBandit


def test_ppo_reaches_the_known_optimum_of_a_small_gymnasium_task():
    """PPO itself (the supplement's loss without the spiking parts) on a contextual bandit whose expected
    return is known in closed form: a linear-Gaussian policy of fixed variance 0.04 learns its mean to
    within 0.02 of the optimum 0.96, and the measured mean return agrees with the closed form."""
    from gymnasium.utils.env_checker import check_env

    env = _bandit_env_class()()
    check_env(env)
    torch.manual_seed(0)
    w, b = (torch.zeros((), dtype=torch.float64, requires_grad=True) for _ in range(2))
    log_phi = torch.tensor(math.log(0.04), dtype=torch.float64)
    opt = torch.optim.Adam([w, b], lr=0.05, eps=1e-5)
    settings = PPOSettings(entropy_coefficient=1e-3)
    rng = np.random.default_rng(1)
    returns_seen = []
    for it in range(150):
        seeds = rng.integers(2**31, size=128)
        obs = np.array([env.reset(seed=int(seed))[0][0] for seed in seeds])
        with torch.no_grad():
            mean, phi = w * torch.as_tensor(obs) + b, torch.exp(log_phi)
            actions = mean + torch.sqrt(phi) * torch.as_tensor(rng.standard_normal(128))
            old_lp = -0.5 * (actions - mean) ** 2 / phi - 0.5 * torch.log(2 * math.pi * phi)
        rewards = np.array([(env.reset(seed=int(seed)), env.step(np.array([a]))[1])[1] for seed, a in zip(seeds, actions.numpy())])
        returns_seen.append(rewards.mean())
        for _ in range(4):  # a few epochs on the batch, as PPO allows
            mean, phi = w * torch.as_tensor(obs) + b, torch.exp(log_phi)
            lp = -0.5 * (actions - mean) ** 2 / phi - 0.5 * torch.log(2 * math.pi * phi)
            value = torch.zeros(128, dtype=torch.float64)
            rets = torch.as_tensor(discounted_returns(rewards[:, None], 0.99)[:, 0])
            loss, _ = ppo_loss(lp, old_lp, rets - rets.mean(), value, rets, 0.5 * torch.log(2 * math.pi * math.e * phi).expand(128), settings)
            opt.zero_grad()
            loss.backward()
            opt.step()
    phi, w, b = float(torch.exp(log_phi)), float(w.detach()), float(b.detach())
    expected = 1 - phi - (w - 1) ** 2 / 3 - b**2
    assert expected > 0.96 - 0.02 and returns_seen[0] < 0.7
    measured = np.mean(returns_seen[-10:])
    assert measured == pytest.approx(expected, abs=0.03)


# ------------------------------------------------------------------------------------------ the agent
def test_step_wise_forward_is_the_whole_sequence_map():
    rng = np.random.default_rng(0)
    n_in, n, n_out, T, B = 12, 30, 5, 600, 3
    for d_in in (rng.integers(0, 3, (n, n_in)), 0):
        net = LSNN(n_in, n, n_out, W_in=rng.normal(0, 0.3, (n, n_in)), W_rec=rng.normal(0, 0.1, (n, n)), tau_m=rng.uniform(0.015, 0.03, n),
                   tau_a=1.2, beta=np.where(np.arange(n) < 10, 1.7, 0.0), b0=0.01, n_ref=3, d_rec=rng.integers(0, 6, (n, n)), d_in=d_in,
                   dtype=torch.float64)
        x = (rng.uniform(size=(B, T, n_in)) < 0.05).astype(float)
        i_ext = rng.normal(0, 0.02, (B, T, n))
        with torch.no_grad():
            out = net(x, i_ext=i_ext)
        state = net.initial_state(B)
        steps = [net.step(state, torch.as_tensor(x[:, t]), torch.as_tensor(i_ext[:, t])) for t in range(T)]
        Z, O = torch.stack([s[0] for s in steps], 1), torch.stack([s[1] for s in steps], 1)
        assert int(Z.sum()) > 1000 and torch.equal(Z, out.spikes)
        assert float((O - out.outputs).abs().max()) < 1e-12


@pytest.fixture(scope="module")
def tiny_metarl_run(tmp_path_factory):
    from lsnn.training.trainer import train

    run = tmp_path_factory.mktemp("metarl") / "run"
    cfg = make_config("metarl_navigation", "sfa", "tiny", {"dtype": "float64"})
    first = train(cfg, run, progress=False, max_iterations=2)  # interrupted after 2 of 3 iterations
    assert not first["finished"]
    result = train(cfg, run, resume=True, progress=False)
    return run, cfg, result


def test_tiny_training_resumes_exactly_and_replays_its_rollouts(tiny_metarl_run, tmp_path):
    from lsnn.training.trainer import train

    run, cfg, result = tiny_metarl_run
    assert result["finished"] and set(result["test"]) >= {"reward_per_episode", "goals_per_episode", "steps_to_first_goal_or_T"}
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["iteration"] for line in lines] == [0, 1, 2]
    # float64: the whole-sequence path gives exactly the rollout's spikes; DEEP R keeps the number of connections
    assert all(line["replay_mismatch"] == 0.0 for line in lines) and len({line["active"] for line in lines}) == 1
    straight = train(cfg, tmp_path / "straight", progress=False)
    again = [json.loads(line) for line in (tmp_path / "straight" / "metrics.jsonl").read_text().splitlines()]
    for a, b in zip(lines, again):
        assert a["reward_per_episode"] == b["reward_per_episode"] and a["loss"] == pytest.approx(b["loss"], rel=1e-12)
    assert straight["test"]["reward_per_episode"] == result["test"]["reward_per_episode"]


def test_a_stop_signal_checkpoints_the_iteration_in_progress(tmp_path, monkeypatch):
    """SIGTERM during an iteration: that iteration ends, is checkpointed (checkpoint_every is not due) and the
    run resumes from it to the end."""
    import os
    import signal

    from lsnn.training.rl import metarl
    from lsnn.training.runs import load_checkpoint
    from lsnn.training.trainer import train

    cfg = make_config("metarl_navigation", "sfa", "tiny", {"checkpoint_every": 100})
    update = metarl.ppo_update

    def update_then_signal(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        return update(*args, **kwargs)

    monkeypatch.setattr(metarl, "ppo_update", update_then_signal)
    with pytest.raises(KeyboardInterrupt, match="after iteration 0"):
        train(cfg, tmp_path / "run", progress=False)
    monkeypatch.setattr(metarl, "ppo_update", update)
    assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["iteration"] == 1
    assert train(cfg, tmp_path / "run", resume=True, progress=False)["finished"]
    lines = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [line["iteration"] for line in lines] == [0, 1, 2]


def test_recorded_episode_replays_spike_for_spike_in_brian2(tiny_metarl_run):
    from lsnn.training.rl.replay import validate_episode

    run, _, _ = tiny_metarl_run
    report = validate_episode(run, device="numpy", write=False)
    assert report["ok"] and report["identical_spikes"] and report["n_spikes"] > 20
    assert report["max_abs_action_difference"] <= 1e-9


def test_lsnn_validate_of_a_metarl_run_replays_its_episode(tiny_metarl_run, cli):
    run, _, _ = tiny_metarl_run
    rc, out, _ = cli.run("validate", str(run), "--device", "numpy", "--no-progress")
    assert rc == 0 and "VALIDATED: identical spikes (60 steps" in out
    assert json.loads((run / "validation.json").read_text())["ok"]


def test_metarl_refuses_models_it_does_not_have():
    with pytest.raises(ValueError, match="model 'lstm' is not available for metarl_navigation; choose one of: sfa, lif"):
        make_config("metarl_navigation", "lstm", "tiny")


def test_metarl_task_parameters_are_checked_by_name(cli, tmp_path):
    for setting, message in (("task_params.n_steps=0", r"task_params.n_steps=0 is not allowed; it must be a whole number >= 1"),
                             ("task_params.discount=1.5", r"task_params.discount=1.5 is not allowed"),
                             ("task_params.tau_m_max=0.01", r"tau_m_max \(0.01\) must not be below tau_m_min"),
                             ("task_params.foo=1", r"unknown \['foo'\]")):
        cli.error("train", "--task", "metarl_navigation", "--preset", "tiny", "--set", setting, "--run-dir", str(tmp_path / "r"),
                  match=message)
    assert not (tmp_path / "r").exists()  # nothing written
