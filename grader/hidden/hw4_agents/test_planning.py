"""Hidden tests of planning.py: value and policy iteration, exact against the reference to 1e-6.

The model crosses to the sandbox as nested lists, P[s][a] = [[p, s', r, terminated], ...], which indexes and
unpacks like Gymnasium's dict of lists of tuples. Maps include FrozenLake's named ones and maps the student
never saw (gymnasium's generate_random_map with the grader's seed), and hand-made MDPs in which a terminating
transition points at a state with a large value (FrozenLake's terminal states have value 0, which hides the
bug of bootstrapping past the end of an episode). A greedy policy passes when each of its actions is optimal
for the reference's Q to 1e-6 (ties may go either way).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import generate_random_map

from grader.suite import fail
from solutions.hw4_agents import planning as reference

GAMMA = 0.9  # short horizons keep a hand-written sweep fast: about 220 sweeps to 1e-10


def _plain(P, n_states: int, n_actions: int) -> list:
    return [
        [[[float(p), int(s2), float(r), bool(t)] for p, s2, r, t in P[s][a]] for a in range(n_actions)]
        for s in range(n_states)
    ]


def _frozen_lake(**kwargs):
    env = gym.make("FrozenLake-v1", **kwargs).unwrapped
    return env.P, env.observation_space.n, env.action_space.n


def _random_mdp(rng: np.random.Generator, n_states: int = 6, n_actions: int = 3) -> dict:
    P = {}
    for s in range(n_states):
        P[s] = {}
        for a in range(n_actions):
            outcomes = []
            probabilities = rng.dirichlet(np.ones(2))
            for p in probabilities:
                outcomes.append(
                    (
                        float(p),
                        int(rng.integers(n_states)),
                        round(float(rng.normal()), 2),
                        bool(rng.random() < 0.3),
                    )
                )
            P[s][a] = outcomes
    return P


def _trap_mdp() -> dict:
    """A terminating transition (state 0, action 1) lands on state 2, whose value is 2 / (1 - gamma)."""
    return {
        0: {0: [(1.0, 1, 0.0, False)], 1: [(1.0, 2, 1.0, True)]},
        1: {0: [(1.0, 0, 0.5, False)], 1: [(1.0, 1, 0.0, True)]},
        2: {0: [(1.0, 2, 2.0, False)], 1: [(1.0, 2, 2.0, False)]},
    }


def _check(student, function: str, P, n_states: int, n_actions: int, what: str) -> None:
    expected_v, _ = reference.value_iteration(P, n_states, n_actions, GAMMA, 1e-12)
    q = reference.q_from_v(P, n_states, n_actions, expected_v, GAMMA)
    got = student.call(
        f"planning.{function}", _plain(P, n_states, n_actions), n_states, n_actions, GAMMA, 1e-10
    )
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        fail(f"{function} on {what} should return (V, policy), got {type(got).__name__}")
    v, policy = (np.asarray(x) for x in got)
    if v.shape != (n_states,) or policy.shape != (n_states,):
        fail(
            f"{function} on {what}: V and policy should have shape "
            f"({n_states},), got {v.shape} and {policy.shape}"
        )
    wrong = np.flatnonzero(np.abs(v.astype(np.float64) - expected_v) > 1e-6)
    if wrong.size:
        s = int(wrong[0])
        hint = ""
        bootstrapped, _ = _bootstrapping_terminals(P, n_states, n_actions)
        if np.allclose(v, bootstrapped, atol=1e-5):
            hint = (
                "a terminated transition must not add gamma * "
                "V[next_state]: the episode ends there, whatever "
                "value the next state has"
            )
        fail(
            f"{function} on {what}: V[{s}] should be {expected_v[s]:.8f}, got {float(v[s]):.8f} "
            f"({wrong.size} of {n_states} states differ by more than 1e-6)",
            hint,
        )
    if not np.issubdtype(policy.dtype, np.integer):
        fail(f"{function} on {what}: the policy should hold integer actions, got dtype {policy.dtype}")
    chosen = q[np.arange(n_states), np.clip(policy, 0, n_actions - 1)]
    bad = np.flatnonzero((policy < 0) | (policy >= n_actions) | (chosen < q.max(axis=1) - 1e-6))
    if bad.size:
        s = int(bad[0])
        fail(
            f"{function} on {what}: the policy's action "
            f"{int(policy[s])} in state {s} is not greedy: Q[{s}] = "
            f"{np.round(q[s], 6).tolist()}",
            "the policy is argmax_a Q(s, a) for the final V",
        )


def _bootstrapping_terminals(P, n_states, n_actions):
    """The answer of the usual bug (terminal transitions bootstrapped), for hints."""
    open_P = {
        s: {a: [(p, s2, r, False) for p, s2, r, _ in P[s][a]] for a in range(n_actions)}
        for s in range(n_states)
    }
    return reference.value_iteration(open_P, n_states, n_actions, GAMMA, 1e-10)


@pytest.mark.points(4)
@pytest.mark.timeout(60)
def test_value_iteration_frozen_lake(student, check):
    """value_iteration on FrozenLake 4x4 and 8x8, slippery and not: V and a greedy policy to 1e-6"""
    for map_name in ("4x4", "8x8"):
        for slippery in (True, False):
            with check.part(f"{map_name}, is_slippery={slippery}"):
                P, n_s, n_a = _frozen_lake(map_name=map_name, is_slippery=slippery)
                _check(
                    student, "value_iteration", P, n_s, n_a, f"FrozenLake {map_name} is_slippery={slippery}"
                )


@pytest.mark.points(3)
@pytest.mark.timeout(60)
def test_value_iteration_unseen_maps(student, seed, check):
    """value_iteration on random maps generated with the grader's seed, and on random MDPs"""
    rng = np.random.default_rng(seed)
    for size in (5, 7):
        with check.part(f"random {size}x{size} map"):
            desc = generate_random_map(size=size, p=0.8, seed=int(rng.integers(2**31)))
            P, n_s, n_a = _frozen_lake(desc=desc, is_slippery=True)
            _check(student, "value_iteration", P, n_s, n_a, f"the slippery map {desc}")
    with check.part("random MDPs"):
        for _ in range(3):
            _check(student, "value_iteration", _random_mdp(rng), 6, 3, "a random 6-state MDP")


