"""REINFORCE for discrete actions: a categorical policy over logits, trained on discounted returns-to-go.

Implements: `PolicyNetwork` (an MLP from observations to logits), `action_probabilities`, `sample_actions`,
`returns_to_go`, `normalise`, `reinforce_loss`, and `train_reinforce`, a CleanRL-style straight-line training
function that returns a `PolicyAgent` the grader asks for actions.

Follows: Williams (1992); Sutton & Barto 13.3-13.4 (REINFORCE, with a baseline). The gradient estimate is

    grad J = E[ sum_t grad log pi(a_t | s_t) * G_t ],  G_t = r_{t+1} + gamma r_{t+2} + ...  (return-to-go)

so the loss we *minimise* is -mean_t log pi(a_t | s_t) * weight_t, with weight_t the return-to-go normalised
over the batch (or minus a learned baseline V(s_t)). The course's first attempt (seed 002) sampled from raw
network outputs instead of probabilities; here the network outputs logits, the distribution is
softmax(logits), and the loss uses log-probabilities (log_softmax, which is exact where log(softmax)
underflows).

Leaves out: entropy bonus, vectorised environments, PPO's clipping (the course's own benchmark, not part of
this release, compares with PPO).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from . import bicycle


class PolicyNetwork(nn.Module):
    """obs (N, obs_dim) -> logits (N, n_actions): two tanh hidden layers, a linear head (no softmax)."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int = 64) -> None:
        super().__init__()
        # tanh, as in CleanRL's policy networks: bounded activations keep the logits moderate, so the initial
        # policy is close to uniform and explores. No softmax at the end: the head outputs logits, and the
        # functions below turn them into probabilities or log-probabilities, whichever they need.
        self.body = nn.Sequential(
            nn.Linear(obs_dim, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, n_actions),
        )

    def forward(self, obs: Tensor) -> Tensor:
        return self.body(obs)  # (N, n_actions)


def action_probabilities(logits: Tensor) -> Tensor:
    """pi(a | s) = softmax(logits) over the last dimension; (N, A) -> (N, A), rows sum to 1."""
    ### BEGIN SOLUTION
    # softmax makes every entry positive and each row sum to 1: a valid distribution over actions for any
    # logits the network outputs. Over dim -1, the actions, never over the batch.
    return torch.softmax(logits, dim=-1)  # (N, A) -> (N, A)
    ### END SOLUTION


def sample_actions(logits: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """One action per row, drawn from softmax(logits) (never from the raw logits); int64 (N,)."""
    ### BEGIN SOLUTION
    # Inverse-CDF sampling: draw u ~ U[0, 1) per row and take the first action whose cumulative probability
    # exceeds u. It needs probabilities (non-negative, summing to 1); the course version sampled from the raw
    # network outputs, which are neither. (torch.multinomial does the same, about 10x slower for one row.)
    cdf = action_probabilities(logits).cumsum(-1)  # (N, A), last column 1 up to rounding
    u = torch.rand((*cdf.shape[:-1], 1), generator=generator, dtype=cdf.dtype)  # (N, 1)
    return (cdf <= u).sum(-1).clamp(max=cdf.shape[-1] - 1)  # (N,) int64
    ### END SOLUTION


def returns_to_go(rewards: Tensor, gamma: float) -> Tensor:
    """G_t = r_{t+1} + gamma G_{t+1} for t = T-1 .. 0 (G_T = 0): one episode's rewards (T,) -> (T,)."""
    ### BEGIN SOLUTION
    # float64: a long episode sums hundreds of discounted terms, and the grader compares to the last digits.
    rewards = torch.as_tensor(rewards, dtype=torch.float64)  # (T,)
    out = torch.zeros_like(rewards)  # (T,)
    # Return-to-go, not the whole episode's return: an action can only be credited with the rewards that
    # came AFTER it (earlier rewards are noise for its gradient, with zero mean but large variance).
    running = 0.0
    # Backwards: each return is its reward plus the discounted return of the step after it. Forwards
    # (G_t = gamma G_{t-1} + r_t) would discount the *first* rewards most, the wrong way round.
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t].item() + gamma * running
        out[t] = running
    return out
    ### END SOLUTION


