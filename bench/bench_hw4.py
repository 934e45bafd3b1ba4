"""Benchmarks for hw4 (RL agents): grading, sandbox rollouts, REINFORCE vs PPO, Dyna-Q vs Q-learning.

Each figure is printed beside its baseline measured in the same run (these machines vary by 10-15% between
processes, and more when other jobs share them: only same-run ratios mean anything).

    python bench/bench_hw4.py                 # everything
    python bench/bench_hw4.py --only grading  # grading, rollouts, reinforce, dyna
    pip install -e '.[bench]'                 # Stable-Baselines3 for the PPO baseline (skipped without it)
"""

from __future__ import annotations

import argparse
import html
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.suite.rollouts import rollout  # noqa: E402
from solutions.hw4_agents import decision_transformer, dyna, reinforce  # noqa: E402


def timed_command(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def bench_grading(repeats: int) -> None:
    print("## grader run on a complete hw4 submission (the reference)")
    floor = [
        timed_command([sys.executable, "-c", "import torch, gymnasium, numpy, pytest"])
        for _ in range(repeats)
    ]
    cli = [
        timed_command([sys.executable, "-m", "grader.cli", "run", "solutions/hw4_agents"])
        for _ in range(repeats)
    ]
    print(f"start-up floor (import torch, gymnasium, numpy, pytest): {statistics.median(floor):6.2f} s")
    print(
        f"`grader run solutions/hw4_agents` wall, median of {repeats}: {statistics.median(cli):6.2f} s "
        f"(issue bar 300 s; CI budget about 45 s)"
    )


def _trained_weights(steps: int) -> dict:
    agent = reinforce.train_reinforce("CartPole-v1", {}, seed=0, max_env_steps=steps, max_seconds=1e9)
    return agent.policy.state_dict()


def bench_rollouts(episodes: int) -> None:
    """100 CartPole episodes of an MLP policy: through the sandbox (batched, lockstep) vs in-process."""
    from grader.assignments import get_assignment
    from grader.grading.sandbox import Sandbox, choose_level
    from grader.grading.staging import find_sources, stage
    from grader.grading.student import StudentCode

    print(f"\n## {episodes} CartPole-v1 episodes of a 2x64 MLP policy: sandbox vs in-process")
    state = _trained_weights(6000)
    net = reinforce.PolicyNetwork(4, 2, 64)
    net.load_state_dict(state)
    local = reinforce.PolicyAgent(net)
    seeds = list(range(10_000, 10_000 + episodes))
    make = lambda: gym.make("CartPole-v1")  # noqa: E731

    def sequential() -> float:
        total = 0.0
        for seed in seeds:
            env = make()
            obs, _ = env.reset(seed=seed)
            done = False
            while not done:
                obs, reward, terminated, truncated, _ = env.step(int(local.act(obs[None])[0]))
                total += reward
                done = terminated or truncated
        return total

    (source,) = find_sources(ROOT / "solutions" / "hw4_agents")
    with tempfile.TemporaryDirectory() as scratch:
        staged = stage(source, Path(scratch))
        sandbox = Sandbox(staged.work_dir, level=choose_level("best"))
        code = StudentCode(sandbox, get_assignment("hw4_agents").name, staged.present, staged.imports)
        code.timeout = 120
        try:
            sandbox.start()
            remote_net = code.new("reinforce.PolicyNetwork", 4, 2, 64)
            remote_net.load_state_dict(state)
            agent = code.new("reinforce.PolicyAgent", remote_net.handle)
            rows = {
                "sandbox, batched": [],
                "in-process, batched": [],
                "in-process, one episode at a time": [],
            }
            for _ in range(3):
                started = time.perf_counter()
                far = rollout(lambda o, r: agent.call("act", o), make, seeds)
                rows["sandbox, batched"].append(time.perf_counter() - started)
                started = time.perf_counter()
                near = rollout(lambda o, r: local.act(o), make, seeds)
                rows["in-process, batched"].append(time.perf_counter() - started)
                started = time.perf_counter()
                sequential()
                rows["in-process, one episode at a time"].append(time.perf_counter() - started)
        finally:
            sandbox.close()
    assert far.returns.tolist() == near.returns.tolist(), "the sandbox and in-process rollouts differ"
    base = statistics.median(rows["in-process, batched"])
    for name, times in rows.items():
        print(
            f"{name:36s} {statistics.median(times):6.2f} s  "
            f"({statistics.median(times) / base:4.2f}x in-process)"
        )
    print(
        f"mean return {far.mean_return:.1f} over {episodes} episodes, "
        f"{int(far.lengths.sum())} env steps (bar < 5 s)"
    )


def _reinforce_to(threshold: float, seed: int) -> tuple[int, float]:
    started = time.perf_counter()
    agent = reinforce.train_reinforce(
        "CartPole-v1", {}, seed=seed, max_env_steps=1_000_000, max_seconds=1800, target_return=threshold
    )
    return agent.env_steps, time.perf_counter() - started


def _ppo_to(threshold: float, seed: int) -> tuple[int, float] | None:
    try:
        from stable_baselines3 import PPO
        from stable_baselines3.common.callbacks import BaseCallback
    except ImportError:
        return None

    class Stop(BaseCallback):
        def _on_step(self) -> bool:
            buffer = self.model.ep_info_buffer
            return not (len(buffer) >= 100 and np.mean([e["r"] for e in buffer]) >= threshold)

    started = time.perf_counter()
    model = PPO("MlpPolicy", "CartPole-v1", seed=seed, device="cpu", verbose=0)
    model.learn(total_timesteps=1_000_000, callback=Stop())
    return model.num_timesteps, time.perf_counter() - started


def bench_reinforce(seeds: int, threshold: float = 475.0) -> None:
    print(
        "\n## CartPole-v1 to a 100-episode mean return >= "
        f"{threshold:g}: reference REINFORCE vs SB3 PPO defaults"
    )
    for seed in range(seeds):
        steps, seconds = _reinforce_to(threshold, seed)
        ppo = _ppo_to(threshold, seed)
        line = f"seed {seed}: REINFORCE {steps:7d} env steps {seconds:6.1f} s"
        if ppo is None:
            line += "   | PPO: skipped (stable-baselines3 is not installed: pip install -e '.[bench]')"
        else:
            ratio = steps / ppo[0]
            line += (
                f"   | SB3 PPO defaults {ppo[0]:7d} env steps {ppo[1]:6.1f} s   (steps ratio {ratio:.2f}x)"
            )
        print(line, flush=True)


def _svg(curves: dict[str, list[float]], path: Path, title: str) -> None:
    """A small line chart, written by hand (no plotting dependency)."""
    width, height, pad = 640, 400, 50
    longest = max(len(c) for c in curves.values())
    top = max(max(c) for c in curves.values())
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * i / max(longest - 1, 1)
        y = height - pad - (height - 2 * pad) * v / top
        return f"{x:.1f},{y:.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">{html.escape(title)}</text>',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="black"/>',
        f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">episode</text>',
        f'<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">'
        "steps per episode (mean over seeds)</text>",
        f'<text x="{pad - 6}" y="{pad + 4}" text-anchor="end">{top:.0f}</text>',
        f'<text x="{pad - 6}" y="{height - pad + 4}" text-anchor="end">0</text>',
    ]
    for k, (name, curve) in enumerate(curves.items()):
        colour = colours[k % len(colours)]
        points = " ".join(xy(i, v) for i, v in enumerate(curve))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        label = html.escape(name)
        parts.append(f'<text x="{width - pad - 150}" y="{pad + 18 * k}" fill="{colour}">{label}</text>')
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def bench_dyna(
    seeds: int, episodes: int = 30, out: Path = ROOT / "docs" / "hw4_dyna_vs_q_learning.svg"
) -> None:
    print(
        "\n## Dyna-Q vs Q-learning on the deterministic maze (shortest "
        f"path 14), {seeds} seeds, {episodes} episodes"
    )
    curves: dict[str, list[float]] = {}
    to_solve: dict[str, list[int]] = {}
    for n in (0, 5, 50):
        name = "Q-learning (n=0)" if n == 0 else f"Dyna-Q, n={n}"
        lengths, solved, started = [], [], time.perf_counter()
        for seed in range(seeds):
            curve = dyna.learning_curve(
                dyna.train_dyna_q(
                    "DynaMaze-v0", {}, planning_steps=n, seed=seed, episodes=episodes, max_seconds=1e9
                )
            )
            lengths.append(curve)
            # Real env steps until an episode took at most 16 steps (near the shortest path) for the first
            # time.
            done = next((i for i, steps in enumerate(curve) if steps <= 16), len(curve) - 1)
            solved.append(int(np.sum(curve[: done + 1])))
        curves[name] = np.mean(lengths, axis=0).tolist()
        to_solve[name] = solved
        print(
            f"{name:18s} real env steps until an episode of <= 16 steps: "
            f"median {statistics.median(solved):7.0f}"
            f"   ({time.perf_counter() - started:5.1f} s for {seeds} seeds)"
        )
    base = statistics.median(to_solve["Q-learning (n=0)"])
    for name in list(to_solve)[1:]:
        print(
            f"sample-efficiency gain of {name}: "
            f"{base / statistics.median(to_solve[name]):.1f}x fewer real steps"
        )
    _svg(curves, out, "Dyna-Q vs Q-learning on Sutton & Barto's maze")
    print(f"plot: {out.relative_to(ROOT)}")