@pytest.mark.points(4)
@pytest.mark.timeout(60)
def test_policy_iteration(student, seed, check):
    """policy_iteration reaches the same V and a greedy policy: FrozenLake 4x4/8x8 and a random map"""
    rng = np.random.default_rng(seed)
    for map_name in ("4x4", "8x8"):
        with check.part(f"{map_name} slippery"):
            P, n_s, n_a = _frozen_lake(map_name=map_name, is_slippery=True)
            _check(student, "policy_iteration", P, n_s, n_a, f"FrozenLake {map_name} is_slippery=True")
    with check.part("random map and MDPs"):
        desc = generate_random_map(size=6, p=0.8, seed=int(rng.integers(2**31)))
        P, n_s, n_a = _frozen_lake(desc=desc, is_slippery=True)
        _check(student, "policy_iteration", P, n_s, n_a, f"the slippery map {desc}")
        _check(student, "policy_iteration", _random_mdp(rng), 6, 3, "a random 6-state MDP")


@pytest.mark.points(3)
@pytest.mark.timeout(60)
def test_planning_stops_at_terminal_transitions(student, check):
    """no bootstrapping past a terminated transition, in value iteration and in policy iteration"""
    for function in ("value_iteration", "policy_iteration"):
        with check.part(function):
            _check(
                student,
                function,
                _trap_mdp(),
                3,
                2,
                "a 3-state MDP whose terminating transition lands on a state of value 20",
            )