def normalise(values: Tensor, eps: float = 1e-8) -> Tensor:
    """(values - mean) / (std + eps): the cheapest baseline, and it keeps the step size steady."""
    ### BEGIN SOLUTION
    # Subtracting the mean is a baseline: actions better than the batch's average get pushed up, worse ones
    # down, instead of all being pushed up when every return is positive. It changes the gradient's variance,
    # not its expectation. Dividing by the std keeps the step size independent of the reward scale; eps
    # avoids 0 / 0 when all returns are equal (then every weight is 0: nothing to learn from that batch).
    return (values - values.mean()) / (values.std(unbiased=False) + eps)
    ### END SOLUTION


def reinforce_loss(logits: Tensor, actions: Tensor, weights: Tensor) -> Tensor:
    """-mean_t log pi(actions_t | s_t) * weights_t; logits (N, A), actions (N,) int64, weights (N,) (no grad).

    Minimising it follows the policy gradient: actions with a positive weight become more likely.
    """
    ### BEGIN SOLUTION
    # log pi(a_t | s_t) of the action actually taken: log_softmax over actions, (N, A), then gather picks
    # column actions[i] of row i: (N, A) gather (N, 1) -> (N, 1) -> squeeze -> (N,).
    log_probs = F.log_softmax(logits, dim=-1).gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)  # (N,)
    # detach: the weights say how good each action turned out, a fixed number for this update. A learned
    # baseline's gradient must not flow through them (it is trained by its own loss), or the policy loss
    # would train the value network to make the weights large.
    # Minus, because optimizers minimise and we want to climb J; mean over the batch of steps.
    return -(log_probs * weights.detach().to(log_probs.dtype)).mean()
    ### END SOLUTION


class PolicyAgent:
    """A trained policy the grader can ask for actions: greedy (argmax) or sampled."""

    def __init__(self, policy: nn.Module, seed: int = 0) -> None:
        self.policy = policy.eval()  # eval(): no dropout or other training-only behaviour while acting
        self.generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def act(self, observations: np.ndarray, greedy: bool = True) -> np.ndarray:
        """Actions for a batch of observations (N, obs_dim) -> int64 (N,)."""
        logits = self.policy(torch.as_tensor(np.asarray(observations), dtype=torch.float32))  # (N, A)
        actions = logits.argmax(-1) if greedy else sample_actions(logits, self.generator)
        return actions.numpy().astype(np.int64)


@dataclass
class ReinforceConfig:
    gamma: float = 0.99
    learning_rate: float = (
        3e-3  # 1e-2 learns faster on average but collapses to a deterministic policy on some seeds
    )
    hidden: int = 64
    episodes_per_update: int = 2  # averages the gradient over a few episodes: less noise per step
    baseline: str = "normalise"  # or "learned": a value network V(s) as baseline
    target_return: float | None = None  # stop early once the last 100 episodes average at least this


