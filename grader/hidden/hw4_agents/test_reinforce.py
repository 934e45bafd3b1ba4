"""Hidden tests of reinforce.py: the math exactly (returns-to-go, the sampling distribution, the loss and its
gradient), then training in the sandbox under a fixed env-step budget with the grader's seed, evaluated by
rollouts the grader owns on held-out seeds.

Bar (tests/data/hw4_thresholds.json, 20 training seeds): CartPole-v1 after 6,000 env steps, the sampled
policy's mean return over 20 episodes (REINFORCE optimises the stochastic policy; a greedy one can be worse),
for each of two training seeds.
The bicycle is not trained here: at a grading budget REINFORCE on it is too seed-dependent to grade fairly
(bench/ reports it).
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from grader.suite import assert_close, curves, fail, rollout
from solutions.hw4_agents import reinforce as reference

CARTPOLE_STEPS, CARTPOLE_BAR = 6000, 35.0
TRAINING_RUNS = 2


@pytest.mark.points(2)
def test_returns_to_go(student, gen):
    """returns_to_go(rewards, gamma)[t] = r_{t+1} + gamma r_{t+2} + ..., for several gammas"""
    for gamma in (0.0, 0.9, 0.99, 1.0):
        rewards = torch.randn(25, generator=gen, dtype=torch.float64)
        got = student.call("reinforce.returns_to_go", rewards, gamma)
        expected = reference.returns_to_go(rewards, gamma)
        forward = torch.zeros_like(rewards)
        running = 0.0
        for t in range(len(rewards)):
            running = gamma * running + rewards[t].item()
            forward[t] = running
        assert_close(
            torch.as_tensor(got).double() if isinstance(got, torch.Tensor) else got,
            expected,
            what=f"returns_to_go(rewards (25,), gamma={gamma})",
            atol=1e-6,
            rtol=1e-6,
            mistakes=[
                (rewards.flip(0).cumsum(0).flip(0), "the rewards are summed without discounting"),
                (forward, "the discount runs the wrong way: compute G_t = r_{t+1} + gamma G_{t+1} backwards"),
            ],
        )


@pytest.mark.points(3)
def test_sampling_uses_probabilities(student, gen, seed):
    """action_probabilities = softmax(logits); sample_actions draws from it (frequencies), ints in range"""
    logits = torch.tensor([[2.0, -1.0, 0.5, -3.0]]).repeat(20000, 1)
    probabilities = torch.softmax(logits[0], -1)
    assert_close(
        student.call("reinforce.action_probabilities", logits[:3]),
        torch.softmax(logits[:3], -1),
        what="action_probabilities(logits (3, 4))",
    )
    got = student.call("reinforce.sample_actions", logits, student.generator(seed).handle)
    got = torch.as_tensor(got)
    if got.shape != (20000,) or got.dtype not in (torch.int64, torch.int32):
        fail(
            "sample_actions(logits (20000, 4)) should return int64 "
            f"(20000,), got {got.dtype} {tuple(got.shape)}",
            "one action per row: .squeeze(-1) after sampling with num_samples=1",
        )
    if got.min() < 0 or got.max() > 3:
        fail(f"sample_actions returned actions outside 0..3 (min {int(got.min())}, max {int(got.max())})")
    frequencies = torch.bincount(got.long(), minlength=4).double() / 20000
    if (frequencies - probabilities.double()).abs().max() > 0.015:
        fail(
            f"sampled frequencies {frequencies.numpy().round(3).tolist()} should match softmax(logits) = "
            f"{probabilities.double().numpy().round(3).tolist()}",
            "sample from the probabilities softmax(logits), not from the raw logits or network outputs",
        )


@pytest.mark.points(3)
def test_reinforce_loss(student, gen):
    """reinforce_loss = -mean(log pi(a|s) * weight): value and gradient w.r.t. the logits"""
    logits = torch.randn(16, 3, generator=gen, dtype=torch.float64)
    actions = torch.randint(3, (16,), generator=gen)
    weights = torch.randn(16, generator=gen, dtype=torch.float64)
    leaf = logits.clone().requires_grad_(True)
    expected = reference.reinforce_loss(leaf, actions, weights)
    expected.backward()
    got = student.call_with_grad(
        "reinforce.reinforce_loss",
        (logits, actions, weights),
        grad_output=torch.tensor(1.0, dtype=torch.float64),
        wrt_args=(0,),
    )
    chosen = torch.softmax(logits, -1).gather(1, actions[:, None]).squeeze(1)
    log_chosen = torch.log_softmax(logits, -1).gather(1, actions[:, None]).squeeze(1)
    assert_close(
        torch.as_tensor(got.value).reshape(()),
        expected.detach(),
        what="reinforce_loss(logits, actions, weights)",
        atol=1e-8,
        rtol=1e-6,
        mistakes=[
            ((log_chosen * weights).mean(), "the sign is flipped: minimise MINUS log-prob times weight"),
            (-(chosen * weights).mean(), "use log-probabilities (log_softmax), not probabilities"),
            (-(log_chosen * weights).sum(), "average over the steps (mean), do not sum"),
        ],
    )
    assert_close(
        got.args[0], leaf.grad, what="the gradient of reinforce_loss w.r.t. the logits", atol=1e-8, rtol=1e-6
    )


BUDGET_STEPS, EPISODES_PER_UPDATE, CARTPOLE_MAX_STEPS = 300, 2, 500


@pytest.mark.points(2)
@pytest.mark.timeout(60)
def test_train_reinforce_keeps_its_budget_and_seed(student, seed, check):
    """train_reinforce stops at its env-step budget, and one seed gives one policy"""
    train_seed = int(np.random.default_rng(seed).integers(2**31))
    what = f"train_reinforce('CartPole-v1', seed={train_seed}, max_env_steps={BUDGET_STEPS}, max_seconds=10)"
    policies = []
    for global_seed in (seed, seed + 1):
        # The child's global generators seeded differently before each run: only the seed may decide.
        student.sandbox.set_seed(global_seed)
        agent = student.new(
            "reinforce.train_reinforce",
            "CartPole-v1",
            {},
            seed=train_seed,
            max_env_steps=BUDGET_STEPS,
            max_seconds=10.0,
            episodes_per_update=EPISODES_PER_UPDATE,
        )
        # CartPole pays 1 per step: the returns of the episodes played add up to the steps taken.
        policies.append((sum(agent.call("episode_returns.copy")), agent.call("policy.state_dict")))
    with check.part("the budget"):
        # The budget is checked between updates: the last update's episodes may run past it, by at most
        # episodes_per_update whole episodes.
        limit = BUDGET_STEPS + EPISODES_PER_UPDATE * CARTPOLE_MAX_STEPS
        steps = policies[0][0]
        if steps > limit:
            fail(
                f"{what} played episodes of {steps:g} environment steps in all; it should stop once "
                f"{BUDGET_STEPS} are used (at most {limit}, counting the episodes of the last update)",
                "loop while steps < max_env_steps AND the time is not up: either limit ends training",
            )
    with check.part("the seed"):
        (_, first), (_, second) = policies
        same = first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first)
        if not same:
            fail(
                f"{what} returned different policies in two runs with the same seed (only the state of "
                "np.random, random and torch's global generators differed)",
                "seed everything from seed: torch.manual_seed(seed), the sampling generator, and "
                "env.reset(seed=seed) for the first episode only",
            )


def _evaluate(agent, make_env, seeds, greedy: bool):
    return rollout(
        lambda obs, rewards: agent.call("act", obs, greedy=greedy), make_env, seeds, what="PolicyAgent.act"
    )


@pytest.mark.points(4)
@pytest.mark.timeout(240)
def test_reinforce_learns_cartpole(student, seed, figure):
    """REINFORCE, 6,000 env steps on CartPole-v1, two training seeds: each sampled policy clears the bar"""
    # Two training runs, both of which must clear the bar: the reference's mean return is above 110 on every
    # one of 12 seeds, while a broken sampler (actions drawn from the raw logits) stays near 9 on most seeds
    # but now and then lands on a policy that works; asking twice makes that luck rare.
    returns = {}
    for train_seed in np.random.default_rng(seed).integers(2**31, size=TRAINING_RUNS).tolist():
        agent = student.new(
            "reinforce.train_reinforce",
            "CartPole-v1",
            {},
            seed=train_seed,
            max_env_steps=CARTPOLE_STEPS,
            max_seconds=100.0,
        )
        seeds = np.random.default_rng(train_seed + 1).integers(2**31, size=20).tolist()
        outcome = _evaluate(agent, lambda: gym.make("CartPole-v1"), seeds, greedy=False)
        returns[train_seed] = outcome.returns.tolist()
        if outcome.mean_return < CARTPOLE_BAR:
            break
    with figure.attempt():
        figure.add(
            curves(
                "Your trained policies on 20 held-out CartPole episodes each",
                {f"training seed {s}": r for s, r in returns.items()},
                x_label="episode",
                y_label="return",
                threshold=CARTPOLE_BAR,
                caption="Counted by the grader; the mean of each training run must clear the bar.",
            )
        )
    means = {s: float(np.mean(r)) for s, r in returns.items()}
    low = [s for s, m in means.items() if m < CARTPOLE_BAR]
    if low:
        fail(
            f"after {CARTPOLE_STEPS} env steps of train_reinforce(seed={low[0]}), the policy's mean return "
            f"over 20 CartPole episodes was {means[low[0]]:.1f}; the bar is {CARTPOLE_BAR:g} for each of "
            f"{TRAINING_RUNS} training seeds (a random policy: about 22)"
        )
