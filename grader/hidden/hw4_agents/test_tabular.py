"""Hidden tests of tabular.py: exploration and TD targets exactly or by frequencies; Q-learning and SARSA by
training in the sandbox (fixed budget, the grader's seed) and greedy rollouts the grader owns, on held-out
seeds.

Thresholds: the reference, measured over 20 training seeds (tests/data/hw4_thresholds.json), reaches a greedy
success rate on FrozenLake 4x4 (slippery) far above the bar; random play succeeds about 1.5% of the time.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from grader.compare import fail
from grader.rollouts import rollout
from solutions.hw4_agents import tabular as reference

LAKE = {"is_slippery": False}
EPISODES = 300
SUCCESS_BAR = 0.9  # the lake is deterministic: a learned greedy policy succeeds every time


def _frequencies(actions, n_actions: int) -> np.ndarray:
    actions = np.asarray(actions)
    if actions.ndim != 1 or not np.issubdtype(actions.dtype, np.integer):
        fail(
            "expected one integer action per row, got an array of shape "
            f"{actions.shape}, dtype {actions.dtype}"
        )
    return np.bincount(actions, minlength=n_actions)[:n_actions] / len(actions)


@pytest.mark.points(3)
def test_greedy_breaks_ties_at_random(student, seed):
    """greedy(q, rng) picks a maximal action per row, uniformly among ties, never a smaller one"""
    q = np.tile(np.array([[1.0, 3.0, 3.0, 0.5], [0.0, 0.0, 0.0, 0.0]]), (4000, 1))
    got = np.asarray(student.call("tabular.greedy", q, student.new("tabular.make_rng", seed).handle))
    if got.shape != (8000,):
        fail(f"greedy on a (8000, 4) table should return shape (8000,), got {got.shape}")
    first, second = _frequencies(got[0::2], 4), _frequencies(got[1::2], 4)
    if first[0] > 0 or first[3] > 0:
        fail(f"greedy chose non-maximal actions of [1, 3, 3, 0.5]: frequencies {first.round(3).tolist()}")
    if abs(first[1] - 0.5) > 0.04 or np.abs(second - 0.25).max() > 0.04:
        fail(
            f"ties should be broken uniformly at random: [1, 3, 3, 0.5] gave {first.round(3).tolist()}, "
            f"[0, 0, 0, 0] gave {second.round(3).tolist()}",
            "np.argmax always returns the first maximal action; pick at random among the maximal ones",
        )


@pytest.mark.points(3)
def test_epsilon_greedy_distribution(student, seed):
    """epsilon_greedy: probability epsilon/A for every action plus (1-epsilon)/k for each of k greedy ones"""
    q = np.tile(np.array([[1.0, 3.0, 3.0, 0.0]]), (20000, 1))
    for epsilon in (0.3, 1.0, 0.0):
        rng = student.new("tabular.make_rng", seed)
        got = _frequencies(student.call("tabular.epsilon_greedy", q, epsilon, rng.handle), 4)
        expected = np.full(4, epsilon / 4) + np.array([0, 1, 1, 0]) * (1 - epsilon) / 2
        if np.abs(got - expected).max() > 0.02:
            fail(
                f"epsilon_greedy(q=[1, 3, 3, 0], epsilon={epsilon}) chose the actions with frequencies "
                f"{got.round(3).tolist()}, expected about {expected.round(3).tolist()}",
                "explore with probability epsilon (uniform over all "
                "actions), else act greedily with random ties",
            )


@pytest.mark.points(2)
def test_linear_epsilon(student):
    """linear_epsilon decays from start to end over decay_steps, then stays at end"""
    for step, start, end, decay in (
        (0, 1.0, 0.05, 100),
        (50, 1.0, 0.05, 100),
        (100, 1.0, 0.05, 100),
        (250, 1.0, 0.05, 100),
        (3, 0.5, 0.1, 4),
    ):
        got = student.call("tabular.linear_epsilon", step, start, end, decay)
        expected = reference.linear_epsilon(step, start, end, decay)
        if not isinstance(got, (int, float)) or abs(got - expected) > 1e-9:
            hint = "epsilon must decay: start + (end - start) * min(step / decay_steps, 1)"
            fail(
                f"linear_epsilon(step={step}, start={start}, end={end}, decay_steps={decay}) should be "
                f"{expected:.6g}, got {got!r}",
                hint if isinstance(got, (int, float)) and got == start else "",
            )


def _target_case(rng: np.random.Generator, n: int = 64, n_actions: int = 4):
    rewards = rng.normal(size=n)
    next_q = rng.normal(size=(n, n_actions))
    terminated = rng.random(n) < 0.3
    next_actions = rng.integers(n_actions, size=n)
    return rewards, next_q, terminated, next_actions


def _close(got, expected, what: str, hints: list[tuple[np.ndarray, str]]) -> None:
    got = np.asarray(got, dtype=np.float64) if got is not None else None
    if got is None or got.shape != expected.shape:
        fail(f"{what} should have shape {expected.shape}, got {None if got is None else got.shape}")
    if not np.allclose(got, expected, atol=1e-9):
        hint = next((h for candidate, h in hints if np.allclose(got, candidate, atol=1e-9)), "")
        index = int(np.flatnonzero(~np.isclose(got, expected, atol=1e-9))[0])
        fail(f"{what}: entry {index} should be {expected[index]:.6g}, got {got[index]:.6g}", hint)


@pytest.mark.points(3)
def test_q_learning_target(student, seed):
    """q_learning_target = r + gamma max_a' Q(s', a') (1 - terminated), batched"""
    rewards, next_q, terminated, next_actions = _target_case(np.random.default_rng(seed))
    got = student.call("tabular.q_learning_target", rewards, next_q, terminated, 0.9)
    expected = reference.q_learning_target(rewards, next_q, terminated, 0.9)
    _close(
        got,
        expected,
        "q_learning_target(rewards (64,), next_q (64, 4), terminated (64,), 0.9)",
        [
            (
                rewards + 0.9 * next_q.max(1),
                "a terminated transition has no future: multiply by (1 - terminated)",
            ),
            (
                rewards + 0.9 * next_q[np.arange(64), next_actions] * ~terminated,
                "Q-learning bootstraps from the max",
            ),
        ],
    )