def train_reinforce(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    *,
    seed: int = 0,
    max_env_steps: int = 50_000,
    max_seconds: float = 30.0,
    **overrides: Any,
) -> PolicyAgent:
    """Train REINFORCE on `env_id` until `max_env_steps` environment steps or `max_seconds` have passed."""
    # ---- boilerplate: config, seeding, environment, networks
    # --------------------------------------------------
    config = ReinforceConfig(**overrides)
    # Seeds the networks' initial weights (nn.Linear draws from the global generator); sampling actions uses
    # its own generator below.
    torch.manual_seed(seed)
    bicycle.register()  # so that gym.make knows BicycleGrid-v0
    env = gym.make(env_id, **(env_kwargs or {}))
    # Observations are flattened to vectors: the MLP takes obs_dim numbers, whatever the Box's shape.
    obs_dim, n_actions = int(np.prod(env.observation_space.shape)), int(env.action_space.n)
    policy = PolicyNetwork(obs_dim, n_actions, config.hidden)
    value = PolicyNetwork(obs_dim, 1, config.hidden)  # used only with baseline="learned"
    # One optimizer for both networks; their losses are summed in step 4, and each loss only reaches its own
    # network's parameters (the detach in reinforce_loss sees to that).
    params = list(policy.parameters()) + (list(value.parameters()) if config.baseline == "learned" else [])
    optimizer = torch.optim.Adam(params, lr=config.learning_rate)
    generator = torch.Generator().manual_seed(seed)
    deadline, steps, episode = time.perf_counter() + max_seconds, 0, 0
    episode_returns: list[float] = []
    ### BEGIN SOLUTION
    while steps < max_env_steps and time.perf_counter() < deadline:
        # ---- 1. collect a few whole episodes with the current policy (no graph kept while acting)
        # -------------
        batch_obs, batch_actions, batch_returns = [], [], []
        for _ in range(config.episodes_per_update):
            obs, _ = env.reset(seed=seed if episode == 0 else None)
            episode += 1
            rewards = []
            while True:
                # No graph while acting: the loss in step 4 recomputes the logits of the whole batch in one
                # forward pass, which is cheaper than keeping a graph per step.
                with torch.no_grad():
                    # (obs_dim,) -> (1, obs_dim): a batch of one observation; logits (1, A)
                    logits = policy(torch.as_tensor(obs, dtype=torch.float32).reshape(1, -1))
                # SAMPLE, never argmax, during training: the gradient estimate assumes the actions were drawn
                # from pi, and without randomness the policy would never try anything new.
                action = int(sample_actions(logits, generator)[0])
                # The observation the action was chosen from, flattened to (obs_dim,).
                batch_obs.append(np.asarray(obs, dtype=np.float32).reshape(-1))
                batch_actions.append(action)
                obs, reward, terminated, truncated, _ = env.step(action)
                rewards.append(float(reward))
                steps += 1
                if terminated or truncated:
                    break
            # 2. returns-to-go within the episode (a truncated episode's tail is simply cut: REINFORCE
            #    does not bootstrap, the usual Monte-Carlo compromise).
            batch_returns.append(returns_to_go(torch.tensor(rewards), config.gamma))
            episode_returns.append(sum(rewards))
        obs_t = torch.as_tensor(np.stack(batch_obs))  # (N, obs_dim)
        actions_t = torch.tensor(batch_actions)  # (N,)
        # The episodes' steps laid end to end: N = total steps of this batch of episodes.
        returns_t = torch.cat(batch_returns).float()  # (N,)
        # ---- 3. the weights: normalised returns, or returns minus a learned V(s)
        # ---------------------------------
        if config.baseline == "learned":
            # V(s_t) estimates the return expected from s_t; G_t - V(s_t) (the advantage) says how much
            # better than expected the action turned out. detach: the policy's weights are data, and V
            # learns only from its own regression loss towards the observed returns.
            values = value(obs_t).squeeze(-1)  # (N, 1) -> (N,)
            weights = normalise(returns_t - values.detach())
            value_loss = F.mse_loss(values, returns_t)
        else:
            weights = normalise(returns_t)
            value_loss = torch.zeros(())
        # ---- 4. one gradient step on the policy-gradient loss
        # --------------------------------------------------
        #      Now with a graph: policy(obs_t) is (N, obs_dim) -> (N, A). The 0.5 weighs the value loss
        #      against the policy loss (CleanRL's vf_coef); the two losses share no parameters.
        loss = reinforce_loss(policy(obs_t), actions_t, weights) + 0.5 * value_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # Optional early stop: a moving average over 100 episodes, so one lucky episode does not end training.
        recent = episode_returns[-100:]
        if (
            config.target_return is not None
            and len(recent) == 100
            and np.mean(recent) >= config.target_return
        ):
            break
    ### END SOLUTION
    env.close()
    agent = PolicyAgent(policy, seed)
    agent.env_steps = steps
    agent.episode_returns = episode_returns
    return agent
