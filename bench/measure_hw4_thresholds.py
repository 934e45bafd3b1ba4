"""Measure the reference hw4 agents over many training seeds, exactly as the hidden suite trains and evaluates
them, and print the figures behind its bars (recorded in tests/data/hw4_thresholds.json).

    python bench/measure_hw4_thresholds.py cartpole --seeds 20
    python bench/measure_hw4_thresholds.py all --seeds 20

Each figure is the minimum, median and maximum over training seeds 0..N-1; a bar must sit well below the
minimum (and above what a broken agent reaches: random play, a collapsed policy).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.suite.rollouts import rollout  # noqa: E402
from solutions.hw4_agents import decision_transformer, dyna, reinforce, tabular  # noqa: E402
from solutions.hw4_agents.bicycle import BicycleEnv  # noqa: E402


def _hidden(name: str):
    import importlib.util

    path = ROOT / "grader" / "hidden" / "hw4_agents" / f"test_{name}.py"
    spec = importlib.util.spec_from_file_location(f"hidden_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cartpole(seed: int) -> float:
    h = _hidden("reinforce")
    agent = reinforce.train_reinforce(
        "CartPole-v1", {}, seed=seed, max_env_steps=h.CARTPOLE_STEPS, max_seconds=1e9
    )
    seeds = np.random.default_rng(seed + 1).integers(2**31, size=20).tolist()
    return rollout(
        lambda o, r: agent.act(o, greedy=False), lambda: gym.make("CartPole-v1"), seeds
    ).mean_return


def bicycle(seed: int) -> float:
    h = _hidden("reinforce")
    agent = reinforce.train_reinforce(
        "BicycleGrid-v0", {}, seed=seed, max_env_steps=h.BICYCLE_STEPS, max_seconds=1e9
    )
    seeds = np.random.default_rng(seed + 1).integers(2**31, size=50).tolist()
    return rollout(lambda o, r: agent.act(o, greedy=False), BicycleEnv, seeds).success_rate()


def _td(seed: int, method: str) -> float:
    h = _hidden("tabular")
    agent = tabular.train_td(
        "FrozenLake-v1", h.LAKE, method=method, seed=seed, episodes=h.EPISODES, max_seconds=1e9
    )
    seeds = np.random.default_rng(seed + 1).integers(2**31, size=20).tolist()
    return rollout(
        lambda o, r: agent.act(o), lambda: gym.make("FrozenLake-v1", **h.LAKE), seeds
    ).success_rate()


def q_learning(seed: int) -> float:
    return _td(seed, "q_learning")


def sarsa(seed: int) -> float:
    return _td(seed, "sarsa")


def _maze(seed: int, planning_steps: int) -> float:
    agent = dyna.train_dyna_q(
        "DynaMaze-v0", {}, planning_steps=planning_steps, seed=seed, episodes=10, max_seconds=1e9
    )
    out = rollout(lambda o, r: agent.act(o), lambda: gym.make("DynaMaze-v0", max_steps=100), [0, 1, 2])
    return float(out.lengths.max()) if out.terminated.all() else 100.0


def dyna_q(seed: int) -> float:
    return _maze(seed, 20)


def maze_q_learning(seed: int) -> float:
    return _maze(seed, 0)


def dt(seed: int) -> float:
    h = _hidden("decision_transformer")
    model = decision_transformer.train_decision_transformer(
        h.bicycle_dataset(seed),
        seed=seed,
        iterations=h.ITERATIONS,
        learning_rate=h.LEARNING_RATE,
        max_seconds=1e9,
        **h.TRAIN,
    )
    agent = decision_transformer.make_dt_agent(model, 1.0)
    seeds = np.random.default_rng(seed + 1).integers(2**31, size=50).tolist()
    return rollout(lambda o, r: agent.act(o, r), BicycleEnv, seeds).success_rate()


CHECKS = {f.__name__: f for f in (cartpole, bicycle, q_learning, sarsa, dyna_q, maze_q_learning, dt)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("check", choices=[*CHECKS, "all"])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for name in CHECKS if args.check == "all" else [args.check]:
        started = time.perf_counter()
        values = [CHECKS[name](seed) for seed in range(args.seeds)]
        row = {
            "min": min(values),
            "median": float(np.median(values)),
            "max": max(values),
            "seeds": args.seeds,
            "values": [round(v, 4) for v in values],
            "seconds_per_seed": round((time.perf_counter() - started) / args.seeds, 2),
        }
        print(json.dumps({name: row}), flush=True)


if __name__ == "__main__":
    main()
