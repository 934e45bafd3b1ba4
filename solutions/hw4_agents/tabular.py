"""Model-free control with a table: epsilon-greedy exploration, Q-learning and SARSA.

Implements: `epsilon_greedy` (random ties), `linear_epsilon` (the schedule), the two TD targets
`q_learning_target` and `sarsa_target` as pure functions, and `train_td` (one training loop for both), which
returns a `TabularAgent` that acts greedily.

Follows: Sutton & Barto 6.4 (SARSA, on-policy: bootstrap from the action the behaviour policy will actually
take) and 6.5 (Q-learning, off-policy: bootstrap from the greedy action); CleanRL's straight-line training
loop.

The subtle lines: (1) bootstrap only when the transition did not *terminate*; a *truncated* transition still
bootstraps, because the state has a future the time limit cut off. (2) Greedy ties must be broken at random:
with a zero-initialised table every action ties, and `argmax` always picking action 0 makes the "greedy" part
of the policy walk into the same wall forever.

Leaves out: eligibility traces, expected SARSA, double Q-learning.
"""

from __future__ import annotations

import time
from typing import Any

import gymnasium as gym
import numpy as np


def make_rng(seed: int) -> np.random.Generator:
    """`np.random.default_rng(seed)` (given; the grader uses it to hand your functions a generator)."""
    return np.random.default_rng(seed)