def _hidden(name: str):
    import importlib.util

    path = ROOT / "grader" / "hidden" / "hw4_agents" / f"test_{name}.py"
    spec = importlib.util.spec_from_file_location(f"hidden_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cartpole_expert(obs: np.ndarray) -> int:
    return int(obs[2] + 0.5 * obs[3] + 0.01 * obs[1] > 0)


def _cartpole_dataset(seed: int, episodes: int = 40) -> dict[str, np.ndarray]:
    """Noisy-expert CartPole episodes; rewards scaled by 1/500 so returns are in [0, 1] like the bicycle's."""
    rng = np.random.default_rng(seed)
    env = gym.make("CartPole-v1")
    observations, actions, rewards, lengths = [], [], [], []
    for episode in range(episodes):
        noise = (0.0, 0.25, 0.5, 1.0)[episode % 4]
        obs, _ = env.reset(seed=int(rng.integers(2**31)))
        length = 0
        while True:
            action = int(rng.integers(2)) if rng.random() < noise else _cartpole_expert(obs)
            observations.append(np.append(obs, 0.0))  # padded to the bicycle's 5 features
            actions.append(action)
            obs, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward / 500.0)
            length += 1
            if terminated or truncated:
                break
        lengths.append(length)
    return {
        "observations": np.array(observations, dtype=np.float32),
        "actions": np.array(actions, dtype=np.int64),
        "rewards": np.array(rewards, dtype=np.float32),
        "episode_lengths": np.array(lengths, dtype=np.int64),
    }


