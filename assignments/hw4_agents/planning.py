"""Planning with a known model: value iteration and policy iteration over a tabular MDP.

Implements: `q_from_v` (one Bellman backup for every state-action pair), `value_iteration`,
`policy_evaluation` and `policy_iteration`, all on the model that Gymnasium's toy-text environments expose as
`env.unwrapped.P`:

    P[s][a] = [(probability, next_state, reward, terminated), ...]

Follows: Sutton & Barto, chapter 4 (4.3 policy iteration, 4.4 value iteration). Ties between equally good
actions go to the lowest action index (`np.argmax`), so that the greedy policy is a well-defined answer.

The subtle line: a transition flagged `terminated` ends the episode, so nothing is added after its reward,
whatever value the array holds for `next_state`. (In FrozenLake the terminal states happen to have value 0,
which hides the bug; the grader's hand-made MDPs do not.)

Leaves out: asynchronous/in-place sweeps (we sweep with the old V, the textbook's synchronous version) and
anything model-free (see tabular.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# P[s][a] -> list of (probability, next_state, reward, terminated); dicts or lists both index this way
Model = Any


def q_from_v(P: Model, n_states: int, n_actions: int, V: np.ndarray, gamma: float) -> np.ndarray:
    """Q[s, a] = sum over (p, s', r, term) in P[s][a] of p * (r + gamma * V[s'] * (not term)); (S, A)."""
    raise NotImplementedError("q_from_v: write this part (see its docstring)")


def value_iteration(
    P: Model, n_states: int, n_actions: int, gamma: float = 0.99, theta: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Iterate V <- max_a Q(V) until the largest change is below `theta`.

    Returns:
        (V, policy): V float64 (S,); policy int64 (S,) = argmax_a Q(V), the lowest index on ties.
    """
    raise NotImplementedError("value_iteration: write this part (see its docstring)")


def policy_evaluation(
    P: Model,
    n_states: int,
    n_actions: int,
    policy: np.ndarray,
    gamma: float = 0.99,
    theta: float = 1e-10,
    max_sweeps: int = 10_000,
) -> np.ndarray:
    """V^pi for a deterministic `policy` (int array of shape (S,)), by iterating V <- Q(V)[s, pi(s)].

    Starts from V = 0 and sweeps synchronously until the largest change is below `theta`, or after
    `max_sweeps` sweeps, whichever comes first. The cap matters: with gamma = 1 a policy that never reaches a
    terminal transition (walking into a wall for ever, say) has no finite value and would loop for ever; after
    `max_sweeps` sweeps V holds the return of the first `max_sweeps` steps, which is what policy iteration
    needs to see that the policy is bad.
    """
    raise NotImplementedError("policy_evaluation: write this part (see its docstring)")


def policy_iteration(
    P: Model, n_states: int, n_actions: int, gamma: float = 0.99, theta: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Alternate evaluation and greedy improvement, starting from the all-zeros policy, until it is stable.

    Returns (V, policy) like `value_iteration`; both algorithms must reach the same answer.
    """
    raise NotImplementedError("policy_iteration: write this part (see its docstring)")
