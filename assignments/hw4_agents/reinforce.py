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
    raise NotImplementedError("action_probabilities: write this part (see its docstring)")


def sample_actions(logits: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """One action per row, drawn from softmax(logits) (never from the raw logits); int64 (N,)."""
    raise NotImplementedError("sample_actions: write this part (see its docstring)")


def returns_to_go(rewards: Tensor, gamma: float) -> Tensor:
    """G_t = r_{t+1} + gamma G_{t+1} for t = T-1 .. 0 (G_T = 0): one episode's rewards (T,) -> (T,)."""
    raise NotImplementedError("returns_to_go: write this part (see its docstring)")


def normalise(values: Tensor, eps: float = 1e-8) -> Tensor:
    """(values - mean) / (std + eps): the cheapest baseline, and it keeps the step size steady."""
    raise NotImplementedError("normalise: write this part (see its docstring)")


def reinforce_loss(logits: Tensor, actions: Tensor, weights: Tensor) -> Tensor:
    """-mean_t log pi(actions_t | s_t) * weights_t; logits (N, A), actions (N,) int64, weights (N,) (no grad).

    Minimising it follows the policy gradient: actions with a positive weight become more likely.
    """
    raise NotImplementedError("reinforce_loss: write this part (see its docstring)")


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
    raise NotImplementedError("train_reinforce: write this part (see its docstring)")
    env.close()
    agent = PolicyAgent(policy, seed)
    agent.env_steps = steps
    agent.episode_returns = episode_returns
    return agent
