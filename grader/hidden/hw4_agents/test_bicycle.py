"""Hidden tests of bicycle.py: the environment step for step against the reference, seeding, invalid actions.

The student's BicycleEnv runs in the sandbox; the reference runs here. Both are reset with the same seeds and
fed the same random valid actions; every observation, reward and end flag must agree exactly (the handout
fixes how the bumps are drawn from self.np_random, so the same seed gives the same bumps).
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.compare import fail
from grader.sandbox import StudentRaised
from solutions.hw4_agents.bicycle import BicycleEnv


def _same_observation(got, expected: np.ndarray, what: str) -> None:
    array = np.asarray(got)
    if array.shape != expected.shape or array.dtype != expected.dtype:
        fail(
            f"{what}: the observation should be a float32 array of "
            f"shape (5,), got {array.dtype} {array.shape}",
            "return np.array([x, y, heading, speed, bump_ahead], dtype=np.float32)",
        )
    if not np.array_equal(array, expected):
        fail(
            f"{what}: observation {array.tolist()} should be {expected.tolist()} ([x, y, heading, speed, "
            "bump_ahead])",
            "follow the handout's order: steer, then pedal, then move cell by cell",
        )


def _episode(student, kwargs: dict, seed: int, rng: np.random.Generator, what: str) -> None:
    env = student.new("bicycle.BicycleEnv", **kwargs)
    mine = BicycleEnv(**kwargs)
    got = env.call("reset", seed=seed)
    expected, _ = mine.reset(seed=seed)
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        fail(f"{what}: reset should return (observation, info), got {type(got).__name__}")
    _same_observation(got[0], expected, f"{what}, reset(seed={seed})")
    for t in range(200):
        action = int(rng.integers(6))
        got = env.call("step", action)
        expected = mine.step(action)
        if not isinstance(got, (list, tuple)) or len(got) != 5:
            fail(
                f"{what}: step should return (observation, reward, terminated, truncated, info), got "
                f"{type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else "")
            )
        where = f"{what}, step {t + 1} (action {action})"
        _same_observation(got[0], expected[0], where)
        if not isinstance(got[1], float) or abs(got[1] - expected[1]) > 1e-9:
            fail(f"{where}: reward should be {expected[1]}, got {got[1]!r}")
        for index, name in ((2, "terminated"), (3, "truncated")):
            if got[index] is not expected[index]:
                fail(
                    f"{where}: {name} should be {expected[index]}, got {got[index]!r}",
                    "terminated: on the goal; truncated: max_steps taken without reaching it (a bool each)",
                )
        if expected[2] or expected[3]:
            return


@pytest.mark.points(5)
def test_bicycle_dynamics_match(student, seed, check):
    """episodes of random actions match the reference exactly: default grid, a bumpy one, a short limit"""
    rng = np.random.default_rng(seed)
    for name, kwargs in (
        ("default", {}),
        ("6x6 with 10 bumps", {"size": 6, "num_bumps": 10, "max_steps": 60}),
        ("step limit 8", {"max_steps": 8}),
    ):
        with check.part(name):
            for _ in range(4):
                _episode(student, kwargs, int(rng.integers(2**31)), rng, f"BicycleEnv({kwargs})")


@pytest.mark.points(3)
def test_bicycle_seeding_and_registration(student, seed, check):
    """reset(seed) is reproducible, seeds change the bumps, and gymnasium.make('BicycleGrid-v0') works"""
    with check.part("reset(seed=s) twice"):
        env = student.new("bicycle.BicycleEnv", size=6, num_bumps=12)
        layouts = []
        for s in (seed, seed, seed + 1, seed + 2, seed + 3):
            first = env.call("reset", seed=s)[0]
            # Pedal east, turn north, pedal on: the bumps met on the way show in the observations.
            steps = [env.call("step", a)[0] for a in (4, 4, 4, 3, 4, 4, 4, 4)]
            layouts.append([np.asarray(o).tolist() for o in (first, *steps)])
        if layouts[0] != layouts[1]:
            fail(
                "two resets with the same seed gave different episodes",
                "call super().reset(seed=seed) first and draw the bumps from self.np_random",
            )
        if all(layout == layouts[2] for layout in layouts[3:]):
            fail("resets with different seeds gave the same episodes: the bumps do not depend on the seed")
    with check.part("gymnasium.make('BicycleGrid-v0')"):
        env = student.new("basics.make_env", "BicycleGrid-v0")
        got = env.call("reset", seed=seed)
        expected, _ = BicycleEnv().reset(seed=seed)
        _same_observation(got[0], expected, "make_env('BicycleGrid-v0').reset")


@pytest.mark.points(2)
def test_bicycle_rejects_invalid_actions(student, check):
    """step() raises on actions outside Discrete(6): 6, -1, 2.5, [1, 0] (the course's [pedal, steer])"""
    env = student.new("bicycle.BicycleEnv")
    for action in (6, -1, 2.5, [1, 0]):
        with check.part(repr(action)):
            env.call("reset", seed=0)
            try:
                env.call("step", action)
            except StudentRaised:
                continue
            fail(
                f"step({action!r}) was accepted; it is not an action of Discrete(6)",
                "check self.action_space.contains(action) first and raise (ValueError or AssertionError)",
            )
