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
    ### BEGIN SOLUTION
    # Q(s, a) is the expected one-step reward plus the discounted value of where we land, averaged over the
    # model's possible outcomes: the Bellman expectation backup. Plain loops: P is a ragged list of lists.
    Q = np.zeros((n_states, n_actions), dtype=np.float64)  # (S, A)
    for s in range(n_states):
        for a in range(n_actions):
            for probability, next_state, reward, terminated in P[s][a]:
                # No bootstrapping past a terminal transition: the episode has no future there.
                future = 0.0 if terminated else gamma * V[int(next_state)]
                # The expectation: each outcome weighted by its probability.
                Q[s, a] += probability * (reward + future)
    return Q
    ### END SOLUTION


def value_iteration(
    P: Model, n_states: int, n_actions: int, gamma: float = 0.99, theta: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Iterate V <- max_a Q(V) until the largest change is below `theta`.

    Returns:
        (V, policy): V float64 (S,); policy int64 (S,) = argmax_a Q(V), the lowest index on ties.
    """
    ### BEGIN SOLUTION
    # Any start converges (the backup is a gamma-contraction); zeros is the conventional one.
    V = np.zeros(n_states, dtype=np.float64)  # (S,)
    while True:
        # 1. One synchronous sweep: every state backed up from the previous V.
        #    The Bellman OPTIMALITY backup: the best action's value, (S, A) -> (S,).
        new_V = q_from_v(P, n_states, n_actions, V, gamma).max(axis=1)
        # 2. Stop when the sweep changed nothing by more than theta (a contraction by gamma per sweep).
        delta = np.abs(new_V - V).max()
        V = new_V
        if delta < theta:
            break
    # 3. The greedy policy with respect to the converged V.
    return V, q_from_v(P, n_states, n_actions, V, gamma).argmax(axis=1).astype(np.int64)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    V = np.zeros(n_states, dtype=np.float64)  # (S,)
    states = np.arange(n_states)  # (S,)
    # Each sweep is value iteration's with the policy's action instead of the best one: the Bellman
    # EXPECTATION backup for pi. Fancy indexing picks Q[s, policy[s]] for every s at once, (S, A) -> (S,).
    for _ in range(max_sweeps):
        new_V = q_from_v(P, n_states, n_actions, V, gamma)[states, policy]
        delta = np.abs(new_V - V).max()
        V = new_V
        if delta < theta:
            break
    return V
    ### END SOLUTION


def policy_iteration(
    P: Model, n_states: int, n_actions: int, gamma: float = 0.99, theta: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Alternate evaluation and greedy improvement, starting from the all-zeros policy, until it is stable.

    Returns (V, policy) like `value_iteration`; both algorithms must reach the same answer.
    """
    ### BEGIN SOLUTION
    policy = np.zeros(n_states, dtype=np.int64)  # (S,)
    while True:
        # 1. Evaluate: how good is the current policy from every state?
        V = policy_evaluation(P, n_states, n_actions, policy, gamma, theta)
        # 2. Improve: act greedily with respect to that value. The policy improvement theorem says the new
        #    policy is at least as good everywhere, so the loop can only go up, and there are finitely many
        #    deterministic policies: it terminates.
        Q = q_from_v(P, n_states, n_actions, V, gamma)  # (S, A)
        new_policy = Q.argmax(axis=1).astype(np.int64)
        # Stable when no state's greedy action is strictly better than the current one; comparing values
        # rather than actions stops the loop from flipping forever between equally good actions.
        if np.all(Q[np.arange(n_states), policy] >= Q.max(axis=1) - 1e-12):
            break
        policy = new_policy
    # Report the argmax policy of the final V, the same tie rule as value iteration.
    return V, q_from_v(P, n_states, n_actions, V, gamma).argmax(axis=1).astype(np.int64)
    ### END SOLUTION
