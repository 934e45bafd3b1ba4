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
    return torch.softmax(logits, dim=-1)
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
    rewards = torch.as_tensor(rewards, dtype=torch.float64)
    out = torch.zeros_like(rewards)
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
    return (values - values.mean()) / (values.std(unbiased=False) + eps)
    ### END SOLUTION


def reinforce_loss(logits: Tensor, actions: Tensor, weights: Tensor) -> Tensor:
    """-mean_t log pi(actions_t | s_t) * weights_t; logits (N, A), actions (N,) int64, weights (N,) (no grad).

    Minimising it follows the policy gradient: actions with a positive weight become more likely.
    """
    ### BEGIN SOLUTION
    log_probs = F.log_softmax(logits, dim=-1).gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)  # (N,)
    return -(log_probs * weights.detach().to(log_probs.dtype)).mean()
    ### END SOLUTION


class PolicyAgent:
    """A trained policy the grader can ask for actions: greedy (argmax) or sampled."""

    def __init__(self, policy: nn.Module, seed: int = 0) -> None:
        self.policy = policy.eval()
        self.generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def act(self, observations: np.ndarray, greedy: bool = True) -> np.ndarray:
        """Actions for a batch of observations (N, obs_dim) -> int64 (N,)."""
        logits = self.policy(torch.as_tensor(np.asarray(observations), dtype=torch.float32))
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
    torch.manual_seed(seed)
    bicycle.register()  # so that gym.make knows BicycleGrid-v0
    env = gym.make(env_id, **(env_kwargs or {}))
    obs_dim, n_actions = int(np.prod(env.observation_space.shape)), int(env.action_space.n)
    policy = PolicyNetwork(obs_dim, n_actions, config.hidden)
    value = PolicyNetwork(obs_dim, 1, config.hidden)  # used only with baseline="learned"
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
                with torch.no_grad():
                    logits = policy(torch.as_tensor(obs, dtype=torch.float32).reshape(1, -1))
                action = int(sample_actions(logits, generator)[0])
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
        returns_t = torch.cat(batch_returns).float()  # (N,)
        # ---- 3. the weights: normalised returns, or returns minus a learned V(s)
        # ---------------------------------
        if config.baseline == "learned":
            values = value(obs_t).squeeze(-1)  # (N,)
            weights = normalise(returns_t - values.detach())
            value_loss = F.mse_loss(values, returns_t)
        else:
            weights = normalise(returns_t)
            value_loss = torch.zeros(())
        # ---- 4. one gradient step on the policy-gradient loss
        # --------------------------------------------------
        loss = reinforce_loss(policy(obs_t), actions_t, weights) + 0.5 * value_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
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
