"""Hidden tests of dyna.py: the learned model replays only what it saw; Dyna-Q plans its way through the maze.

Dyna-Q with 20 planning steps, 10 episodes on Sutton & Barto's maze (shortest path 14 steps): the reference's
greedy path is at most 16 steps on each of 20 training seeds, while plain Q-learning (0 planning steps) needs
19 or more, or never arrives (tests/data/hw4_thresholds.json).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from grader.compare import fail
from grader.rollouts import rollout
from solutions.hw4_agents import dyna  # noqa: F401  (registers DynaMaze-v0 in the grader)

PATH_BAR = 18


@pytest.mark.points(4)
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


@pytest.mark.points(5)
@pytest.mark.timeout(120)
def test_dyna_q_plans_through_the_maze(student, seed):
    """Dyna-Q (20 planning steps, 10 episodes) finds a near-shortest path through the maze"""
    agent = student.new(
        "dyna.train_dyna_q", "DynaMaze-v0", {}, planning_steps=20, seed=seed, episodes=10, max_seconds=100.0
    )
    outcome = rollout(
        lambda obs, rewards: agent.call("act", obs),
        lambda: gym.make("DynaMaze-v0", max_steps=100),
        [0, 1, 2],
        what="the Dyna-Q agent's actions",
    )
    if not outcome.terminated.all() or outcome.lengths.max() > PATH_BAR:
        fail(
            "after 10 episodes with 20 planning steps each, the greedy "
            f"path took {outcome.lengths.tolist()} steps "
            f"(100 = never arrived); the bar is {PATH_BAR} (the shortest path is 14)",
            "after each real step, do planning_steps Q-learning updates "
            "on transitions replayed from the model",
        )