def _dt_rollout(model, task, n_actions: int, make_env, seeds, reward_scale: float, pad: int) -> float:
    """Mean return of a (multi-task) DT at target 1.0; only the first `n_actions` logits may be chosen."""
    agent = decision_transformer.DTAgent(model, 1.0, task)

    def policy(obs, rewards):
        obs = np.concatenate([obs, np.zeros((len(obs), pad), dtype=np.float32)], axis=1) if pad else obs
        agent.act(obs, rewards * reward_scale)  # updates the window; its own argmax may pick any action
        with torch.no_grad():
            window = agent.context()
            steps = window["states"].shape[1]
            timesteps = (agent.t - steps + torch.arange(steps)).expand(len(obs), steps)
            tasks = None if task is None else torch.full((len(obs),), task)
            logits = model(window["returns_to_go"], window["states"], window["actions"], timesteps, tasks)
        chosen = logits[:, -1, :n_actions].argmax(-1)
        agent.actions[:, -1] = chosen
        return chosen.numpy().astype(np.int64)

    return rollout(policy, make_env, seeds).mean_return


def bench_multitask(seed: int = 0, iterations: int = 600) -> None:
    """One Decision Transformer for the bicycle and CartPole (a task token), against each expert and each
    single-task DT trained with the same number of updates."""
    from solutions.hw4_agents.bicycle import BicycleEnv

    print("\n## one Decision Transformer, two environments (task token): how close to each expert")
    h = _hidden("decision_transformer")
    bike, pole = h.bicycle_dataset(seed), _cartpole_dataset(seed)
    # CartPole's episodes last up to 500 steps, the bicycle's at most 40: repeat the bicycle's so that both
    # tasks get about the same number of training windows.
    repeat = max(1, round(pole["episode_lengths"].sum() / bike["episode_lengths"].sum()))
    both = {key: np.concatenate([bike[key]] * repeat + [pole[key]]) for key in bike}
    tasks = [0] * (repeat * len(bike["episode_lengths"])) + [1] * len(pole["episode_lengths"])
    config = dict(h.TRAIN, return_scale=1.0, max_timestep=512)
    train = decision_transformer.train_decision_transformer
    kwargs = dict(seed=seed, iterations=iterations, learning_rate=3e-3, max_seconds=1e9, **config)
    started = time.perf_counter()
    multi = train(both, tasks=tasks, **kwargs)
    multi_seconds = time.perf_counter() - started
    single_bike, single_pole = train(bike, **kwargs), train(pole, **kwargs)
    bike_seeds, pole_seeds = list(range(500, 550)), list(range(500, 510))
    expert_bike = rollout(
        lambda o, r: np.array([h._expert(x) for x in o]), BicycleEnv, bike_seeds
    ).mean_return
    expert_pole = rollout(
        lambda o, r: np.array([_cartpole_expert(x) for x in o]), lambda: gym.make("CartPole-v1"), pole_seeds
    ).mean_return
    rows = [
        ("bicycle", expert_bike, single_bike, multi, 0, 6, BicycleEnv, bike_seeds, 1.0, 0),
        (
            "CartPole-v1",
            expert_pole,
            single_pole,
            multi,
            1,
            2,
            lambda: gym.make("CartPole-v1"),
            pole_seeds,
            1 / 500,
            1,
        ),
    ]
    for name, expert, single, both_model, task, n_actions, make, seeds, scale, pad in rows:
        one = _dt_rollout(single, None, n_actions, make, seeds, scale, pad)
        two = _dt_rollout(both_model, task, n_actions, make, seeds, scale, pad)
        print(
            f"{name:12s} expert {expert:7.2f}   single-task DT {one:7.2f}   multi-task DT {two:7.2f} "
            f"({two / expert:.0%} of the expert)"
        )
    print(f"multi-task DT: {iterations} updates in {multi_seconds:.1f} s on both datasets")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["grading", "rollouts", "reinforce", "dyna", "multitask"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.only in (None, "grading"):
        bench_grading(args.repeats)
    if args.only in (None, "rollouts"):
        bench_rollouts(100)
    if args.only in (None, "reinforce"):
        bench_reinforce(args.seeds)
    if args.only in (None, "dyna"):
        bench_dyna(max(args.seeds, 20))
    if args.only in (None, "multitask"):
        bench_multitask()


if __name__ == "__main__":
    main()
