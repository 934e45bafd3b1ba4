"""A Decision-Transformer-style policy: a small GPT over (return-to-go, state, action) tokens, offline.

Implements: `DecisionTransformer` (embeddings of the three token kinds plus a timestep embedding, a stack of
pre-LayerNorm causal transformer blocks, an action head read at each *state* token), `dt_loss`,
`train_decision_transformer` (supervised learning on windows of logged episodes, no environment at all),
`DTAgent` (acts by conditioning on a target return and subtracting each reward it receives), and behaviour
cloning (`train_behaviour_cloning`), the baseline it is compared with.

Follows: Chen et al. 2021, "Decision Transformer: Reinforcement Learning via Sequence Modeling": the sequence
is R_1, s_1, a_1, R_2, s_2, a_2, ... with R_t = sum of the rewards from t to the end (the return-to-go), and
the action a_t is predicted from the output at s_t, which by the causal mask sees R_1..R_t, s_1..s_t and
a_1..a_{t-1} but not a_t. At test time R_1 is the return we *ask for*, and after each step the reward just
received is subtracted: R_{t+1} = R_t - r_t. Forgetting that subtraction keeps asking for the whole target
return at every step, a sequence the model never saw in training. The blocks are nanoGPT's, small and
self-contained (this file depends on no other assignment).

Leaves out: continuous actions, predicting states or returns, the original's learning-rate warm-up.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .reinforce import PolicyAgent, PolicyNetwork
from .reinforce import returns_to_go as episode_returns_to_go


@dataclass
class DTConfig:
    state_dim: int
    n_actions: int
    hidden: int = 64
    n_layers: int = 2
    n_heads: int = 2
    context: int = 10  # steps of history the model sees (3 tokens each)
    max_timestep: int = 1024  # timestep embedding table size; longer episodes reuse the last entry
    return_scale: float = 100.0  # returns-to-go are divided by this before embedding (CartPole's reach 500)
    n_tasks: int = 1  # > 1: a task (environment) token embedding is added, one model for several environments


class Block(nn.Module):
    """Pre-LayerNorm transformer block: x + attn(ln(x)), then x + mlp(ln(x)) (nanoGPT's layout)."""

    def __init__(self, hidden: int, n_heads: int) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.ln1, self.ln2 = nn.LayerNorm(hidden), nn.LayerNorm(hidden)
        self.qkv = nn.Linear(hidden, 3 * hidden)  # every head's W_Q, W_K, W_V in one matmul: d -> 3d
        self.proj = nn.Linear(hidden, hidden)  # W^O, mixing the heads back together
        self.mlp = nn.Sequential(nn.Linear(hidden, 4 * hidden), nn.GELU(), nn.Linear(4 * hidden, hidden))

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError("forward: write this part (see its docstring)")


class DecisionTransformer(nn.Module):
    """(returns_to_go (B,K), states (B,K,S), actions (B,K), timesteps (B,K)[, tasks (B,)]) -> (B,K,A)"""

    def __init__(self, config: dict[str, Any] | DTConfig) -> None:
        super().__init__()
        self.config = config if isinstance(config, DTConfig) else DTConfig(**config)
        c = self.config
        # Three token kinds, three embeddings: a return is one number (a linear map), a state a vector (a
        # linear map), an action a discrete choice (a lookup table). All land in the same d-dim space.
        self.embed_return = nn.Linear(1, c.hidden)
        self.embed_state = nn.Linear(c.state_dim, c.hidden)
        self.embed_action = nn.Embedding(c.n_actions, c.hidden)
        # The timestep of the episode, not the token's position in the window: the three tokens of one step
        # share it, and a window that starts at step 500 still knows it is late in the episode.
        self.embed_timestep = nn.Embedding(c.max_timestep, c.hidden)
        self.embed_task = nn.Embedding(c.n_tasks, c.hidden)
        self.blocks = nn.ModuleList(Block(c.hidden, c.n_heads) for _ in range(c.n_layers))
        self.ln_f = nn.LayerNorm(c.hidden)
        self.head = nn.Linear(c.hidden, c.n_actions)

    def forward(
        self,
        returns_to_go: Tensor,
        states: Tensor,
        actions: Tensor,
        timesteps: Tensor,
        tasks: Tensor | None = None,
    ) -> Tensor:
        """Action logits at every step; the logits at step t depend on R_<=t, s_<=t and a_<t only."""
        raise NotImplementedError("forward: write this part (see its docstring)")


def dt_loss(logits: Tensor, actions: Tensor) -> Tensor:
    """Cross-entropy between the predicted logits (B, K, A) and the logged actions (B, K)."""
    # Flatten batch and window: (B, K, A) -> (B*K, A) and (B, K) -> (B*K,), every step one classification.
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), actions.reshape(-1).long())


def _episodes(dataset: dict[str, Any]) -> list[tuple[int, int]]:
    """(start, end) of each logged episode, from dataset["episode_lengths"]."""
    # Lengths [3, 2, 4] -> ends [3, 5, 9] -> starts [0, 3, 5]: the episodes' slices of the flat arrays.
    ends = np.cumsum(np.asarray(dataset["episode_lengths"], dtype=np.int64))
    return list(zip(np.concatenate([[0], ends[:-1]]).tolist(), ends.tolist()))


