"""Hidden tests of decision_transformer.py: the forward pass with the reference's weights (with and without a
task token), the agent's return-to-go bookkeeping step for step, which windows training draws, and offline
training on a dataset the grader generates.

The dataset: bicycle episodes from a heuristic expert (with some noise) and from a random agent, generated
here with the grader's seed. The DT is trained in the sandbox (fixed number of updates, the grader's seed),
then asked for actions at target return 1.0 in grader-owned rollouts on held-out seeds (bar in
tests/data/hw4_thresholds.json).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.suite import assert_close, fail, rollout
from solutions.hw4_agents import decision_transformer as reference
from solutions.hw4_agents.bicycle import BicycleEnv

SMALL = {
    "state_dim": 5,
    "n_actions": 6,
    "hidden": 32,
    "n_layers": 2,
    "n_heads": 2,
    "context": 4,
    "max_timestep": 64,
    "return_scale": 10.0,
}
TRAIN = {"hidden": 32, "n_layers": 1, "n_heads": 2, "context": 5, "max_timestep": 64, "return_scale": 1.0}
ITERATIONS, SUCCESS_BAR, LEARNING_RATE = 150, 0.45, 3e-3


def _reference_model(gen: torch.Generator, config: dict = SMALL) -> reference.DecisionTransformer:
    model = reference.DecisionTransformer(config)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=gen) * 0.5)
    return model.eval()


def _student_model(student, model, config: dict = SMALL):
    remote = student.new("decision_transformer.DecisionTransformer", config)
    remote.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    remote.run("eval")
    return remote


@pytest.mark.points(3)
def test_dt_forward_matches(student, gen, check):
    """DecisionTransformer.forward with the reference's weights gives the reference's logits (causal), also
    with a task token"""
    b, k = 3, 4
    inputs = (
        torch.randn(b, k, generator=gen) * 10,
        torch.randn(b, k, 5, generator=gen),
        torch.randint(6, (b, k), generator=gen),
        torch.randint(64, (b, k), generator=gen),
    )
    with check.part("without tasks", 2):
        model = _reference_model(gen)
        with torch.no_grad():
            expected = model(*inputs)
        assert_close(
            _student_model(student, model)(*inputs),
            expected,
            what="DecisionTransformer(...)(returns_to_go (3, 4), states (3, 4, 5), "
            "actions (3, 4), timesteps (3, 4))",
            atol=1e-4,
            rtol=1e-4,
            hint="interleave R, s, a per step, add the timestep embedding to all three, causal attention, "
            "and read the logits at the state tokens x[:, 1::3]",
        )
    with check.part("with a task token"):
        # Three sequences of three different tasks: each task's embedding is added to every token of its own
        # sequence (the task weights are large, so a task token left out or added to the wrong tokens shows).
        config = {**SMALL, "n_tasks": 3}
        model = _reference_model(gen, config)
        tasks = torch.tensor([2, 0, 1])
        with torch.no_grad():
            model.embed_task.weight.mul_(4.0)
            expected = model(*inputs, tasks)
            without = model(*inputs)
        assert_close(
            _student_model(student, model, config)(*inputs, tasks),
            expected,
            what="DecisionTransformer(n_tasks=3)(returns_to_go (3, 4), states (3, 4, 5), actions (3, 4), "
            "timesteps (3, 4), tasks=tensor([2, 0, 1]))",
            atol=1e-4,
            rtol=1e-4,
            hint="with tasks, add embed_task(tasks) (B, d) to every token of its sequence, like the timestep "
            "embedding: unsqueeze(1) to broadcast over the steps",
            mistakes=[(without, "the task embedding is missing: add embed_task(tasks) when tasks is given")],
        )


@pytest.mark.points(3)
def test_dt_agent_subtracts_rewards(student, gen):
    """DTAgent keeps the reference's window step for step: the return-to-go drops by each reward received"""
    model = _reference_model(gen)
    remote = _student_model(student, model)
    agent = student.new("decision_transformer.make_dt_agent", remote.handle, 30.0)
    mine = reference.make_dt_agent(model, 30.0)
    n = 48
    rewards = np.zeros(n, dtype=np.float64)
    for t in range(9):  # past the context of 4: the window must slide
        observations = torch.randn(n, 5, generator=gen).numpy()
        got = np.asarray(agent.call("act", observations, rewards))
        expected = mine.act(observations, rewards)
        context = agent.call("context")
        got_rtg = context.get("returns_to_go") if isinstance(context, dict) else None
        wanted = mine.context()["returns_to_go"]
        assert_close(
            torch.as_tensor(got_rtg).float() if isinstance(got_rtg, torch.Tensor) else got_rtg,
            wanted,
            what=f"the returns-to-go in the DTAgent's window after step {t + 1} (target 30)",
            atol=1e-4,
            rtol=1e-5,
            hint="R_1 = target_return, then R_{t+1} = R_t - r_t with r_t the reward passed to act",
        )
        if got.shape != expected.shape or not np.array_equal(got, expected):
            same = float(np.mean(got == expected)) if got.shape == expected.shape else 0.0
            fail(
                f"DTAgent(model, target_return=30).act at step {t + 1}: "
                f"{same:.0%} of 48 actions agree with the "
                "reference with the same weights",
                "R_1 = target_return, then R_{t+1} = R_t - r_t with r_t the reward passed in; keep the last "
                "`context` steps of (R, s, a) with their absolute timesteps",
            )
        rewards = (torch.rand(n, generator=gen) * 8).numpy().astype(np.float64)


