"""The bicycle grid from the course, done properly: a registered Gymnasium environment.

Implements: `BicycleEnv`, a small grid world in which a bicycle starts in the bottom-left corner and must
reach the far (top-right) corner. Each step the rider pedals or coasts and steers left, straight or right;
bumps on the grid stop the bicycle dead. The course's chatbot version (seed 002) had the idea right and the
interface wrong:
`step` took a list `[pedal, steer]` of floats, returned three values, had no action or observation space, no
seeding and no step limit. This version follows Gymnasium's classic-control environments (CartPole's docstring
layout, `super().reset(seed=seed)`, randomness only from `self.np_random`) and passes
`gymnasium.utils.env_checker.check_env`.

Leaves out: rendering (there is nothing to look at that the observation does not say) and continuous actions.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces

ENV_ID = "BicycleGrid-v0"

# Heading h moves the bicycle by DIRECTIONS[h]: 0 east (+x), 1 north (+y), 2 west (-x), 3 south (-y).
DIRECTIONS = np.array([[1, 0], [0, 1], [-1, 0], [0, -1]], dtype=np.int64)
MAX_SPEED = 2  # cells per step; the move goes cell by cell, so even at full speed no bump is jumped
STEP_REWARD = -0.01  # a small cost per step, so that the shortest safe route is the best one
BUMP_REWARD = -0.1  # hitting a bump hurts a little more than a step
GOAL_REWARD = 1.0  # large against the step costs, so reaching the goal always beats wandering


class BicycleEnv(gym.Env):
    """A bicycle on a `size` x `size` grid with bumps.

    ## Description
    The bicycle starts at (0, 0), heading east, standing still. The goal is the far corner (size-1, size-1).
    `num_bumps` bumps are placed at random cells (never the start or the goal) at every reset.

    ## Action space
    `Discrete(6)`: action = 3 * pedal + steer, with pedal 0 (coast) or 1 (pedal) and steer 0 (left, heading +
    1), 1 (straight) or 2 (right, heading - 1). Anything else (6, -1, a float, an array) is invalid: `step`
    raises.

    ## Observation space
    `Box(0, [size-1, size-1, 3, 2, 1], (5,), float32)`: x, y, heading (0 east, 1 north, 2 west, 3 south),
    speed (0..2) and whether the cell straight ahead is a bump (0 or 1).

    ## Dynamics (in this order)
    1. Steer: heading = (heading + 1) % 4 for left, (heading - 1) % 4 for right.
    2. Pedal: speed = min(speed + 1, 2) when pedalling, else max(speed - 1, 0).
    3. Move `speed` cells along the heading, one at a time. A move off the grid does not happen and sets the
       speed to 0 (the bicycle stops at the wall). Entering a bump cell sets the speed to 0 and ends the move.

    ## Rewards
    -0.01 per step; -0.1 instead when the bicycle entered a bump cell during the step (standing on a bump,
    speed 0, costs the usual -0.01); +1.0 instead when it reached the goal.

    ## Episode end
    Terminated: the bicycle is on the goal. Truncated: `max_steps` steps were taken without reaching it
    (a time limit, not a failure: the goal's value is still ahead, which is why agents bootstrap there).

    ## Arguments
    `gymnasium.make("BicycleGrid-v0", size=5, num_bumps=3, max_steps=40)`.
    """

    metadata: ClassVar[dict] = {"render_modes": []}

    def __init__(self, size: int = 5, num_bumps: int = 3, max_steps: int = 40) -> None:
        if size < 3 or not 0 <= num_bumps <= size * size - 2 or max_steps < 1:
            raise ValueError("need size >= 3, 0 <= num_bumps <= size*size - 2 and max_steps >= 1")
        self.size, self.num_bumps, self.max_steps = size, num_bumps, max_steps
        # Discrete(6), not the course version's [pedal, steer] floats: a finite set of actions is what tabular
        # methods and a softmax policy need, and the encoding 3 * pedal + steer is easy to undo with divmod.
        self.action_space = spaces.Discrete(6)
        # Bounds per feature, so that check_env (and any agent that normalises inputs) knows the ranges.
        high = np.array([size - 1, size - 1, 3, MAX_SPEED, 1], dtype=np.float32)
        self.observation_space = spaces.Box(np.zeros(5, dtype=np.float32), high, dtype=np.float32)
        self.goal = np.array([size - 1, size - 1], dtype=np.int64)
        # A valid state before the first reset (no bumps yet); reset() draws the real ones.
        self._place_at_start()
        self.bumps = np.zeros((size, size), dtype=bool)  # (size, size), indexed [x, y]

    def _place_at_start(self) -> None:
        """The bicycle at (0, 0), heading east, standing still, no steps taken (given)."""
        self.position = np.zeros(2, dtype=np.int64)
        self.heading, self.speed, self.steps = 0, 0, 0

    def _ahead(self) -> np.ndarray:
        """The cell straight ahead of the bicycle, possibly off the grid (given)."""
        return self.position + DIRECTIONS[self.heading]

    def _inside(self, cell: np.ndarray) -> bool:
        # bool(): a NumPy bool would leak into observations and info as np.bool_.
        return bool(0 <= cell[0] < self.size and 0 <= cell[1] < self.size)

    def _observation(self) -> np.ndarray:
        ahead = self._ahead()
        # Check _inside first: a negative index would silently wrap around to the other side of the grid.
        bump_ahead = self._inside(ahead) and bool(self.bumps[ahead[0], ahead[1]])
        x, y = self.position
        # float32, as the observation space declares: check_env rejects any other dtype.
        return np.array([x, y, self.heading, self.speed, bump_ahead], dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        raise NotImplementedError("reset: write this part (see its docstring)")

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        raise NotImplementedError("step: write this part (see its docstring)")


def register() -> None:
    """Register BicycleGrid-v0 with Gymnasium (once per process), so `gymnasium.make(ENV_ID)` works."""
    if ENV_ID not in gym.registry:
        # The class itself as entry point: the package is imported under different names by the grader and by
        # a student's folder, and a "module:Class" string would tie the registration to one of them.
        gym.register(id=ENV_ID, entry_point=BicycleEnv)


register()
