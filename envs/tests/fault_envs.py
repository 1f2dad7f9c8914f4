"""Envs that misbehave on purpose, for the fault tests of both sides
(served as ``fault_envs:Name-v0``)."""
import gymnasium as gym
import numpy as np


class NaNAt(gym.Env):
    """Four float observations and two actions, like CartPole; episodes of 20
    steps (truncated). The ``at``-th step since start returns ``value`` (NaN
    by default) in its observation, or in its reward with ``field="reward"``."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, at=50, value=float("nan"), field="observation"):
        self.at, self.value, self.field = at, value, field
        self.steps, self.t = 0, 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.np_random.uniform(-0.05, 0.05, 4).astype(np.float32), {}

    def step(self, action):
        self.steps += 1
        self.t += 1
        observation = self.np_random.uniform(-1, 1, 4).astype(np.float32)
        reward = float(action)
        if self.steps == self.at:
            if self.field == "reward":
                reward = self.value
            else:
                observation[2] = self.value
        return observation, reward, False, self.t >= 20, {}


gym.register("NaNAt-v0", entry_point=NaNAt)
