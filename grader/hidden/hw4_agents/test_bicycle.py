"""Hidden tests of bicycle.py: the environment step for step against the reference, seeding, invalid actions.

The student's BicycleEnv runs in the sandbox; the reference runs here. Both are reset with the same seeds and
fed the same random valid actions; every observation, reward and end flag must agree exactly (the handout
fixes how the bumps are drawn from self.np_random, so the same seed gives the same bumps).
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.suite import StudentRaised, fail
from solutions.hw4_agents.bicycle import BUMP_REWARD, STEP_REWARD, BicycleEnv


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
            "bump_ahead])"
        )


STANDING_HINT = (
    "the bump costs -0.1 when the bicycle enters a bump cell during the step; standing on one (speed 0, "
    "no move) costs the usual -0.01"
)


def _state(env: BicycleEnv) -> str:
    x, y = (int(v) for v in env.position)
    return f"x={x}, y={y}, heading={env.heading}, speed={env.speed}"


def _episode(student, kwargs: dict, seed: int, actions, what: str) -> None:
    """Reset both environments with `seed` and play `actions` (an iterable of ints) until the episode ends.

    Every failure names the reset seed, the actions played so far and the reference's state before the step,
    so that the episode can be replayed.
    """
    env = student.new("bicycle.BicycleEnv", **kwargs)
    mine = BicycleEnv(**kwargs)
    got = env.call("reset", seed=seed)
    expected, _ = mine.reset(seed=seed)
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        fail(f"{what}: reset should return (observation, info), got {type(got).__name__}")
    bumps = [tuple(int(v) for v in cell) for cell in np.argwhere(mine.bumps)]
    _same_observation(got[0], expected, f"{what}, reset(seed={seed}) (the bumps at (x, y) {bumps})")
    played: list[int] = []
    for t, action in enumerate(actions):
        before, on_bump = _state(mine), bool(mine.bumps[tuple(mine.position)])
        got = env.call("step", action)
        expected = mine.step(action)
        if not isinstance(got, (list, tuple)) or len(got) != 5:
            fail(
                f"{what}: step should return (observation, reward, terminated, truncated, info), got "
                f"{type(got).__name__}" + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else "")
            )
        where = (
            f"{what}, reset(seed={seed}) (bumps at (x, y) {bumps}), then actions {played}: step {t + 1} "
            f"(action {action}) from {before}"
        )
        played.append(action)
        _same_observation(got[0], expected[0], where)
        if not isinstance(got[1], float) or abs(got[1] - expected[1]) > 1e-9:
            standing = on_bump and expected[1] == STEP_REWARD and got[1] == BUMP_REWARD
            hint = STANDING_HINT if standing else ""
            fail(f"{where}: reward should be {expected[1]}, got {got[1]!r}", hint)
        for index, name in ((2, "terminated"), (3, "truncated")):
            if got[index] is not expected[index]:
                fail(
                    f"{where}: {name} should be {expected[index]}, got {got[index]!r}",
                    "terminated: on the goal; truncated: max_steps taken without reaching it (a bool each)",
                )
        if expected[2] or expected[3]:
            return


def _random_actions(rng: np.random.Generator):
    while True:
        yield int(rng.integers(6))


def _bump_at(cell: tuple[int, int], rng: np.random.Generator, kwargs: dict) -> int:
    """A reset seed whose bumps include `cell` (a deterministic search, so every grading seed has one)."""
    env = BicycleEnv(**kwargs)
    for candidate in rng.integers(2**31, size=1000).tolist():
        env.reset(seed=candidate)
        if env.bumps[cell]:
            return candidate
    raise RuntimeError(f"no seed puts a bump at {cell}")


@pytest.mark.points(5)
def test_bicycle_dynamics_match(student, seed, check):
    """episodes match the reference exactly: random actions on three grids; a bump entered, stood on, left"""
    rng = np.random.default_rng(seed)
    for name, kwargs in (
        ("default", {}),
        ("6x6 with 10 bumps", {"size": 6, "num_bumps": 10, "max_steps": 60}),
        ("step limit 8", {"max_steps": 8}),
    ):
        with check.part(name):
            for _ in range(4):
                seed_ = int(rng.integers(2**31))
                _episode(student, kwargs, seed_, _random_actions(rng), f"BicycleEnv({kwargs})")
    with check.part("entering a bump, standing on it, leaving it"):
        # Pedal east into the bump at (1, 0), coast on it twice (speed stays 0: the bicycle stands on the
        # bump), turn left on it, then pedal north off it.
        kwargs = {"num_bumps": 8}
        _episode(
            student,
            kwargs,
            _bump_at((1, 0), rng, kwargs),
            [4, 1, 1, 0, 4, 4],
            f"BicycleEnv({kwargs})",
        )


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
