"""grader.suite.rollouts: the grader's own rollouts; each action is checked before the environment sees it."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from grader.suite.compare import GradingFailure
from grader.suite.rollouts import check_actions, rollout


def _cartpole():
    return gym.make("CartPole-v1")


def _manual_returns(policy, seeds):
    returns = []
    for seed in seeds:
        env = _cartpole()
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(int(policy(obs[None])[0]))
            total += reward
            done = terminated or truncated
        returns.append(total)
    return returns


def _lean(obs: np.ndarray) -> np.ndarray:
    return (obs[:, 2] + 0.5 * obs[:, 3] > 0).astype(np.int64)


def test_rollout_counts_returns_like_a_plain_loop():
    seeds = [3, 4, 5, 6]
    outcome = rollout(lambda obs, rewards: _lean(obs), _cartpole, seeds)
    assert outcome.returns.tolist() == _manual_returns(_lean, seeds)
    assert outcome.lengths.tolist() == outcome.returns.astype(int).tolist()
    assert (outcome.terminated ^ outcome.truncated).all()


def test_rollout_is_reproducible_and_passes_rewards():
    seen = []

    def policy(obs, rewards):
        seen.append(rewards.copy())
        return np.zeros(len(obs), dtype=np.int64)

    first = rollout(policy, _cartpole, [1, 2])
    assert (seen[0] == 0).all() and (seen[1] == 1).all()
    again = rollout(lambda obs, rewards: np.zeros(len(obs), dtype=np.int64), _cartpole, [1, 2])
    assert first.returns.tolist() == again.returns.tolist()


def test_max_steps_truncates():
    outcome = rollout(lambda obs, rewards: _lean(obs), _cartpole, [0, 1], max_steps=7)
    assert outcome.lengths.tolist() == [7, 7] and outcome.truncated.all() and not outcome.terminated.any()


def test_success_rate_counts_terminated_positive_returns():
    outcome = rollout(
        lambda obs, rewards: np.full(len(obs), 2),
        lambda: gym.make("FrozenLake-v1", is_slippery=False),
        [0, 1],
        max_steps=10,
    )
    assert outcome.success_rate() == 0.0 and outcome.truncated.all()


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        (np.array([0, 2]), "contained 2 (episode 1), which is not an action of Discrete(2)"),
        (np.array([0.0, 1.0]), "should be integers of Discrete(2), but had dtype float64"),
        (np.zeros((2, 4), dtype=np.float32), "should be 2 actions, one per observation (shape (2,))"),
        (np.array([[0], [1]]), "should be 2 actions, one per observation (shape (2,))"),
        ("left", "should be 2 actions"),
        (None, "should be 2 actions"),
        (np.array([True, False]), "should be integers"),
        (np.array([-1, 0]), "contained -1 (episode 0)"),
    ],
)
def test_invalid_actions_fail_with_a_clear_message(actions, message):
    with pytest.raises(GradingFailure) as caught:
        check_actions(actions, gym.spaces.Discrete(2), 2, what="the actions")
    assert message in caught.value.message


def test_an_invalid_action_fails_the_rollout_before_the_environment_sees_it():
    with pytest.raises(GradingFailure, match="at step 0"):
        rollout(lambda obs, rewards: obs, _cartpole, [0, 1])  # the course's bug: states fed as actions


def test_valid_actions_come_back_as_int64():
    assert check_actions([1, 0, 1], gym.spaces.Discrete(2), 3, what="a").dtype == np.int64
