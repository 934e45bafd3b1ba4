"""Public tests for assignment 4 (RL agents): run them with `python check.py` in the assignment folder.

They check each step against Gymnasium, PyTorch or a value worked out by hand, and the properties any correct
answer has. The hidden tests do more (other maps, exact comparisons, training under a fixed budget evaluated
on
held-out seeds), so passing these is necessary but not sufficient. `-k step3` runs one step's tests.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.utils.env_checker import check_env
from hw4_agents.basics import RandomAgent, ScriptedAgent, discounted_return, make_env, run
from hw4_agents.bicycle import BicycleEnv
from hw4_agents.decision_transformer import DecisionTransformer, make_dt_agent
from hw4_agents.dyna import TabularModel
from hw4_agents.planning import policy_evaluation, policy_iteration, value_iteration
from hw4_agents.reinforce import action_probabilities, reinforce_loss, returns_to_go, sample_actions
from hw4_agents.tabular import epsilon_greedy, greedy, linear_epsilon, q_learning_target, sarsa_target

# ---------------------------------------------------------------- step 1: the loop


def test_step1_run_stops_on_a_hole_and_keeps_the_flags_apart() -> None:
    env = make_env("FrozenLake-v1", is_slippery=False)
    record = run(ScriptedAgent([2, 1]), env, 100, seed=0)  # right, down: the hole at state 5
    assert record["observations"] == [0, 1, 5]
    assert record["rewards"] == [0.0, 0.0]
    assert record["terminated"] is True and record["truncated"] is False


def test_step1_max_steps_is_a_truncation() -> None:
    record = run(ScriptedAgent([0]), make_env("FrozenLake-v1", is_slippery=False), 3, seed=0)
    assert len(record["actions"]) == 3 and len(record["observations"]) == 4
    assert record["terminated"] is False and record["truncated"] is True


def test_step1_random_agent_is_seeded() -> None:
    first = [RandomAgent(4, seed=1).act(None) for _ in range(1)]
    a, b = RandomAgent(4, seed=1), RandomAgent(4, seed=1)
    assert [a.act(None) for _ in range(50)] == [b.act(None) for _ in range(50)]
    assert all(0 <= x < 4 for x in first)


def test_step1_discounted_return() -> None:
    assert discounted_return([1.0, 1.0, 1.0], 0.5) == pytest.approx(1.75)
    assert discounted_return([0.0, 0.0, 1.0], 0.9) == pytest.approx(0.81)


# ---------------------------------------------------------------- step 2: planning


def test_step2_value_iteration_on_the_deterministic_lake() -> None:
    env = gym.make("FrozenLake-v1", is_slippery=False).unwrapped
    V, policy = value_iteration(env.P, 16, 4, gamma=0.9)
    assert V[14] == pytest.approx(1.0)  # one step right of the goal: reward 1, then nothing
    assert V[0] == pytest.approx(0.9**5)  # six steps from the goal
    assert V[5] == 0.0 and V[15] == 0.0  # a hole and the goal itself: nothing more to collect
    assert policy.shape == (16,) and policy[14] == 2


def test_step2_policy_iteration_agrees_with_value_iteration() -> None:
    env = gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True).unwrapped
    v1, _ = value_iteration(env.P, 16, 4, gamma=0.9)
    v2, _ = policy_iteration(env.P, 16, 4, gamma=0.9)
    np.testing.assert_allclose(v1, v2, atol=1e-6)


def test_step2_policy_evaluation_stops_after_max_sweeps() -> None:
    # Action 0 walks into the wall at -1 a step for ever: with gamma = 1 the value never converges.
    endless = {0: {0: [(1.0, 0, -1.0, False)], 1: [(1.0, 0, 0.0, True)]}}
    V = policy_evaluation(endless, 1, 2, np.zeros(1, dtype=np.int64), gamma=1.0, max_sweeps=25)
    assert V[0] == pytest.approx(-25.0)  # the return of the first 25 steps


# ---------------------------------------------------------------- step 3: Q-learning and SARSA


def test_step3_greedy_ties_are_random() -> None:
    picks = greedy(np.zeros((2000, 3)), np.random.default_rng(0))
    assert set(np.unique(picks)) == {0, 1, 2}


def test_step3_epsilon_greedy_and_schedule() -> None:
    q = np.tile([[0.0, 1.0]], (4000, 1))
    picks = epsilon_greedy(q, 0.5, np.random.default_rng(0))
    assert 0.7 < picks.mean() < 0.8  # 1 - epsilon/2
    assert linear_epsilon(0, 1.0, 0.1, 10) == 1.0 and linear_epsilon(5, 1.0, 0.1, 10) == pytest.approx(0.55)
    assert linear_epsilon(99, 1.0, 0.1, 10) == pytest.approx(0.1)


def test_step3_td_targets() -> None:
    next_q = np.array([[1.0, 3.0], [2.0, 0.0]])
    np.testing.assert_allclose(q_learning_target([1.0, 1.0], next_q, [False, True], 0.5), [2.5, 1.0])
    np.testing.assert_allclose(sarsa_target([1.0, 1.0], next_q, [0, 0], [False, False], 0.5), [1.5, 2.0])


# ---------------------------------------------------------------- step 4: Dyna-Q


def test_step4_model_replays_what_it_saw() -> None:
    model = TabularModel(10, 4)
    model.update(3, 1, 0.5, 4, False)
    model.update(3, 1, 1.0, 7, True)  # the latest outcome wins
    samples = model.sample_many(20, seed=0)
    assert all(sample == [3, 1, 1.0, 7, True] for sample in samples)


# ---------------------------------------------------------------- step 5: the bicycle


def test_step5_bicycle_passes_gymnasiums_checker() -> None:
    check_env(BicycleEnv(), skip_render_check=True)


def test_step5_bicycle_is_registered_and_seeded() -> None:
    env = make_env("BicycleGrid-v0")
    first = [env.reset(seed=3)[0]] + [env.step(4)[0] for _ in range(5)]
    again = [env.reset(seed=3)[0]] + [env.step(4)[0] for _ in range(5)]
    np.testing.assert_array_equal(np.array(first), np.array(again))
    with pytest.raises((ValueError, AssertionError)):
        env.unwrapped.step(6)


# ---------------------------------------------------------------- step 6: REINFORCE


def test_step6_returns_to_go() -> None:
    torch.testing.assert_close(
        returns_to_go(torch.tensor([1.0, 1.0, 1.0]), 0.5).float(), torch.tensor([1.75, 1.5, 1.0])
    )


def test_step6_sampling_follows_softmax() -> None:
    logits = torch.tensor([[0.0, -2.0, 1.0]]).repeat(20000, 1)
    actions = sample_actions(logits, torch.Generator().manual_seed(0))
    frequencies = torch.bincount(actions, minlength=3).double() / 20000
    torch.testing.assert_close(frequencies, action_probabilities(logits[0]).double(), atol=0.015, rtol=0)


def test_step6_loss_matches_log_softmax() -> None:
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    actions, weights = torch.tensor([0, 1, 2, 1, 0]), torch.tensor([1.0, -1.0, 0.5, 2.0, 0.0])
    expected = -(torch.log_softmax(logits, -1)[torch.arange(5), actions] * weights).mean()
    torch.testing.assert_close(reinforce_loss(logits, actions, weights), expected)


# ---------------------------------------------------------------- step 7: Decision Transformer


def test_step7_dt_is_causal_and_the_agent_acts() -> None:
    torch.manual_seed(0)
    model = DecisionTransformer(
        {"state_dim": 5, "n_actions": 6, "hidden": 16, "n_layers": 1, "context": 4}
    ).eval()
    rtg, states = torch.randn(2, 4), torch.randn(2, 4, 5)
    actions, steps = torch.randint(6, (2, 4)), torch.arange(4).expand(2, 4)
    logits = model(rtg, states, actions, steps)
    assert logits.shape == (2, 4, 6)
    changed = actions.clone()
    changed[:, -1] = (changed[:, -1] + 1) % 6  # a_t must not influence the prediction of a_t
    torch.testing.assert_close(model(rtg, states, changed, steps), logits)
    agent = make_dt_agent(model, target_return=1.0)
    first = agent.act(np.zeros((3, 5), np.float32), np.zeros(3))
    assert first.shape == (3,) and all(0 <= a < 6 for a in first)
