"""Hidden test of the randomness discipline of the training functions: a run is a function of its seed.

The handout says that randomness comes only from the generator or seed you are given. Checked as behaviour:
the child's global generators (np.random, random, torch) are seeded differently before two runs with the same
training seed, which must return identical tables; another training seed must give another table. (That every
episode meets new randomness, rather than a reset re-seeded each episode, is checked by the replays in
test_tabular.py and test_dyna.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

from grader.suite import fail

LAKE = {"is_slippery": True, "max_episode_steps": 8}


def _table(agent, what: str) -> np.ndarray:
    table = np.asarray(agent.call("q.copy"))
    if table.shape != (16, 4):
        fail(f"{what}: the agent's table should have shape (16, 4), got {table.shape}")
    return table.astype(np.float64)


@pytest.mark.points(3)
@pytest.mark.timeout(60)
def test_training_randomness_comes_from_the_seed(student, seed, check):
    """train_td, train_dyna_q: one seed gives one table, whatever np.random's state; another seed another"""
    rng = np.random.default_rng(seed)
    runs = {
        "train_td": lambda s: student.new(
            "tabular.train_td", "FrozenLake-v1", LAKE, method="sarsa", seed=s, episodes=12, initial_q=1.0
        ),
        "train_dyna_q": lambda s: student.new(
            "dyna.train_dyna_q", "FrozenLake-v1", LAKE, planning_steps=3, seed=s, episodes=6, initial_q=1.0
        ),
    }
    for name, train in runs.items():
        with check.part(name):
            train_seed = int(rng.integers(2**31))
            what = f"{name}('FrozenLake-v1', {LAKE}, seed={train_seed})"
            tables = []
            for global_seed in (seed, seed + 1):
                # The child's global generators seeded differently before each run (this also drops the
                # objects the child holds, so each run starts afresh).
                student.sandbox.set_seed(global_seed)
                tables.append(_table(train(train_seed), what))
            if not np.array_equal(tables[0], tables[1]):
                fail(
                    f"{what} returned different tables in two runs that differed only in the state of "
                    "np.random's global generator",
                    "draw every random choice from the generator made from seed (rng), never from np.random "
                    "or random: the global generators are not reproducible from the seed",
                )
            if np.array_equal(_table(train(train_seed + 1), what), tables[0]):
                fail(f"{what} and the same call with seed={train_seed + 1} returned the same table")