def greedy(q_values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The argmax of each row of `q_values` (N, A), ties broken uniformly at random; int64 of shape (N,)."""
    ### BEGIN SOLUTION
    # Exact equality is right here: ties come from identical table entries (a zero-initialised table, or two
    # actions updated the same way), not from rounding.
    q_values = np.asarray(q_values, dtype=np.float64)  # (N, A)
    best = q_values == q_values.max(axis=1, keepdims=True)  # (N, A): every maximal action is a candidate
    # A random key per entry, -1 for non-candidates: the argmax of the keys is a uniform choice among the
    # ties.
    keys = np.where(best, rng.random(q_values.shape), -1.0)  # (N, A)
    return keys.argmax(axis=1).astype(np.int64)
    ### END SOLUTION


def epsilon_greedy(q_values: np.ndarray, epsilon: float, rng: np.random.Generator) -> np.ndarray:
    """With probability `epsilon` a uniformly random action, else `greedy`; per row of `q_values` (N, A).

    So an action's probability is epsilon / A, plus (1 - epsilon) / k if it is one of the k greedy actions.
    """
    ### BEGIN SOLUTION
    q_values = np.asarray(q_values, dtype=np.float64)
    n, n_actions = q_values.shape
    # Exploration keeps every action's estimate improving: a purely greedy agent never retries an action
    # whose first outcome was bad, and may never find the goal at all.
    explore = rng.random(n) < epsilon  # (N,)
    # Both candidates are drawn for every row (the random ones are then discarded where greedy wins), so the
    # number of draws from rng does not depend on the outcome: runs replay exactly with the same seed.
    return np.where(explore, rng.integers(n_actions, size=n), greedy(q_values, rng)).astype(np.int64)
    ### END SOLUTION


def linear_epsilon(step: int, start: float, end: float, decay_steps: int) -> float:
    """epsilon at `step`: `start` at step 0, linearly down to `end` at `decay_steps`, then `end` for ever."""
    ### BEGIN SOLUTION
    # Explore a lot while the table knows nothing, then less and less as its estimates become worth
    # following. max(..., 1) guards decay_steps = 0 (drop to `end` at once); the min holds `end` afterwards.
    fraction = min(max(step, 0) / max(decay_steps, 1), 1.0)
    return start + fraction * (end - start)
    ### END SOLUTION


def q_learning_target(
    rewards: np.ndarray, next_q: np.ndarray, terminated: np.ndarray, gamma: float
) -> np.ndarray:
    """r + gamma * max_a' Q(s', a') * (1 - terminated); rewards (N,), next_q (N, A), terminated (N,)."""
    ### BEGIN SOLUTION
    rewards, next_q = np.asarray(rewards, np.float64), np.asarray(next_q, np.float64)
    alive = 1.0 - np.asarray(terminated, np.float64)  # 0 where the episode ended: no future to add
    # Off-policy: bootstrap from the BEST next action, whatever the exploring agent will actually do, so Q
    # learns the greedy policy's values while behaving epsilon-greedily. (N, A) -> (N,).
    return rewards + gamma * next_q.max(axis=1) * alive
    ### END SOLUTION


def sarsa_target(
    rewards: np.ndarray, next_q: np.ndarray, next_actions: np.ndarray, terminated: np.ndarray, gamma: float
) -> np.ndarray:
    """r + gamma * Q(s', a') * (1 - terminated), a' the action actually chosen next (next_actions (N,))."""
    ### BEGIN SOLUTION
    rewards, next_q = np.asarray(rewards, np.float64), np.asarray(next_q, np.float64)
    alive = 1.0 - np.asarray(terminated, np.float64)  # (N,), 0 where the episode ended
    # Q(s', a') for the action actually taken next, not the max over a'. On-policy: the values include the
    # cost of exploring, so SARSA prefers safer paths near cliffs and holes. Fancy indexing, (N, A) -> (N,).
    chosen = next_q[np.arange(len(next_q)), np.asarray(next_actions, np.int64)]  # (N,)
    return rewards + gamma * chosen * alive
    ### END SOLUTION


class TabularAgent:
    """A Q-table and the greedy policy it defines; `act` is what the grader calls."""

    def __init__(self, q: np.ndarray, seed: int = 0) -> None:
        self.q = q  # (S, A)
        self.rng = np.random.default_rng(seed)  # for greedy's tie-breaking only

    def act(self, observations: np.ndarray) -> np.ndarray:
        """Greedy actions (ties at random) for a batch of integer states (N,) -> int64 (N,)."""
        # Row lookup: (S, A) indexed by (N,) states -> (N, A).
        return greedy(self.q[np.asarray(observations, dtype=np.int64)], self.rng)


def train_td(
    env_id: str,
    env_kwargs: dict[str, Any],
    *,
    method: str = "q_learning",
    seed: int = 0,
    episodes: int = 5000,
    max_seconds: float = 20.0,
    alpha: float = 0.1,
    gamma: float = 0.99,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.05,
    decay_fraction: float = 0.5,
    initial_q: float = 0.0,
) -> TabularAgent:
    """Train Q-learning (`method="q_learning"`) or SARSA (`"sarsa"`) for `episodes` episodes.

    Every Q(s, a) starts at `initial_q` (optimistic values, above what the agent can earn, make it explore).
    Everything random comes from `seed` (the environment's resets and `rng`), so the same call returns the
    same table; the grader replays your run update by update with your own `epsilon_greedy` and the same
    seed, so follow this loop exactly:

    1. epsilon is set once per *episode*: episode k (from 0) uses
       `linear_epsilon(k, epsilon_start, epsilon_end, decay_episodes)` for all its steps.
    2. Reset the environment with `seed` for the first episode only (`seed=None` afterwards): later episodes
       continue its own generator, so each episode meets new randomness.
    3. Every action is chosen by one call `epsilon_greedy(q[[state]], epsilon, rng)`: the first one after the
       reset, then after every step the next action a' for next_state, chosen *before* Q(s, a) is updated.
       SARSA bootstraps from that a' and then takes it. Nothing else draws from `rng`; never use np.random.
       (Also accepted: Q-learning choosing each action at the start of its step, after the previous
       update; no draw after a step that terminated; for Q-learning, no draw after the episode's last step.)
    4. Q(s, a) += alpha * (target - Q(s, a)), where only `terminated` stops the bootstrap: a truncated step
       still bootstraps. The episode ends on terminated or truncated.
    """
    env = gym.make(env_id, **env_kwargs)
    rng = np.random.default_rng(seed)
    n_states, n_actions = env.observation_space.n, env.action_space.n
    q = np.full((n_states, n_actions), float(initial_q), dtype=np.float64)  # (S, A)
    deadline = time.perf_counter() + max_seconds
    decay_episodes = int(decay_fraction * episodes)
    ### BEGIN SOLUTION
    for episode in range(episodes):
        if time.perf_counter() > deadline:
            break
        epsilon = linear_epsilon(episode, epsilon_start, epsilon_end, decay_episodes)
        # One seed for the first reset; later resets continue the environment's own generator.
        state, _ = env.reset(seed=seed if episode == 0 else None)
        # epsilon_greedy works on batches: one state is a batch of one, (A,) -> (1, A), and [0] unwraps it.
        action = int(epsilon_greedy(q[state][None], epsilon, rng)[0])
        while True:
            next_state, reward, terminated, truncated, _ = env.step(action)
            # The next action is chosen now, by the behaviour policy: SARSA learns about it, Q-learning
            # ignores it.
            next_action = int(epsilon_greedy(q[next_state][None], epsilon, rng)[0])
            if method == "sarsa":
                target = sarsa_target([reward], q[next_state][None], [next_action], [terminated], gamma)[0]
            else:
                target = q_learning_target([reward], q[next_state][None], [terminated], gamma)[0]
            # TD update: move Q(s, a) a step alpha towards the target. A truncated step bootstraps (above,
            # terminated is False for it); only the loop stops.
            q[state, action] += alpha * (target - q[state, action])
            if terminated or truncated:
                break
            state, action = next_state, next_action
    ### END SOLUTION
    env.close()
    return TabularAgent(q, seed)
