"""Hidden tests of tabular.py: exploration and TD targets exactly or by frequencies; Q-learning and SARSA by
training in the sandbox (fixed budget, the grader's seed) and greedy rollouts the grader owns, on held-out
seeds.

Thresholds: on FrozenLake 4x4 (not slippery), trained from optimistic values (initial_q=1, alpha=0.5, a
constant epsilon of 0.1), the reference's greedy policy succeeds every time after 300 episodes; training
passes when one of up to three seeds clears the bar (0 failures in 20 grading seeds for either method; from
a zero table, where the only reward must first be found by a lucky random walk, about 3 training seeds in 40
missed it). Random play succeeds about 1.5% of the time. The update rules themselves are checked exactly, by
replaying train_td's run update by update (below).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from grader.suite import fail, first_difference, rollout
from solutions.hw4_agents import tabular as reference

LAKE = {"is_slippery": False}
EPISODES = 300
# Optimistic initial values (Q = 1, the most the lake pays), a large step size and a constant epsilon:
# training explores the lake systematically instead of waiting for a random walk to find the goal, so the
# outcome depends little on the exploration's luck, and not at all on linear_epsilon (tested directly, and
# by the replay).
TRAINING = {"alpha": 0.5, "initial_q": 1.0, "epsilon_start": 0.1, "epsilon_end": 0.1}
SUCCESS_BAR = 0.9  # the lake is deterministic: a learned greedy policy succeeds every time
TRAINING_SEEDS = 3


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


@pytest.mark.points(2)
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


def _trained_success(student, seed: int, method: str) -> list[float]:
    """Greedy success rates of agents trained on up to TRAINING_SEEDS seeds, until one clears the bar.

    From a zero table the lake's only reward must first be found by exploring, which a run misses now and then
    (the reference on about 3 seeds in 40); the update rules themselves are checked exactly by the replay
    below, so this test asks only that training works on one of three seeds.
    """
    rates = []
    for train_seed in np.random.default_rng(seed).integers(2**31, size=TRAINING_SEEDS).tolist():
        agent = student.new(
            "tabular.train_td",
            "FrozenLake-v1",
            LAKE,
            method=method,
            seed=train_seed,
            episodes=EPISODES,
            **TRAINING,
            max_seconds=40.0,
        )
        seeds = np.random.default_rng(train_seed + 1).integers(2**31, size=20).tolist()
        outcome = rollout(
            lambda obs, rewards, agent=agent: agent.call("act", obs),
            lambda: gym.make("FrozenLake-v1", **LAKE),
            seeds,
            what="TabularAgent.act",
        )
        rates.append(outcome.success_rate())
        if rates[-1] >= SUCCESS_BAR:
            break
    return rates


@pytest.mark.points(2)
@pytest.mark.timeout(150)
def test_q_learning_solves_frozen_lake(student, seed):
    """Q-learning, 300 episodes on the 4x4 lake (not slippery): the greedy policy reaches the goal"""
    success = _trained_success(student, seed, "q_learning")
    if max(success) < SUCCESS_BAR:
        fail(
            f"after train_td(method='q_learning', episodes={EPISODES}) with {len(success)} seeds the greedy "
            f"policies reached the goal in {', '.join(f'{s:.0%}' for s in success)} of 20 episodes; "
            f"the bar is {SUCCESS_BAR:.0%} for one of them (random play: about 1.5%)"
        )


@pytest.mark.points(2)
@pytest.mark.timeout(150)
def test_sarsa_solves_frozen_lake(student, seed):
    """SARSA, 300 episodes on the 4x4 lake (not slippery): the greedy policy reaches the goal"""
    success = _trained_success(student, seed, "sarsa")
    if max(success) < SUCCESS_BAR:
        fail(
            f"after train_td(method='sarsa', episodes={EPISODES}) with {len(success)} seeds the greedy "
            f"policies reached the goal in {', '.join(f'{s:.0%}' for s in success)} of 20 episodes; "
            f"the bar is {SUCCESS_BAR:.0%} for one of them (random play: about 1.5%)"
        )


# -- the training loop, replayed update by update --------------------------------------------------------
#
# train_td runs in the sandbox and returns its table. The grader then replays the same run here: its own
# environment reset with the same seed, every action asked of *your* epsilon_greedy with a generator seeded
# like train_td's, every update applied here. Your table must match the replay exactly, so every update rule
# is checked, not only what training achieves. The slippery lake makes the environment's randomness matter (a
# reset that re-seeds every episode replays the same slips); the short time limit and the optimistic initial
# values (Q = 1 everywhere, the terminal states included) make truncated and terminated steps show in the
# table; the training seed is chosen so that the run has both, whatever the grading seed.

REPLAY_ENV, REPLAY_KWARGS = "FrozenLake-v1", {"is_slippery": True, "max_episode_steps": 8}
REPLAY = {"episodes": 12, "alpha": 0.5, "gamma": 0.9, "epsilon_start": 1.0, "epsilon_end": 0.05}
REPLAY_DECAY = 0.5
INITIAL_Q = 1.0
# Orders the docstring allows: (when to choose the next action, after which final steps it is still drawn).
TD_ORDERS = {
    "sarsa": (("next", "always"), ("next", "unless terminated")),
    "q_learning": (("next", "always"), ("next", "unless terminated"), ("next", "never"), ("top", "never")),
}
TD_BUGS = {
    "fresh": "SARSA must take the action a' it bootstrapped from: draw no fresh action for the next step",
    "per_step": "epsilon is set once per episode, linear_epsilon(episode, ...), not recomputed every step",
    "truncation": "a truncated step still bootstraps: only terminated drops gamma * Q(s', .) from the target",
    "reseed": "reset with seed only for the first episode (seed=None afterwards), or every episode replays "
    "the same randomness",
}


def td_replay(
    choose, method: str, seed: int, order=("next", "always"), bug: str = ""
) -> tuple[np.ndarray, set]:
    """The table train_td should return, actions from `choose(q, state, epsilon)`; and how episodes ended.

    `order` is (when the next action is chosen: "next" right after a step, or "top" of the next step; after
    an episode's last step, whether it is still drawn: "always", "unless terminated" or "never");
    `bug` replays a known mistake instead (a key of TD_BUGS), for hints.
    """
    when, draw_at_end = order
    env = gym.make(REPLAY_ENV, **REPLAY_KWARGS)
    q = np.full((env.observation_space.n, env.action_space.n), INITIAL_Q)
    episodes = REPLAY["episodes"]
    decay = int(REPLAY_DECAY * episodes)
    start, end = REPLAY["epsilon_start"], REPLAY["epsilon_end"]
    steps, endings = 0, set()
    for episode in range(episodes):
        epsilon = reference.linear_epsilon(steps if bug == "per_step" else episode, start, end, decay)
        state, _ = env.reset(seed=seed if episode == 0 or bug == "reseed" else None)
        action = choose(q, state, epsilon) if when == "next" else None
        while True:
            if when == "top":
                action = choose(q, state, epsilon)
            next_state, reward, terminated, truncated, _ = env.step(action)
            steps += 1
            if bug == "per_step":
                epsilon = reference.linear_epsilon(steps, start, end, decay)
            needed = method == "sarsa" and not terminated  # SARSA bootstraps from a' after a truncation
            skip = (draw_at_end == "unless terminated" and terminated) or (
                draw_at_end == "never" and (terminated or truncated) and not needed
            )
            next_action = None
            if when == "next" and not skip:
                next_action = choose(q, next_state, epsilon)
            ended = terminated or (truncated and bug == "truncation")
            if method == "sarsa":
                future = 0.0 if ended else q[next_state, next_action]
            else:
                future = 0.0 if ended else q[next_state].max()
            q[state, action] += REPLAY["alpha"] * (reward + REPLAY["gamma"] * future - q[state, action])
            if terminated or truncated:
                endings.add("terminated" if terminated else "truncated")
                break
            state = next_state
            action = choose(q, state, epsilon) if bug == "fresh" else next_action
    env.close()
    return q, endings


def local_chooser(seed: int):
    rng = np.random.default_rng(seed)
    return lambda q, state, epsilon: int(reference.epsilon_greedy(q[[state]], epsilon, rng)[0])


def remote_chooser(student, seed: int):
    rng = student.new("tabular.make_rng", seed)

    def choose(q, state, epsilon):
        got = np.asarray(student.call("tabular.epsilon_greedy", q[[state]], epsilon, rng.handle))
        if got.shape != (1,) or not np.issubdtype(got.dtype, np.integer):
            fail(f"epsilon_greedy on one row should return one integer action, got {got.dtype} {got.shape}")
        return int(got[0])

    return choose


def replay_seed(rng: np.random.Generator, replay, method: str) -> int:
    """A training seed whose run (the reference's) has both terminated and truncated episodes."""
    for candidate in rng.integers(2**31, size=100).tolist():
        if replay(local_chooser(candidate), method, candidate)[1] == {"terminated", "truncated"}:
            return candidate
    raise RuntimeError("no training seed with both kinds of episode end")


def table_of(agent, what: str, shape: tuple[int, int]) -> np.ndarray:
    table = np.asarray(agent.call("q.copy"))
    if table.shape != shape:
        fail(f"{what}: the agent's table should have shape {shape}, got {table.shape}")
    return table.astype(np.float64)


def _train_td(student, method: str, seed: int):
    return student.new(
        "tabular.train_td",
        REPLAY_ENV,
        REPLAY_KWARGS,
        method=method,
        seed=seed,
        decay_fraction=REPLAY_DECAY,
        initial_q=INITIAL_Q,
        max_seconds=60.0,
        **REPLAY,
    )


@pytest.mark.points(6)
@pytest.mark.timeout(60)
def test_train_td_replays_update_by_update(student, seed, check):
    """train_td's table equals a replay of its updates (your epsilon_greedy, its docstring's loop)"""
    rng = np.random.default_rng(seed)
    for method in ("q_learning", "sarsa"):
        with check.part(method):
            train_seed = replay_seed(rng, td_replay, method)
            what = (
                f"train_td({REPLAY_ENV!r}, {REPLAY_KWARGS}, method={method!r}, seed={train_seed}, "
                f"initial_q={INITIAL_Q}, {', '.join(f'{k}={v}' for k, v in REPLAY.items())})"
            )
            got = table_of(_train_td(student, method, train_seed), what, (16, 4))
            expected = None
            for order in TD_ORDERS[method]:
                replayed, _ = td_replay(remote_chooser(student, train_seed), method, train_seed, order)
                expected = replayed if expected is None else expected
                if np.allclose(got, replayed, atol=1e-9):
                    break
            else:
                hint = ""
                for bug, text in TD_BUGS.items():
                    if bug == "fresh" and method != "sarsa":
                        continue
                    buggy, _ = td_replay(remote_chooser(student, train_seed), method, train_seed, bug=bug)
                    if np.allclose(got, buggy, atol=1e-9) and not np.allclose(buggy, expected, atol=1e-9):
                        hint = text
                        break
                fail(
                    f"{what} differs from the replay of its updates (your epsilon_greedy, the docstring's "
                    f"loop): {first_difference(got, expected)}",
                    hint,
                )
