"""Hidden tests of basics.py: the episode loop replayed against the grader's own environment, the return.

`run` is called in the sandbox with an environment and a scripted agent built there (by the given `make_env`
and `ScriptedAgent`); the grader replays the same actions in its own environment with the same seed and
compares every observation, reward and both end flags.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from grader.suite import fail
from solutions.hw4_agents import basics as reference

KEYS = {"observations", "actions", "rewards", "terminated", "truncated"}


def _replay(env_id: str, kwargs: dict, actions: list[int], seed: int, max_steps: int) -> dict:
    """The grader's own record of the episode `run` should produce."""
    from solutions.hw4_agents import bicycle  # noqa: F401  (registers BicycleGrid-v0 here)

    env = gym.make(env_id, **kwargs)
    return reference.run(reference.ScriptedAgent(actions), env, max_steps, seed=seed)


BUFFER_HINT = (
    "every observation you recorded equals the last one: the environment returns (or run stores) the same "
    "array object each step; return a new array from reset/step (or store a copy)"
)
SEED_HINT = "reset the environment with seed=seed: two runs with the same seed gave different episodes"


def _same_list(first: list, second: list) -> bool:
    return len(first) == len(second) and all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(first, second)
    )


def _observation_hint(got: dict, expected: dict, again) -> str:
    """The hint of the mistake `got` reproduces, if any: a reused observation buffer, or an unseeded reset."""
    observations = got["observations"]
    if len(observations) > 1 and _same_list(observations, [observations[-1]] * len(observations)):
        last = expected["observations"][-1]
        if not _same_list(expected["observations"], [last] * len(observations)):
            return BUFFER_HINT
    second = again()
    if isinstance(second, dict) and not _same_list(second.get("observations", []), observations):
        return SEED_HINT
    return ""


def _compare(got, expected: dict, what: str, again=lambda: None) -> None:
    if not isinstance(got, dict) or set(got) != KEYS:
        fail(
            f"{what} should return a dict with keys {sorted(KEYS)}, got "
            + (f"keys {sorted(got)}" if isinstance(got, dict) else type(got).__name__),
        )
    for key in ("terminated", "truncated"):
        if got[key] is not expected[key]:
            hint = (
                "a time limit (env truncation or max_steps) is a truncation, not a termination: keep the two "
                "flags apart, and report exactly one of them as True"
                if expected["truncated"]
                else "terminated is the environment's own end (a hole or the goal)"
            )
            fail(f"{what}: {key} should be {expected[key]}, got {got[key]!r}", hint)
    if len(got["actions"]) != len(expected["actions"]) or len(got["rewards"]) != len(expected["rewards"]):
        fail(
            f"{what}: the episode should last {len(expected['actions'])} steps, but your record has "
            f"{len(got['actions'])} actions and {len(got['rewards'])} rewards",
            "stop as soon as terminated or truncated is True, or after max_steps steps",
        )
    if len(got["observations"]) != len(expected["observations"]):
        fail(
            f"{what}: expected {len(expected['observations'])} "
            "observations (one per step plus the first), got "
            f"{len(got['observations'])}",
            "record the observation from reset and the one after every step",
        )
    for t, (a, b) in enumerate(zip(got["observations"], expected["observations"])):
        if not np.array_equal(np.asarray(a), np.asarray(b)):
            fail(
                f"{what}: observation {t} should be {b!r}, got {a!r}", _observation_hint(got, expected, again)
            )
    if not np.allclose(np.asarray(got["rewards"], dtype=float), expected["rewards"]):
        fail(f"{what}: rewards should be {expected['rewards']}, got {got['rewards']}")
    if [int(a) for a in got["actions"]] != [int(a) for a in expected["actions"]]:
        fail(f"{what}: actions should be {expected['actions']}, got {got['actions']}")


def _run(student, env_id, kwargs, actions, seed, max_steps):
    env = student.new("basics.make_env", env_id, **kwargs)
    agent = student.new("basics.ScriptedAgent", actions)
    what = f"run(agent, make_env({env_id!r}, {kwargs}), max_steps={max_steps}, seed={seed})"
    got = student.call("basics.run", agent.handle, env.handle, max_steps, seed=seed)

    def again():
        env = student.new("basics.make_env", env_id, **kwargs)
        agent = student.new("basics.ScriptedAgent", actions)
        return student.call("basics.run", agent.handle, env.handle, max_steps, seed=seed)

    _compare(got, _replay(env_id, kwargs, actions, seed, max_steps), what, again)


