"""Hidden tests of dyna.py: the learned model replays only what it saw; Dyna-Q plans its way through the maze.

Dyna-Q with 20 planning steps, 10 episodes on Sutton & Barto's maze (shortest path 14 steps): the reference's
greedy path is at most 16 steps on each of 20 training seeds, while plain Q-learning (0 planning steps) needs
19 or more, or never arrives (tests/data/hw4_thresholds.json).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from grader.suite import fail, first_difference, rollout
from solutions.hw4_agents import dyna, tabular  # importing dyna registers DynaMaze-v0 in the grader

PATH_BAR = 18


@pytest.mark.points(3)
def test_model_replays_only_visited_pairs(student, seed):
    """TabularModel.sample returns only visited (s, a), each with its latest outcome, all of them in time"""
    rng = np.random.default_rng(seed)
    model = student.new("dyna.TabularModel", 20, 4)
    latest = {}
    for _ in range(30):
        s, a = int(rng.integers(5)), int(rng.integers(2))  # a small corner of the table: most pairs unvisited
        outcome = (round(float(rng.normal()), 2), int(rng.integers(20)), bool(rng.random() < 0.2))
        model.run("update", s, a, *outcome)
        latest[(s, a)] = outcome
    samples = model.call("sample_many", 600, seed)
    seen = set()
    for sample in samples:
        s, a, r, s2, term = sample
        if (s, a) not in latest:
            fail(
                f"the model sampled ({s}, {a}), a state-action pair it was never given",
                "plan only from previously observed (s, a): keep a list of visited pairs and sample from it",
            )
        if (float(r), int(s2), bool(term)) != latest[(s, a)]:
            fail(
                f"the model replayed ({s}, {a}) as {(r, s2, term)}, but "
                f"the latest update gave {latest[(s, a)]}"
            )
        seen.add((s, a))
    if seen != set(latest):
        fail(f"600 samples reached only {len(seen)} of the {len(latest)} visited pairs: sample uniformly")


@pytest.mark.points(3)
@pytest.mark.timeout(120)
def test_dyna_q_plans_through_the_maze(student, seed):
    """Dyna-Q (20 planning steps, 10 episodes) finds a near-shortest path through the maze"""
    # Up to three training seeds, until one clears the bar: how fast the goal is first found depends on the
    # exploration's luck; the update rules themselves are checked exactly by the replay below.
    paths = []
    for train_seed in np.random.default_rng(seed).integers(2**31, size=3).tolist():
        agent = student.new(
            "dyna.train_dyna_q",
            "DynaMaze-v0",
            {},
            planning_steps=20,
            seed=train_seed,
            episodes=10,
            max_seconds=30.0,
        )
        outcome = rollout(
            lambda obs, rewards, agent=agent: agent.call("act", obs),
            lambda: gym.make("DynaMaze-v0", max_steps=100),
            [0, 1, 2],
            what="the Dyna-Q agent's actions",
        )
        paths.append(outcome.lengths.tolist())
        if outcome.terminated.all() and outcome.lengths.max() <= PATH_BAR:
            return
    fail(
        f"after 10 episodes with 20 planning steps each, on {len(paths)} training seeds, the greedy paths "
        f"took "
        f"{paths} steps (100 = never arrived); the bar is {PATH_BAR} on one seed (the shortest path is 14)"
    )


# -- Dyna-Q replayed update by update --------------------------------------------------------------------
#
# Like train_td's replay (test_tabular.py): train_dyna_q runs in the sandbox; the grader replays the same
# run with your epsilon_greedy and a TabularModel of yours fed the same transitions, and your table must
# match exactly. The lake is deterministic (Dyna-Q's model assumes it), short episodes end both ways, and Q
# starts at 1 everywhere so that every update, the terminal ones included, changes the table.

DYNA_ENV, DYNA_KWARGS = "FrozenLake-v1", {"is_slippery": False, "max_episode_steps": 8}
DYNA = {"episodes": 6, "alpha": 0.5, "gamma": 0.9, "epsilon": 0.3}
INITIAL_Q = 1.0
EXTRA_PLANNING_HINT = (
    "do exactly planning_steps simulated updates per real step: with planning_steps=0, Dyna-Q is plain "
    "Q-learning"
)


def dyna_replay(choose, model, planning_steps: int, seed: int) -> tuple[np.ndarray, set, list[int]]:
    """(the table train_dyna_q should return, how episodes ended, the real steps of each episode); `model` is
    (update, sample) of a TabularModel fed as we go."""
    update, sample = model
    env = gym.make(DYNA_ENV, **DYNA_KWARGS)
    q = np.full((env.observation_space.n, env.action_space.n), INITIAL_Q)
    alpha, gamma = DYNA["alpha"], DYNA["gamma"]
    endings, lengths = set(), []
    for episode in range(DYNA["episodes"]):
        state, _ = env.reset(seed=seed if episode == 0 else None)
        lengths.append(0)
        while True:
            action = choose(q, state, DYNA["epsilon"])
            next_state, reward, terminated, truncated, _ = env.step(action)
            lengths[-1] += 1
            future = 0.0 if terminated else q[next_state].max()
            q[state, action] += alpha * (reward + gamma * future - q[state, action])
            update(state, action, float(reward), int(next_state), bool(terminated))
            for _ in range(planning_steps):
                s, a, r, s2, term = sample()
                future = 0.0 if term else q[s2].max()
                q[s, a] += alpha * (r + gamma * future - q[s, a])
            if terminated or truncated:
                endings.add("terminated" if terminated else "truncated")
                break
            state = next_state
    env.close()
    return q, endings, lengths


def _local(seed: int):
    rng = np.random.default_rng(seed)
    model = dyna.TabularModel(16, 4)

    def choose(q, state, epsilon):
        return int(tabular.epsilon_greedy(q[[state]], epsilon, rng)[0])

    return choose, (model.update, lambda: model.sample(rng))


def _remote(student, seed: int):
    rng = student.new("tabular.make_rng", seed)
    model = student.new("dyna.TabularModel", 16, 4)

    def choose(q, state, epsilon):
        got = np.asarray(student.call("tabular.epsilon_greedy", q[[state]], epsilon, rng.handle))
        if got.shape != (1,) or not np.issubdtype(got.dtype, np.integer):
            fail(f"epsilon_greedy on one row should return one integer action, got {got.dtype} {got.shape}")
        return int(got[0])

    def sample():
        got = model.call("sample", rng.handle)
        if not isinstance(got, (list, tuple)) or len(got) != 5:
            fail(f"TabularModel.sample should return (s, a, r, s', terminated), got {got!r}")
        s, a, r, s2, term = got
        return int(s), int(a), float(r), int(s2), bool(term)

    return choose, (lambda *args: model.run("update", *args), sample)


def train_dyna_q(student, seed: int, planning_steps: int):
    return student.new(
        "dyna.train_dyna_q",
        DYNA_ENV,
        DYNA_KWARGS,
        planning_steps=planning_steps,
        seed=seed,
        initial_q=INITIAL_Q,
        max_seconds=60.0,
        **DYNA,
    )


@pytest.mark.points(4)
@pytest.mark.timeout(60)
def test_dyna_q_replays_update_by_update(student, seed, check):
    """train_dyna_q's table equals a replay of its updates (your epsilon_greedy, TabularModel), n = 0 and 3"""
    rng = np.random.default_rng(seed)
    for planning_steps in (0, 3):
        name = "planning_steps=0 is Q-learning" if planning_steps == 0 else f"planning_steps={planning_steps}"
        with check.part(name):
            for train_seed in rng.integers(2**31, size=100).tolist():
                choose, model = _local(train_seed)
                if dyna_replay(choose, model, planning_steps, train_seed)[1] == {"terminated", "truncated"}:
                    break
            what = (
                f"train_dyna_q({DYNA_ENV!r}, {DYNA_KWARGS}, planning_steps={planning_steps}, "
                f"seed={train_seed}, initial_q={INITIAL_Q}, {', '.join(f'{k}={v}' for k, v in DYNA.items())})"
            )
            agent = train_dyna_q(student, train_seed, planning_steps)
            table = np.asarray(agent.call("q.copy"))
            if table.shape != (16, 4):
                fail(f"{what}: the agent's table should have shape (16, 4), got {table.shape}")
            choose, model = _remote(student, train_seed)
            expected, _, lengths = dyna_replay(choose, model, planning_steps, train_seed)
            if np.allclose(table, expected, atol=1e-9):
                curve = student.call("dyna.learning_curve", agent.handle)
                if list(curve) != lengths:
                    fail(
                        f"{what}: the agent's episode_lengths (learning_curve) are {list(curve)}, but the "
                        f"replay of the same run took {lengths} real steps per episode",
                        "append each training episode's number of real env.step calls to lengths",
                    )
                continue
            choose, model = _remote(student, train_seed)
            extra, _, _ = dyna_replay(choose, model, planning_steps + 1, train_seed)
            fail(
                f"{what} differs from the replay of its updates (your epsilon_greedy and TabularModel, "
                f"Sutton & Barto's order): {first_difference(table, expected)}",
                EXTRA_PLANNING_HINT if np.allclose(table, extra, atol=1e-9) else "",
            )
