"""Dyna-Q: learn a model of the world from real steps, then plan with it between them.

Implements: `TabularModel` (a deterministic tabular model: for each visited (s, a), the last (r, s',
terminated) seen) and `train_dyna_q`, Q-learning plus `planning_steps` simulated Q-learning updates per real
step, replayed from the model. With `planning_steps=0` it *is* Q-learning, which makes the sample-efficiency
comparison fair:
same code, same seed, only the planning differs.

Follows: Sutton & Barto 8.2, "Tabular Dyna-Q", step (f): "S <- random previously observed state; A <- random
action previously taken in S". The model may only replay what it has seen: planning from a state-action pair
never visited invents a transition (reward 0, next state 0) that does not exist.

Leaves out: Dyna-Q+ (exploration bonuses for a changing world), prioritized sweeping, stochastic models.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from .tabular import TabularAgent, epsilon_greedy, q_learning_target

MAZE_ID = "DynaMaze-v0"
# Sutton & Barto's Figure 8.2 maze: 6 rows x 9 columns, S start, G goal, # wall. The shortest path is 14
# steps.
MAZE = (
    ".......#G",
    "..#....#.",
    "S.#....#.",
    "..#......",
    ".....#...",
    ".........",
)


class DynaMaze(gym.Env):
    """The deterministic maze of Sutton & Barto 8.2 (given).

    Observation: `Discrete(54)`, the cell row * 9 + column. Actions: `Discrete(4)`, 0 up, 1 right, 2 down, 3
    left; a move into a wall or off the grid leaves the agent where it is. Reward 1 on reaching G
    (terminated), else 0. Truncated after `max_steps` steps.
    """

    metadata: ClassVar[dict] = {"render_modes": []}
    MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (row, column) change of up, right, down, left

    def __init__(self, max_steps: int = 2000) -> None:
        # A generous limit: an untrained agent wanders at random, and an episode cut short never reaches G.
        self.rows, self.cols = len(MAZE), len(MAZE[0])
        self.max_steps = max_steps
        self.observation_space = gym.spaces.Discrete(self.rows * self.cols)
        self.action_space = gym.spaces.Discrete(4)
        # Found in the map, not hard-coded, so that the map above is the one place that defines the maze.
        self.start = next((r, c) for r, row in enumerate(MAZE) for c, ch in enumerate(row) if ch == "S")
        self.cell, self.steps = self.start, 0

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[int, dict]:
        # The maze has no randomness of its own, but super().reset seeds self.np_random as Gymnasium expects.
        super().reset(seed=seed)
        self.cell, self.steps = self.start, 0
        # A cell (row, column) becomes one integer state, row-major, so Q can be a (54, 4) table.
        return self.cell[0] * self.cols + self.cell[1], {}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict]:
        # Refuse invalid actions loudly (Gymnasium's own environments do) rather than guessing what was meant.
        if action not in self.action_space:
            raise ValueError(f"{action!r} is not an action of {self.action_space}")
        dr, dc = self.MOVES[int(action)]
        r, c = self.cell[0] + dr, self.cell[1] + dc
        if 0 <= r < self.rows and 0 <= c < self.cols and MAZE[r][c] != "#":
            self.cell = (r, c)  # otherwise a wall or the edge: stay put (the step still counts)
        self.steps += 1
        # Reaching G is the MDP's own end; the step limit is a truncation, and never both at once.
        terminated = MAZE[self.cell[0]][self.cell[1]] == "G"
        truncated = not terminated and self.steps >= self.max_steps
        return self.cell[0] * self.cols + self.cell[1], float(terminated), terminated, truncated, {}


# Registered on import, once: registering the id again would only warn that it overrides the first one.
if MAZE_ID not in gym.registry:
    gym.register(id=MAZE_ID, entry_point=DynaMaze)


class TabularModel:
    """Model(s, a) -> (reward, next_state, terminated), learned from real transitions."""

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.n_states, self.n_actions = n_states, n_actions
        # A dict of what was seen, not an (S, A) table: "never visited" must be distinguishable from "visited,
        # reward 0, next state 0", and only visited pairs may be sampled.
        self.transitions: dict[tuple[int, int], tuple[float, int, bool]] = {}
        self.visited: list[tuple[int, int]] = []  # in first-visit order, so sampling is reproducible

    def update(self, state: int, action: int, reward: float, next_state: int, terminated: bool) -> None:
        """Remember the last outcome of (state, action): the world is assumed deterministic."""
        ### BEGIN SOLUTION
        # int()/float()/bool(): store plain Python values, not NumPy scalars, so samples are plain data.
        key = (int(state), int(action))
        # A list beside the dict: sampling needs an index, and the list's order (first visits) does not depend
        # on anything but the run itself.
        if key not in self.transitions:
            self.visited.append(key)
        # Deterministic model: a newer outcome of the same (s, a) overwrites the older one.
        self.transitions[key] = (float(reward), int(next_state), bool(terminated))
        ### END SOLUTION

    def sample(self, rng: np.random.Generator) -> tuple[int, int, float, int, bool]:
        """A uniformly random previously visited (s, a) and its outcome: (s, a, r, s', terminated)."""
        ### BEGIN SOLUTION
        # Only pairs that were really visited: S&B step (f). Sampling over all (s, a) would replay transitions
        # the agent never saw, which the model cannot know.
        state, action = self.visited[int(rng.integers(len(self.visited)))]
        return (state, action, *self.transitions[(state, action)])  # (s, a, r, s', terminated)
        ### END SOLUTION

    def sample_many(self, count: int, seed: int) -> list[list]:
        """`count` samples from a generator seeded with `seed` (given; plain data for the grader)."""
        rng = np.random.default_rng(seed)
        return [list(self.sample(rng)) for _ in range(count)]


def train_dyna_q(
    env_id: str,
    env_kwargs: dict[str, Any],
    *,
    planning_steps: int = 10,
    seed: int = 0,
    episodes: int = 50,
    max_seconds: float = 20.0,
    alpha: float = 0.5,
    gamma: float = 0.95,
    epsilon: float = 0.1,
    initial_q: float = 0.0,
) -> TabularAgent:
    """Dyna-Q on a tabular environment; `planning_steps=0` gives plain Q-learning.

    Every Q(s, a) starts at `initial_q`. The returned agent acts greedily and carries `episode_lengths` (real
    steps of each training episode). The grader replays your run update by update with your own
    `epsilon_greedy`, `TabularModel` and the same seed, so follow Sutton & Barto's order exactly. Reset the
    environment with `seed` for the first episode only; then, for every real step:

    (b) action = one call `epsilon_greedy(q[[state]], epsilon, rng)`; (c) take it;
    (d) the Q-learning update from the real transition (only `terminated` stops the bootstrap);
    (e) `model.update(...)` with it; (f) exactly `planning_steps` times: `model.sample(rng)` and the
    Q-learning update of the sampled transition. Nothing else draws from `rng`.
    """
    env = gym.make(env_id, **env_kwargs)
    rng = np.random.default_rng(seed)
    n_states, n_actions = env.observation_space.n, env.action_space.n
    q = np.full((n_states, n_actions), float(initial_q), dtype=np.float64)
    model = TabularModel(n_states, n_actions)
    lengths: list[int] = []
    deadline = time.perf_counter() + max_seconds
    ### BEGIN SOLUTION
    for episode in range(episodes):
        if time.perf_counter() > deadline:
            break
        # One seed for the first reset; later resets continue the environment's own generator.
        state, _ = env.reset(seed=seed if episode == 0 else None)
        steps = 0
        while True:
            # (a)-(d): act in the real world and learn from it, exactly Q-learning.
            action = int(epsilon_greedy(q[state][None], epsilon, rng)[0])
            next_state, reward, terminated, truncated, _ = env.step(action)
            steps += 1
            # A batch of one for the batched target: q[next_state] is (A,), [None] makes it (1, A).
            target = q_learning_target([reward], q[next_state][None], [terminated], gamma)[0]
            q[state, action] += alpha * (target - q[state, action])
            # (e): learn the model from the same transition.
            model.update(state, action, reward, next_state, terminated)
            # (f): n simulated updates, each from a previously seen (s, a), replayed through the model.
            #      This is Dyna's point: each real step is reused many times, so the reward at G spreads
            #      back along the path in a few episodes instead of one state per episode.
            for _ in range(planning_steps):
                s, a, r, s2, term = model.sample(rng)
                # The same update as a real step: to Q-learning, a remembered transition is as good as a new
                # one, because the maze is deterministic.
                target = q_learning_target([r], q[s2][None], [term], gamma)[0]
                q[s, a] += alpha * (target - q[s, a])
            if terminated or truncated:
                break
            state = next_state
        # The learning curve: fewer real steps per episode means the agent has found a shorter path.
        lengths.append(steps)
    ### END SOLUTION
    env.close()
    agent = TabularAgent(q, seed)
    # Kept on the agent so that learning_curve can hand it to the grader as plain data.
    agent.episode_lengths = lengths
    return agent


def learning_curve(agent: TabularAgent) -> list[int]:
    """The real steps each training episode took (given; plain data for plots and for the grader)."""
    return list(getattr(agent, "episode_lengths", []))