@pytest.mark.points(4)
def test_run_terminated_episodes(student, seed, check):
    """run() records a FrozenLake episode that ends in a hole or the goal, and a bicycle episode, exactly"""
    rng = np.random.default_rng(seed)
    with check.part("FrozenLake, slippery"):
        actions = rng.integers(4, size=30).tolist()
        # A seed whose episode terminates within 100 steps (nearly all do on the slippery lake).
        for candidate in rng.integers(2**31, size=50).tolist():
            if _replay("FrozenLake-v1", {"is_slippery": True}, actions, candidate, 100)["terminated"]:
                break
        _run(student, "FrozenLake-v1", {"is_slippery": True}, actions, candidate, 100)
    with check.part("BicycleGrid, arrays as observations"):
        path = [4, 4, 4, 3, 4, 4, 4, 4, 4, 4, 4, 4]  # pedal east to the wall, turn left (north), pedal on
        _run(student, "BicycleGrid-v0", {"num_bumps": 0}, path, int(rng.integers(2**31)), 40)


@pytest.mark.points(4)
def test_run_truncated_episodes(student, seed, check):
    """a time limit is a truncation: the environment's own limit, and run()'s max_steps"""
    rng = np.random.default_rng(seed)
    with check.part("the environment's time limit"):
        # Action 0 (left) at the start keeps the agent in place until the 6-step limit truncates the episode.
        _run(
            student,
            "FrozenLake-v1",
            {"is_slippery": False, "max_episode_steps": 6},
            [0],
            int(rng.integers(99)),
            50,
        )
    with check.part("run's max_steps"):
        _run(student, "FrozenLake-v1", {"is_slippery": False}, [0, 3], int(rng.integers(99)), 5)
    with check.part("the bicycle's step limit"):
        # No bumps: this part is about the limit, and must not depend on where the bumps fall.
        _run(
            student, "BicycleGrid-v0", {"max_steps": 7, "num_bumps": 0}, [0, 2], int(rng.integers(2**31)), 100
        )


@pytest.mark.points(2)
def test_random_agent(student, seed):
    """RandomAgent(n, seed) returns ints in range(n), uniformly, reproducibly from its seed"""
    n, count = 6, 600

    def actions(agent_seed):
        agent = student.new("basics.RandomAgent", n, seed=agent_seed)
        return [agent.call("act", None) for _ in range(count)]

    first, again, other = actions(seed), actions(seed), actions(seed + 1)
    if not all(isinstance(a, int) and not isinstance(a, bool) and 0 <= a < n for a in first):
        bad = next(a for a in first if not (isinstance(a, int) and 0 <= a < n))
        fail(
            f"RandomAgent(6).act returned {bad!r}; expected a Python int in 0..5",
            "return int(rng.integers(n))",
        )
    counts = np.bincount(first, minlength=n)
    if counts.min() < count / n * 0.6:
        fail(f"RandomAgent(6) chose the actions {counts.tolist()} times in {count} calls: not uniform")
    if first != again:
        fail("two RandomAgents with the same seed chose different actions", "use np.random.default_rng(seed)")
    if first == other:
        fail("RandomAgents with different seeds chose the same actions", "seed the agent's own generator")


@pytest.mark.points(3)
def test_discounted_return(student, seed):
    """discounted_return(rewards, gamma) = r_1 + gamma r_2 + ... for several gammas and lengths"""
    rng = np.random.default_rng(seed)
    for gamma in (0.0, 0.5, 0.9, 0.99, 1.0):
        for length in (1, 7, 40):
            rewards = rng.normal(size=length).round(3).tolist()
            got = student.call("basics.discounted_return", rewards, gamma)
            expected = reference.discounted_return(rewards, gamma)
            if not isinstance(got, (int, float)) or abs(got - expected) > 1e-9 * max(1.0, abs(expected)):
                hint = ""
                if isinstance(got, (int, float)):
                    if abs(got - sum(rewards)) < 1e-9:
                        hint = "the rewards are summed without discounting"
                    elif abs(got - reference.discounted_return(rewards[::-1], gamma)) < 1e-9:
                        hint = "the discount runs the wrong way: the first reward is undiscounted, the last "
                        hint += "is multiplied by gamma^(T-1)"
                fail(f"discounted_return({rewards}, {gamma}) should be {expected:.10g}, got {got!r}", hint)