def _endless_mdp() -> dict:
    """Two states, each looping on itself at -1 per step under action 0; action 1 terminates.

    With gamma = 1 the policy 'always 0' has no finite value: only the sweep cap ends its evaluation (each
    state depends only on itself, so in-place and synchronous sweeps agree).
    """
    return {
        0: {0: [(1.0, 0, -1.0, False)], 1: [(1.0, 1, 0.0, True)]},
        1: {0: [(1.0, 1, -1.0, False)], 1: [(1.0, 0, 0.0, True)]},
    }


@pytest.mark.points(3)
@pytest.mark.timeout(5)
def test_policy_evaluation(student, seed, check):
    """policy_evaluation: V^pi of a fixed policy to 1e-6; it stops after max_sweeps when V diverges, and
    once a sweep changes V by less than theta"""
    rng = np.random.default_rng(seed)
    with check.part("a random MDP and policy, gamma 0.9"):
        for _ in range(3):
            P, policy = _random_mdp(rng), rng.integers(3, size=6)
            expected = reference.policy_evaluation(P, 6, 3, policy, GAMMA, 1e-12)
            got = np.asarray(
                student.call("planning.policy_evaluation", _plain(P, 6, 3), 6, 3, policy, GAMMA, 1e-10),
                dtype=np.float64,
            )
            if got.shape != (6,) or not np.allclose(got, expected, atol=1e-6):
                fail(
                    f"policy_evaluation on a random 6-state MDP, policy {policy.tolist()}: V should be "
                    f"{np.round(expected, 6).tolist()}, got {np.round(got, 6).tolist()}"
                )
    with check.part("a policy that never terminates, gamma 1"):
        policy = np.zeros(2, dtype=np.int64)
        sweeps = int(rng.integers(20, 60))
        expected = reference.policy_evaluation(_endless_mdp(), 2, 2, policy, 1.0, 1e-10, max_sweeps=sweeps)
        got = np.asarray(
            student.call(
                "planning.policy_evaluation",
                _plain(_endless_mdp(), 2, 2),
                2,
                2,
                policy,
                1.0,
                1e-10,
                max_sweeps=sweeps,
            ),
            dtype=np.float64,
        )
        if got.shape != (2,) or not np.allclose(got, expected, atol=1e-9):
            fail(
                f"policy_evaluation(gamma=1, max_sweeps={sweeps}) of a policy that loops for ever at -1 per "
                f"step should stop after {sweeps} sweeps with V = {expected.tolist()}, got {got.tolist()}",
                "stop after max_sweeps sweeps even when the change never falls below theta",
            )
    with check.part("it stops once a sweep changes V by less than theta"):
        # gamma 0.5 and -1 per step: V_n = -(2 - 2^(1-n)) after n sweeps, each change half the last. With a
        # large theta the sweeps stop well before V reaches -2; a stopping test that never holds runs on to
        # max_sweeps and returns the converged V. (V of the sweep before the last one is accepted too.)
        theta = float(rng.choice([0.3, 0.1, 0.03]))
        policy = np.zeros(2, dtype=np.int64)
        expected = reference.policy_evaluation(_endless_mdp(), 2, 2, policy, 0.5, theta)
        sweeps = next(
            n
            for n in range(1, 100)
            if np.array_equal(
                reference.policy_evaluation(_endless_mdp(), 2, 2, policy, 0.5, theta, max_sweeps=n), expected
            )
        )
        before = reference.policy_evaluation(_endless_mdp(), 2, 2, policy, 0.5, theta, max_sweeps=sweeps - 1)
        got = np.asarray(
            student.call(
                "planning.policy_evaluation", _plain(_endless_mdp(), 2, 2), 2, 2, policy, 0.5, theta
            ),
            dtype=np.float64,
        )
        if got.shape != (2,) or not (
            np.allclose(got, expected, atol=1e-9) or np.allclose(got, before, atol=1e-9)
        ):
            fail(
                f"policy_evaluation(gamma=0.5, theta={theta}) of a policy that loops at -1 per step should "
                f"stop after {sweeps} sweeps, when the change of V first falls below theta, with V = "
                f"{expected.tolist()}; got {got.tolist()}",
                "stop as soon as the largest change of a sweep, max |new_V - V|, is below theta",
            )
