"""Training, testing and Brian2 validation of the meta-RL agent (NeurIPS §6; ``--task metarl_navigation``).

One iteration (supplement section 6, "Network training"): K episodes with the current parameters
(:func:`~.agent.rollout`), one Adam step on the PPO loss (:func:`~.agent.ppo_update`), one DEEP R step.
The run folder is that of every training (:mod:`lsnn.training.runs`): ``config.json``, ``metrics.jsonl``
(one line per iteration: reward and goals per episode, steps to the first goal, steps between goals,
loss terms, rate, noise amplitude, replay mismatch), ``checkpoint.pt`` (atomic, every
``checkpoint_every`` iterations; rollouts are seeded by (seed, iteration), so a resumed run continues
exactly), then ``test.json`` (``n_test`` new episodes), ``network.npz`` (the LSNN with the noise
amplitudes in its meta) and ``episode.npz``: one test episode recorded in float64 for the Brian2 replay
(:func:`validate_episode`).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from lsnn.common.files import atomic_path
from lsnn.common.jsonsafe import dumps

from ..config import TrainConfig
from ..deep_r import DeepR
from ..kernel import keep_freed_memory
from ..model import LSNN
from ..regularizers import step_decay
from ..runs import CHECKPOINT, METRICS, NETWORK, TEST, RunError, provenance, run_lock, save_checkpoint, stop_requests, write_json
from .agent import MetaRLAgent, build_agent, episode_statistics, populations, ppo_update, rollout
from .ppo import PPOSettings
from .replay import EPISODE


def ppo_settings(cfg: TrainConfig) -> PPOSettings:
    p = cfg.task_params
    return PPOSettings(clip=p["clip"], value_coefficient=p["value_coefficient"], entropy_coefficient=p["entropy_coefficient"],
                       rate_coefficient=cfg.rate_coefficient, rate_target_hz=cfg.rate_target, discount=p["discount"])


def train_metarl(cfg: TrainConfig, run_dir: str | Path, *, resume: bool = False, progress: bool = True,
                 max_iterations: int | None = None) -> dict[str, Any]:
    """Train (or resume, or reuse) a meta-RL run; returns what :func:`lsnn.training.trainer.train` returns."""
    from ..trainer import _generator, logged_training_time, prepare_run_folder, restore

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    settings, n_steps = ppo_settings(cfg), int(cfg.task_params["n_steps"])
    with run_lock(run_dir):
        prepare_run_folder(cfg, run_dir, resume)
        keep_freed_memory()
        agent = build_agent(cfg)
        optimizer = torch.optim.Adam(agent.parameters(), lr=cfg.lr, eps=cfg.task_params["adam_eps"])
        deep_r = DeepR(agent.net, _generator(cfg.seed, 4), cfg.l1, cfg.temperature)
        start = restore(run_dir, agent, optimizer, deep_r)
        checkpointed = start
        t0 = time.perf_counter() - logged_training_time(run_dir / METRICS)
        stop = cfg.n_iterations if max_iterations is None else min(cfg.n_iterations, start + max_iterations)
        bar = tqdm(range(start, stop), desc=f"train {cfg.task}/{cfg.model}", initial=start, total=cfg.n_iterations, disable=not progress)
        # a stop (Ctrl-C, SIGTERM) is taken at the end of an iteration, which is then checkpointed (runs.stop_requests)
        with open(run_dir / METRICS, "a") if start < stop else contextlib.nullcontext() as log, stop_requests() as stop_requested:
            for it in bar:
                lr = cfg.lr * step_decay(it, every=cfg.lr_decay_every, factor=cfg.lr_decay_factor)
                t_roll = time.perf_counter()
                episodes = rollout(agent, cfg.batch_size, n_steps, np.random.default_rng([cfg.seed, 1, it]))
                record = {"iteration": it, **episode_statistics(episodes.rewards, episodes.reached), "rollout_s": round(time.perf_counter() - t_roll, 3)}
                try:
                    record.update(ppo_update(agent, optimizer, episodes, settings, lr))
                except FloatingPointError as exc:
                    raise RunError(f"iteration {it}: {exc}; lower the learning rate (the run resumes from its checkpoint at "
                                   f"iteration {checkpointed}).") from None
                record.update(deep_r.step(lr, _generator(cfg.seed, 3, it), optimizer), lr=lr, time_s=round(time.perf_counter() - t0, 3))
                log.write(dumps(record) + "\n")
                log.flush()
                bar.set_postfix(reward=f"{record['reward_per_episode']:.2f}", goals=f"{record['goals_per_episode']:.1f}",
                                rate=f"{record['rate_hz']:.1f}Hz")
                done = it + 1
                stopping = stop_requested()
                if done % cfg.checkpoint_every == 0 or done == cfg.n_iterations or stopping:
                    save_checkpoint(run_dir / CHECKPOINT, {"iteration": done, "model": agent.state_dict(), "optimizer": optimizer.state_dict(),
                                                           "deep_r_active": deep_r.n_active})
                    checkpointed = done
                if stopping and done < cfg.n_iterations:
                    raise KeyboardInterrupt(f"stopped after iteration {it}, checkpointed")
        bar.close()
        if stop < cfg.n_iterations:
            return {"run_dir": str(run_dir), "finished": False, "iteration": stop, "test": None, "network": None}
        return finish_metarl(cfg, run_dir, agent, time.perf_counter() - t0, start == cfg.n_iterations, progress)


def test_agent(agent: MetaRLAgent, cfg: TrainConfig, n_episodes: int | None = None) -> dict[str, Any]:
    """Episode statistics on ``n_test`` new episodes (seeded by ``test_seed``), in batches of ``test_batch``."""
    n_episodes = cfg.n_test if n_episodes is None else n_episodes
    parts = []
    for k, first in enumerate(range(0, n_episodes, cfg.test_batch)):
        n = min(cfg.test_batch, n_episodes - first)
        parts.append(rollout(agent, n, int(cfg.task_params["n_steps"]), np.random.default_rng([cfg.test_seed, 7, k])))
    rewards = np.concatenate([p.rewards for p in parts])
    stats = episode_statistics(rewards, np.concatenate([p.reached for p in parts]))
    n_entries = sum(p.spikes.size for p in parts)
    stats.update(n_episodes=n_episodes, reward_per_episode_std=float(rewards.sum(axis=1).std()),
                 rate_hz=sum(float(p.spikes.sum()) for p in parts) / n_entries / agent.net.dt)
    return stats


def finish_metarl(cfg: TrainConfig, run_dir: Path, agent: MetaRLAgent, train_time: float, reused: bool, progress: bool) -> dict[str, Any]:
    """Test, export ``network.npz`` (noise amplitudes and sub-populations in its meta) and record the
    float64 episode for the Brian2 replay; a finished run is read back instead."""
    import json

    test_path, network_path = run_dir / TEST, run_dir / NETWORK
    if reused and test_path.exists() and network_path.exists() and (run_dir / EPISODE).exists():
        test = json.loads(test_path.read_text())
    else:
        test = test_agent(agent, cfg)
        test["train_time_s"] = round(train_time, 3)
        pops = populations(cfg)
        spec = agent.net.to_spec(meta={"task": {"name": cfg.task, **cfg.task_params}, "config": cfg.to_dict(), "seed": cfg.seed,
                                       "test": test, "noise_scale": agent.noise_scale.detach().double().tolist(),
                                       "populations": {k: v.tolist() for k, v in pops.__dict__.items()}, **provenance(),
                                       "lsnn_trained_iterations": cfg.n_iterations, "source": "lsnn train"})
        spec.save(network_path)
        record_episode(spec, run_dir / EPISODE, int(cfg.task_params["n_steps"]), cfg.test_seed)
        write_json(test_path, test)
    return {"run_dir": str(run_dir), "finished": True, "iteration": cfg.n_iterations, "test": test, "network": str(network_path)}


def agent_from_spec(spec, dtype: torch.dtype = torch.float64) -> MetaRLAgent:
    """The trained agent of an exported ``network.npz`` (its noise amplitudes from the meta)."""
    agent = MetaRLAgent(LSNN.from_spec(spec, dtype=dtype))
    with torch.no_grad():
        agent.noise_scale.copy_(torch.as_tensor(spec.meta["noise_scale"], dtype=dtype))
    return agent


def record_episode(spec, path: Path, n_steps: int, seed: int) -> Path:
    """One episode of the exported agent in float64 with everything that determined it: input spikes,
    the noise current nu xi (volts), action draws, actions, spikes, readouts, positions, goal."""
    agent = agent_from_spec(spec)
    ep = rollout(agent, 1, n_steps, np.random.default_rng([seed, 11]))
    i_ext = agent.noise_current(torch.as_tensor(ep.xi)).detach().numpy()
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, x=ep.x[0], i_ext=i_ext[0], eps=ep.eps[0], actions=ep.actions[0], spikes=ep.spikes[0],
                            positions=ep.positions[0], goal=ep.goals[0], rewards=ep.rewards[0], reached=ep.reached[0])
    return path