WINDOW_RUNS, WINDOW = 60, 8


def _initial_action_embedding(run_seed: int, config: dict) -> torch.Tensor:
    """embed_action.weight as train_decision_transformer's given lines build it: right after the seed."""
    with torch.random.fork_rng():
        torch.manual_seed(run_seed)
        return reference.DecisionTransformer(config).embed_action.weight.detach().clone()


@pytest.mark.points(1)
@pytest.mark.timeout(60)
def test_dt_draws_windows_evenly(student, seed):
    """two logged episodes of the same length are drawn about equally often as training windows"""
    # Episode 0 only ever takes action 0 and episode 1 action 1, each exactly one window long. One update on
    # one window moves the embedding row of every action in the window (Adam's first step is about the
    # learning rate on each weight with a gradient) and leaves the other row where the seed put it, so each
    # run tells which episode was drawn. Every sensible choice (each window, each episode or each step
    # equally likely) draws the two equally often; a weight that grows with the episode's place in the
    # dataset does not.
    k = WINDOW
    dataset = {
        "observations": np.ones((2 * k, 2), dtype=np.float32),
        "actions": np.repeat([0, 1], k).astype(np.int64),
        "rewards": np.zeros(2 * k, dtype=np.float32),
        "episode_lengths": np.array([k, k], dtype=np.int64),
    }
    config = {"hidden": 8, "n_layers": 1, "n_heads": 1, "context": k, "max_timestep": k, "return_scale": 1.0}
    full_config = {"state_dim": 2, "n_actions": 2, "n_tasks": 1, **config}
    counts = [0, 0]
    for run_seed in np.random.default_rng(seed).integers(2**31, size=WINDOW_RUNS).tolist():
        model = student.new(
            "decision_transformer.train_decision_transformer",
            dataset,
            seed=run_seed,
            iterations=1,
            batch_size=1,
            learning_rate=0.1,
            **config,
        )
        trained = torch.as_tensor(model.call("embed_action.weight.detach")).float()
        initial = _initial_action_embedding(run_seed, full_config)
        if trained.shape != initial.shape:
            fail(
                f"embed_action.weight after training should have shape {tuple(initial.shape)}, got "
                f"{tuple(trained.shape)}"
            )
        moved = (trained - initial).abs().amax(dim=1) > 0.01  # (2,): did each action's row take a step?
        if moved[1]:
            counts[1] += 1
        elif moved[0]:
            counts[0] += 1
        else:
            fail(
                f"train_decision_transformer(iterations=1, batch_size=1, learning_rate=0.1, seed={run_seed}) "
                "on two logged episodes took no optimiser step on the embedding of the actions it saw",
                "each update draws batch_size windows and takes one optimizer step on their cross-entropy",
            )
    if min(counts) < WINDOW_RUNS // 4:
        fail(
            f"in {WINDOW_RUNS} runs of train_decision_transformer(iterations=1, batch_size=1) on two logged "
            f"episodes of {k} steps each (context {k}: one window each), the window came "
            f"{counts[0]} times from the first episode and {counts[1]} times from the second; two episodes "
            "of the same length should be drawn about equally often",
            "draw an episode with a weight that depends on its length only (for example its number of "
            "windows, length - context + 1), not on where it starts in the dataset",
        )


def _expert(obs: np.ndarray, size: int = 5) -> int:
    x, heading = obs[0], int(obs[2])
    desired = 0 if x < size - 1 else 1  # east along the bottom, then north
    steer = 1 if heading == desired else (0 if (desired - heading) % 4 == 1 else 2)
    return 3 + steer


def bicycle_dataset(seed: int, episodes: int = 120) -> dict[str, np.ndarray]:
    """Half noisy-expert, half random episodes on the default bicycle, all drawn from `seed`."""
    rng = np.random.default_rng(seed)
    env = BicycleEnv()
    observations, actions, rewards, lengths = [], [], [], []
    for episode in range(episodes):
        noise = 1.0 if episode % 2 else 0.2
        obs, _ = env.reset(seed=int(rng.integers(2**31)))
        length = 0
        while True:
            action = int(rng.integers(6)) if rng.random() < noise else _expert(obs)
            observations.append(obs)
            actions.append(action)
            obs, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
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


@pytest.mark.points(3)
@pytest.mark.timeout(200)
def test_dt_learns_offline(student, seed):
    """a DT trained offline on mixed bicycle data reaches the goal when asked for a high return"""
    model = student.new(
        "decision_transformer.train_decision_transformer",
        bicycle_dataset(seed),
        seed=seed,
        iterations=ITERATIONS,
        learning_rate=LEARNING_RATE,
        max_seconds=150.0,
        **TRAIN,
    )
    agent = student.new("decision_transformer.make_dt_agent", model.handle, 1.0)
    seeds = np.random.default_rng(seed + 1).integers(2**31, size=50).tolist()
    outcome = rollout(
        lambda obs, rewards: agent.call("act", obs, rewards), BicycleEnv, seeds, what="DTAgent.act"
    )
    if outcome.success_rate() < SUCCESS_BAR:
        fail(
            f"the DT trained for {ITERATIONS} updates on 120 logged "
            "episodes (half expert, half random) and asked "
            "for a return of 1.0 reached the goal in "
            f"{outcome.success_rate():.0%} of 50 episodes; the bar is "
            f"{SUCCESS_BAR:.0%}",
            "the target for the action at the state token s_t is a_t (cross-entropy)",
        )