@pytest.mark.points(3)
def test_sarsa_target(student, seed):
    """sarsa_target = r + gamma Q(s', a') (1 - terminated) with a' the next action actually taken"""
    rewards, next_q, terminated, next_actions = _target_case(np.random.default_rng(seed))
    got = student.call("tabular.sarsa_target", rewards, next_q, next_actions, terminated, 0.9)
    expected = reference.sarsa_target(rewards, next_q, next_actions, terminated, 0.9)
    _close(
        got,
        expected,
        "sarsa_target(rewards (64,), next_q (64, 4), next_actions (64,), terminated, 0.9)",
        [
            (
                reference.q_learning_target(rewards, next_q, terminated, 0.9),
                "this is Q-learning's target (the max); SARSA bootstraps "
                "from Q(s', a') for the action actually taken",
            ),
            (
                rewards + 0.9 * next_q[np.arange(64), next_actions],
                "a terminated transition has no future: multiply by (1 - terminated)",
            ),
        ],
    )


def _trained_success(student, seed: int, method: str) -> float:
    agent = student.new(
        "tabular.train_td",
        "FrozenLake-v1",
        LAKE,
        method=method,
        seed=seed,
        episodes=EPISODES,
        max_seconds=120.0,
    )
    seeds = np.random.default_rng(seed + 1).integers(2**31, size=20).tolist()
    outcome = rollout(
        lambda obs, rewards: agent.call("act", obs),
        lambda: gym.make("FrozenLake-v1", **LAKE),
        seeds,
        what="TabularAgent.act",
    )
    return outcome.success_rate()


@pytest.mark.points(4)
@pytest.mark.timeout(150)
def test_q_learning_solves_frozen_lake(student, seed):
    """Q-learning, 300 episodes on the 4x4 lake (not slippery): the greedy policy reaches the goal"""
    success = _trained_success(student, seed, "q_learning")
    if success < SUCCESS_BAR:
        fail(
            f"after train_td(method='q_learning', episodes={EPISODES}) the greedy policy reached the goal in "
            f"{success:.0%} of 20 episodes; the bar is {SUCCESS_BAR:.0%} (random play: about 1.5%)",
            "check the TD update's sign and target, that epsilon decays, and that ties are broken at random",
        )


@pytest.mark.points(3)
@pytest.mark.timeout(150)
def test_sarsa_solves_frozen_lake(student, seed):
    """SARSA, 300 episodes on the 4x4 lake (not slippery): the greedy policy reaches the goal"""
    success = _trained_success(student, seed, "sarsa")
    if success < SUCCESS_BAR:
        fail(
            f"after train_td(method='sarsa', episodes={EPISODES}) the greedy policy reached the goal in "
            f"{success:.0%} of 20 episodes; the bar is {SUCCESS_BAR:.0%} (random play: about 1.5%)",
            "SARSA bootstraps from the next action the behaviour policy chose, and then takes that action",
        )
