"""The meta-RL navigation task of Bellec et al. 2018 (NeurIPS §6; supplement section 6, "Task family").

A circular arena of radius 1; in each episode a goal (a disc of radius 0.3) sits at a random angle with
its centre on the circle of radius 0.85 and stays there for the whole episode. The agent starts at a
uniformly random position; at every step it moves by a velocity ``a_scale * a`` whose norm is clipped to
``a_scale = 0.02``. Reaching the goal gives reward 1 and puts the agent back at a uniformly random
position; moving into the wall stops the agent where its step crosses the border and gives -0.02.
The objective is to reach the goal as often as possible within the episode (T = 2000 steps of 1 ms).

:class:`NavigationArenas` steps K arenas at once in NumPy (what training uses); :class:`NavigationEnv`
is one arena behind Gymnasium's API, registered as ``lsnn/Navigation-v0``.

Departure (stated): a new start position is drawn outside the goal (uniform over the rest of the arena),
so that a placement never pays a reward by itself; the supplement does not say.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

ARENA_RADIUS = 1.0
GOAL_RADIUS = 0.3
GOAL_CIRCLE = 0.85
A_SCALE = 0.02
GOAL_REWARD = 1.0
WALL_REWARD = -0.02


@dataclass
class StepResult:
    """What :meth:`NavigationArenas.step` returns for K arenas: rewards (K,), whether the goal was reached
    (K,), whether the wall was hit (K,), and the positions after the step (K, 2) (after a relocation)."""

    rewards: np.ndarray
    reached: np.ndarray
    hit_wall: np.ndarray
    positions: np.ndarray


def uniform_in_disc(rng: np.random.Generator, n: int, radius: float = ARENA_RADIUS) -> np.ndarray:
    """``n`` points uniform in the disc of ``radius`` (radius sqrt(U), angle U[0, 2 pi)), (n, 2)."""
    r = radius * np.sqrt(rng.uniform(size=n))
    phi = rng.uniform(0.0, 2 * np.pi, size=n)
    return np.stack([r * np.cos(phi), r * np.sin(phi)], axis=1)


class NavigationArenas:
    """K independent arenas stepped together (see module docstring).

    Parameters
    ----------
    n : int
        Number of arenas (episodes run side by side).
    rng : numpy.random.Generator
        Draws goals and start positions.
    """

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.n, self.rng = int(n), rng
        angles = rng.uniform(0.0, 2 * np.pi, size=self.n)
        self.goals = GOAL_CIRCLE * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        self.positions = self._placements(np.arange(self.n))

    def in_goal(self, positions: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
        goals = self.goals if which is None else self.goals[which]
        return np.sum((positions - goals) ** 2, axis=1) <= GOAL_RADIUS**2

    def _placements(self, which: np.ndarray) -> np.ndarray:
        """Uniform start positions outside the goal for the arenas ``which`` (rejection sampling)."""
        out = uniform_in_disc(self.rng, len(which))
        bad = self.in_goal(out, which)
        while bad.any():
            out[bad] = uniform_in_disc(self.rng, int(bad.sum()))
            bad = self.in_goal(out, which)
        return out

    def step(self, actions: np.ndarray) -> StepResult:
        """Move every agent by ``A_SCALE * actions`` (K, 2), its norm clipped to ``A_SCALE``."""
        actions = np.asarray(actions, dtype=np.float64)
        if actions.shape != (self.n, 2) or not np.all(np.isfinite(actions)):
            raise ValueError(f"actions must be finite with shape ({self.n}, 2); got {actions.shape}.")
        velocity = A_SCALE * actions
        norm = np.linalg.norm(velocity, axis=1, keepdims=True)
        velocity = np.where(norm > A_SCALE, velocity * (A_SCALE / np.maximum(norm, 1e-300)), velocity)
        start, new = self.positions, self.positions + velocity
        hit_wall = np.sum(new**2, axis=1) > ARENA_RADIUS**2
        if hit_wall.any():  # where the step p + s v crosses |p + s v| = 1, s in (0, 1]
            p, v = start[hit_wall], velocity[hit_wall]
            a, b, c = np.sum(v * v, axis=1), 2 * np.sum(p * v, axis=1), np.sum(p * p, axis=1) - ARENA_RADIUS**2
            s = (-b + np.sqrt(np.maximum(b * b - 4 * a * c, 0.0))) / (2 * a)
            new[hit_wall] = p + np.clip(s, 0.0, 1.0)[:, None] * v
        reached = self.in_goal(new)
        rewards = np.where(reached, GOAL_REWARD, np.where(hit_wall, WALL_REWARD, 0.0))
        if reached.any():
            new[reached] = self._placements(np.flatnonzero(reached))
        self.positions = new
        return StepResult(rewards, reached, hit_wall, new.copy())


@functools.cache
def _gymnasium_env_class():
    import gymnasium as gym
    from gymnasium import spaces

    class NavigationEnv(gym.Env):
        """One arena of the meta-RL navigation task behind Gymnasium's API (``lsnn/Navigation-v0``).

        Observation: the agent's position (x, y) in [-1, 1]^2. Action: a velocity in units of
        ``A_SCALE`` (its norm clipped to 1). Reward: 1 at the goal (then a new start position), -0.02
        into the wall, 0 otherwise. Truncated after ``max_steps`` (2000, the supplement's T).
        """

        metadata = {"render_modes": []}

        def __init__(self, max_steps: int = 2000) -> None:
            self.max_steps = int(max_steps)
            self.observation_space = spaces.Box(-ARENA_RADIUS, ARENA_RADIUS, shape=(2,), dtype=np.float64)
            self.action_space = spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float64)
            self.arenas: NavigationArenas | None = None
            self.t = 0

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            super().reset(seed=seed)
            self.arenas = NavigationArenas(1, self.np_random)
            self.t = 0
            return self.arenas.positions[0].copy(), {"goal": self.arenas.goals[0].copy()}

        def step(self, action):
            if self.arenas is None:
                raise RuntimeError("call reset() before step().")
            result = self.arenas.step(np.asarray(action, dtype=np.float64).reshape(1, 2))
            self.t += 1
            info = {"goal": self.arenas.goals[0].copy(), "reached": bool(result.reached[0]), "hit_wall": bool(result.hit_wall[0])}
            return result.positions[0].copy(), float(result.rewards[0]), False, self.t >= self.max_steps, info

    return NavigationEnv


ENV_ID = "lsnn/Navigation-v0"


def register_environment() -> str:
    """Register :class:`NavigationEnv` with Gymnasium as ``lsnn/Navigation-v0`` (once); returns the id."""
    import gymnasium as gym

    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point=_gymnasium_env_class(), max_episode_steps=None)
    return ENV_ID


def __getattr__(name: str):  # NavigationEnv without importing Gymnasium until it is asked for
    if name == "NavigationEnv":
        return _gymnasium_env_class()
    raise AttributeError(name)
