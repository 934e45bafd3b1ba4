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
        ### BEGIN SOLUTION
        # Its own generator, not np.random's global one: seeding must not depend on what else ran before.
        self.generator = np.random.default_rng(seed)
        ### END SOLUTION

    def act(self, observation: Any) -> int:
        ### BEGIN SOLUTION
        # integers(n) draws from 0..n-1. int(): Gymnasium's discrete spaces and the grader expect a plain int,
        # not a NumPy scalar.
        return int(self.generator.integers(self.n_actions))
        ### END SOLUTION


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
    ### BEGIN SOLUTION
    # 1. Start the episode. Gymnasium 1.x: reset returns (observation, info), and the seed goes here, not to
    #    a separate env.seed() call (the old API).
    observation, _ = env.reset(seed=seed)
    # The observation list is one longer than the others: o_t is seen, a_t chosen, r_{t+1} and o_{t+1} follow.
    observations, actions, rewards = [observation], [], []
    terminated = truncated = False
    # 2. The agent-environment loop: observe, act, receive a reward and the next observation.
    for _ in range(max_steps):
        action = agent.act(observation)
        # Five values in Gymnasium 1.x; the old API's single `done` is split into terminated and truncated.
        observation, reward, terminated, truncated, _ = env.step(action)
        observations.append(observation)
        actions.append(action)
        # float(): environments may return NumPy scalars; the record must be plain data.
        rewards.append(float(reward))
        # Stop on either flag; keep them apart, because a learner treats them differently.
        if terminated or truncated:
            break
    else:  # for-else: runs only when the loop ended without `break`
        # The loop ran out of steps: our own time limit, which is a truncation, never a termination.
        truncated = True
    # 3. `and not terminated`: should an environment report both flags at once, the MDP's own end wins
    #    (its value is really 0), so exactly one flag is True.
    return {
        "observations": observations,
        "actions": actions,
        "rewards": rewards,
        "terminated": bool(terminated),
        "truncated": bool(truncated) and not terminated,
    }
    ### END SOLUTION


def discounted_return(rewards: list[float], gamma: float) -> float:
    """G_0 = r_1 + gamma r_2 + gamma^2 r_3 + ...: the first reward undiscounted, later ones discounted more.

    Args:
        rewards: the rewards of one episode, in the order they were received.
        gamma: the discount factor in [0, 1].
    """
    ### BEGIN SOLUTION
    # Horner's rule from the back: G_t = r_{t+1} + gamma G_{t+1}, with G_T = 0.
    # Going backwards needs no powers of gamma: each step multiplies everything after it by gamma once more.
    total = 0.0
    for reward in reversed(rewards):
        total = float(reward) + gamma * total
    return total
    ### END SOLUTION
