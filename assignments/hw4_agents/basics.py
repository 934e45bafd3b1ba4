"""Gymnasium basics: a random agent, the agent-environment loop, and the discounted return.

Implements: `RandomAgent`, `run(agent, env, max_steps)` (the loop of the recitation's FrozenLake example,
written once and correctly) and `discounted_return(rewards, gamma)`.

Follows: the Gymnasium 1.x API. `env.reset(seed=...)` returns `(observation, info)`; `env.step(action)`
returns `(observation, reward, terminated, truncated, info)`. An episode ends when either flag is True, and
the two mean different things: *terminated* is the MDP's own end (FrozenLake's goal or a hole: nothing comes
after it, its value is 0), *truncated* is a time limit imposed from outside (the state still has a future; an
agent that learns from it must bootstrap). Mixing them up is the commonest bug in RL code written against the
old `done` API.

Leaves out: vector environments (the grader batches episodes itself), rendering.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from . import bicycle


def make_env(env_id: str, **kwargs: Any) -> gym.Env:
    """`gymnasium.make(env_id, **kwargs)` (given; the grader builds environments in your process with it)."""
    # Registering is idempotent; doing it here means no caller has to remember to before gym.make.
    bicycle.register()  # BicycleGrid-v0
    return gym.make(env_id, **kwargs)


class ScriptedAgent:
    """Plays a fixed list of actions, one per call to `act` (given; handy for testing `run`)."""

    def __init__(self, actions: list[int]) -> None:
        self.actions = [int(a) for a in actions]  # plain ints, whatever sequence was passed
        self.t = 0  # how many actions have been played

    def act(self, observation: Any) -> int:
        # Wraps around, so an episode longer than the script replays it from the start.
        action = self.actions[self.t % len(self.actions)]
        self.t += 1
        return action


class RandomAgent:
    """Picks uniformly random actions in `range(n_actions)` from its own seeded generator.

    `act(observation)` returns a Python int. Two agents made with the same seed return the same actions; the
    observation is ignored (that is what makes it the baseline every learning agent must beat).
    """

    def __init__(self, n_actions: int, seed: int | None = None) -> None:
        self.n_actions = int(n_actions)  # e.g. env.action_space.n, which may be a NumPy integer
        raise NotImplementedError("__init__: write this part (see its docstring)")

    def act(self, observation: Any) -> int:
        raise NotImplementedError("act: write this part (see its docstring)")


def run(agent: Any, env: gym.Env, max_steps: int, seed: int | None = None) -> dict[str, Any]:
    """Play one episode of `agent` in `env` and record it.

    Args:
        agent: anything with `act(observation) -> action`.
        env: a Gymnasium environment; reset it with `env.reset(seed=seed)`.
        max_steps: stop after this many steps even if the episode has not ended (that is a truncation).
        seed: passed to `env.reset`.

    Returns:
        {"observations": [o_0, ..., o_T] (T + 1 entries: the last one is where the episode ended),
         "actions": [a_0, ..., a_{T-1}], "rewards": [r_1, ..., r_T] (floats),
         "terminated": bool, "truncated": bool}
        Exactly one flag is True when the loop stops: terminated if the last step terminated, otherwise
        truncated (the environment's time limit or `max_steps`). Observations are stored as returned (ints for
        FrozenLake, arrays for the bicycle).
    """
    raise NotImplementedError("run: write this part (see its docstring)")


def discounted_return(rewards: list[float], gamma: float) -> float:
    """G_0 = r_1 + gamma r_2 + gamma^2 r_3 + ...: the first reward undiscounted, later ones discounted more.

    Args:
        rewards: the rewards of one episode, in the order they were received.
        gamma: the discount factor in [0, 1].
    """
    raise NotImplementedError("discounted_return: write this part (see its docstring)")