def train_decision_transformer(
    dataset: dict[str, Any],
    *,
    seed: int = 0,
    iterations: int = 300,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    max_seconds: float = 30.0,
    tasks: list[int] | None = None,
    **config: Any,
) -> DecisionTransformer:
    """Train a DecisionTransformer on logged episodes.

    `dataset`: {"observations": (N, S) float, "actions": (N,) int, "rewards": (N,) float, "episode_lengths":
    (E,)}, episodes concatenated in order. `tasks` (one int per episode) enables the task token. Windows of
    `context` steps are drawn from inside single episodes; episodes shorter than the context are skipped.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    observations = torch.as_tensor(np.asarray(dataset["observations"], dtype=np.float32))
    actions = torch.as_tensor(np.asarray(dataset["actions"], dtype=np.int64))
    rewards = np.asarray(dataset["rewards"], dtype=np.float64)
    episodes = _episodes(dataset)
    n_tasks = 1 + max(tasks) if tasks else 1
    model = DecisionTransformer(
        DTConfig(state_dim=observations.shape[1], n_actions=int(actions.max()) + 1, n_tasks=n_tasks, **config)
    )
    k = model.config.context
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=1e-4)
    deadline = time.perf_counter() + max_seconds
    raise NotImplementedError("train_decision_transformer: write this part (see its docstring)")
    return model.eval()


class DTAgent:
    """Acts with a DecisionTransformer conditioned on `target_return`, for a batch of episodes in lockstep.

    `act(observations (N, S), rewards (N,))`: `rewards` are the rewards received for the previous actions
    (zeros on the first call). Returns greedy actions, int64 (N,). The first call (or a change of N) starts
    new episodes.
    """

    def __init__(self, model: DecisionTransformer, target_return: float, task: int | None = None) -> None:
        self.model = model.eval()
        self.target_return = float(target_return)
        self.task = task
        self.n = -1  # no episodes yet: the first act() starts them

    def reset(self, n: int) -> None:
        self.n = n
        self.returns = torch.full((n, 0), self.target_return)  # (N, t): R_1 .. R_t
        self.states = torch.zeros((n, 0, self.model.config.state_dim))  # (N, t, S)
        self.actions = torch.zeros((n, 0), dtype=torch.long)  # (N, t)
        self.t = 0  # steps taken in the current episodes

    @torch.no_grad()
    def act(self, observations: np.ndarray, rewards: np.ndarray) -> np.ndarray:
        observations = torch.as_tensor(np.asarray(observations), dtype=torch.float32)  # (N, S)
        rewards = torch.as_tensor(np.asarray(rewards), dtype=torch.float32)  # (N,)
        if observations.shape[0] != self.n or self.states.shape[1] == 0:
            self.reset(observations.shape[0])
            current = torch.full((self.n,), self.target_return)
        else:
            raise NotImplementedError("act: write this part (see its docstring)")
        k = self.model.config.context
        # Append the new step (with a placeholder action, invisible to its own state token), keep the last K.
        # [:, -k:]: the model was trained on windows of K steps; older steps fall out of its context.
        self.returns = torch.cat([self.returns, current[:, None]], dim=1)[:, -k:]
        self.states = torch.cat([self.states, observations[:, None]], dim=1)[:, -k:]
        self.actions = torch.cat([self.actions, torch.zeros((self.n, 1), dtype=torch.long)], dim=1)[:, -k:]
        self.t += 1
        steps = self.states.shape[1]
        first = self.t - steps  # the absolute timestep of the first step in the window
        timesteps = (first + torch.arange(steps)).expand(self.n, steps)  # (t,) -> (N, t), no copy
        tasks = None if self.task is None else torch.full((self.n,), self.task)
        logits = self.model(self.returns, self.states, self.actions, timesteps, tasks)  # (N, t, A)
        chosen = logits[:, -1].argmax(-1)  # (N, t, A) -> (N, A) at the newest step -> (N,)
        # The placeholder becomes the real action, so the next step's window shows what was done.
        self.actions[:, -1] = chosen
        return chosen.numpy().astype(np.int64)

    def context(self) -> dict[str, Tensor]:
        """The window the model saw at the last step: returns-to-go (N, t), states, actions (given)."""
        return {"returns_to_go": self.returns, "states": self.states, "actions": self.actions}


def make_dt_agent(model: DecisionTransformer, target_return: float, task: int | None = None) -> DTAgent:
    """A DTAgent (given; lets the grader build one around a model that lives in your process)."""
    return DTAgent(model, target_return, task)


def train_behaviour_cloning(
    dataset: dict[str, Any], *, seed: int = 0, iterations: int = 300, batch_size: int = 64, hidden: int = 64
) -> PolicyAgent:
    """Behaviour cloning: an MLP classifier from logged states to logged actions (the baseline; given)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    observations = torch.as_tensor(np.asarray(dataset["observations"], dtype=np.float32))
    actions = torch.as_tensor(np.asarray(dataset["actions"], dtype=np.int64))
    policy = PolicyNetwork(observations.shape[1], int(actions.max()) + 1, hidden)
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-3)
    # Plain supervised classification of single steps: no returns, no history. If the logged data mixes good
    # and bad play, BC imitates the average; the Decision Transformer can be asked for the good part.
    for _ in range(iterations):
        index = torch.as_tensor(rng.integers(len(actions), size=batch_size))  # (B,) random logged steps
        loss = F.cross_entropy(policy(observations[index]), actions[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return PolicyAgent(policy, seed)


def config_dict(model: DecisionTransformer) -> dict[str, Any]:
    """The model's configuration as plain data (given; the grader rebuilds the same architecture from it)."""
    return asdict(model.config)
