"""Rollouts the grader owns: environments and seeds in the grader process, actions asked of a policy.

A hidden suite evaluates an agent that lives in the sandbox by handing `rollout` a function that sends a batch
of observations across and returns the actions that come back. Everything that decides a score stays here: the
environments are built and reset with the grader's seeds, every action is checked against the action space
before it reaches `env.step`, and returns, lengths and the terminated/truncated flags are counted in this
process.

The episodes run in lockstep: each call of `policy` gets the observations of *all* episodes, (N, ...), and the
rewards each received for its previous action (zeros at the first step), so a policy that keeps per-episode
state (a Decision Transformer's history) sees a batch of constant size. Actions for episodes that have already
ended are ignored. A policy's answer must be N integer actions; anything else (a float, an array per episode,
an action outside the space, an observation sent back by mistake) fails the test with a message naming the
step, the episode and the value, instead of crashing inside the environment.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from grader.suite.compare import describe, fail

Policy = Callable[[np.ndarray, np.ndarray], Any]


@dataclass(frozen=True)
class Rollouts:
    """What the grader counted: per episode, the undiscounted return, steps, and how the episode ended."""

    returns: np.ndarray  # (N,) float64
    lengths: np.ndarray  # (N,) int64
    terminated: np.ndarray  # (N,) bool
    truncated: np.ndarray  # (N,) bool

    @property
    def mean_return(self) -> float:
        return float(self.returns.mean())

    def success_rate(self, threshold: float = 0.0) -> float:
        """The fraction of episodes that terminated with a return above `threshold` (reached a goal)."""
        return float(np.mean(self.terminated & (self.returns > threshold)))


def check_actions(actions: Any, space: gym.spaces.Space, count: int, *, what: str) -> np.ndarray:
    """`actions` as an int64 array of `count` valid actions of a Discrete `space`, or a GradingFailure."""
    if not isinstance(space, gym.spaces.Discrete):
        raise TypeError(f"rollouts support Discrete action spaces, not {space}")
    try:
        array = np.asarray(actions)
    except Exception:
        array = None
    if array is None or array.dtype == object or array.shape != (count,):
        fail(
            f"{what} should be {count} actions, one per observation (shape "
            f"({count},)), but was {describe(actions)}"
            + (f" of shape {array.shape}" if array is not None and array.dtype != object else ""),
            "return one integer action per row of the observations: shape (N,), not (N, 1) and not the "
            "observations themselves",
        )
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        fail(
            f"{what} should be integers of {space}, but had dtype {array.dtype}: {_few(array)}",
            "a Discrete action is an integer index: sample or argmax from the probabilities; never pass an "
            "observation, a probability or a network output to env.step",
        )
    bad = (array < space.start) | (array >= space.start + space.n)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        fail(
            f"{what} contained {int(array[index])} (episode {index}), which is not an action of {space}: "
            f"valid actions are {space.start}..{space.start + space.n - 1}",
            "check the range of your actions (0-based) against env.action_space",
        )
    return array.astype(np.int64)


def _few(array: np.ndarray) -> str:
    text = np.array2string(array.reshape(-1)[:6], precision=4)
    return text if array.size <= 6 else text[:-1] + " ...]"


def rollout(
    policy: Policy,
    make_env: Callable[[], gym.Env],
    seeds: Sequence[int],
    *,
    max_steps: int | None = None,
    what: str = "your policy's actions",
) -> Rollouts:
    """Run one episode per seed, all in lockstep, asking `policy(observations, rewards)` for actions.

    `make_env()` builds one environment (the grader's); episode i is reset with `seeds[i]`. An episode ends
    when its environment says terminated or truncated, or after `max_steps` steps (counted as truncated).
    """
    envs = [make_env() for _ in seeds]
    space = envs[0].action_space
    n = len(envs)
    first = [env.reset(seed=int(seed))[0] for env, seed in zip(envs, seeds)]
    observations = np.stack([np.asarray(o) for o in first])
    rewards = np.zeros(n, dtype=np.float64)
    returns = np.zeros(n, dtype=np.float64)
    lengths = np.zeros(n, dtype=np.int64)
    terminated = np.zeros(n, dtype=bool)
    truncated = np.zeros(n, dtype=bool)
    step = 0
    try:
        while not (terminated | truncated).all():
            actions = check_actions(
                policy(observations.copy(), rewards.copy()), space, n, what=f"{what} at step {step}"
            )
            rewards = np.zeros(n, dtype=np.float64)
            for i, env in enumerate(envs):
                if terminated[i] or truncated[i]:
                    continue
                observation, reward, term, trunc, _ = env.step(int(actions[i]))
                observations[i] = np.asarray(observation)
                rewards[i] = float(reward)
                returns[i] += float(reward)
                lengths[i] += 1
                terminated[i] = bool(term)
                truncated[i] = bool(trunc) or (not term and max_steps is not None and lengths[i] >= max_steps)
            step += 1
    finally:
        for env in envs:
            env.close()
    return Rollouts(returns, lengths, terminated, truncated)
