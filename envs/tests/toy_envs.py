"""Third-party-style envs for the bridge tests, served as ``toy_envs:Name-v0``
(importing this module registers them, as a user's package would)."""
import time

import gymnasium as gym
import numpy as np


class PixelDrift(gym.Env):
    """8×8 RGB uint8 observations and a float64 Box action: a bright pixel
    drifts by the (clipped) action. Checks dtypes survive the wire."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(self, render_mode=None):
        self.render_mode = render_mode
        self.observation_space = gym.spaces.Box(0, 255, (8, 8, 3), np.uint8)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float64)
        self.position = np.zeros(2)
        self.t = 0

    def _observation(self):
        image = np.zeros((8, 8, 3), np.uint8)
        row, col = np.clip(np.round(self.position), 0, 7).astype(int)
        image[row, col] = (255, 128, 7)
        return image

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.position = self.np_random.uniform(0, 7, size=2)
        self.t = 0
        return self._observation(), {}

    def step(self, action):
        self.position = np.clip(self.position + 2 * np.asarray(action), 0, 7)
        self.t += 1
        return self._observation(), float(action[0]), False, self.t >= 5, {}

    def render(self):
        return np.kron(self._observation(), np.ones((4, 4, 1), np.uint8))


class DictObservation(gym.Env):
    """A Dict observation (served only with --flatten): the goal is the step count mod 4."""

    observation_space = gym.spaces.Dict({"position": gym.spaces.Box(-1, 1, (2,)), "goal": gym.spaces.Discrete(4)})
    action_space = gym.spaces.Discrete(2)

    def _observation(self):
        return {"position": np.array([0.5, -0.5], np.float32), "goal": self.t % 4}

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._observation(), {}

    def step(self, action):
        self.t += 1
        return self._observation(), 0.0, False, False, {}


class IntGrid(gym.Env):
    """An int16 Box observation (dtypes the protocol carries in a wider one):
    value i of step t is (t + 1) * 1000 * (i - 1), so negative, zero and large."""

    observation_space = gym.spaces.Box(-32000, 32000, (3,), np.int16)
    action_space = gym.spaces.Discrete(2)

    def _observation(self):
        return np.array([(self.t + 1) * 1000 * (i - 1) for i in range(3)], np.int16)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._observation(), {}

    def step(self, action):
        self.t += 1
        return self._observation(), 0.0, self.t >= 20, False, {}


def double_rewards(env):
    """A --wrapper function: the env's rewards doubled."""
    return gym.wrappers.TransformReward(env, lambda r: 2 * r)


def add_one_to_rewards(env):
    """A --wrapper function: one added to each reward (so wrapper order shows)."""
    return gym.wrappers.TransformReward(env, lambda r: r + 1)


class Counter(gym.Env):
    """Observes how many steps it took since its reset, so a test sees whether a
    request stepped it; each step sleeps ``delay`` seconds (a slow env, for timeouts).
    Its info holds the count as a number (``steps``) and a string (``label``)."""

    observation_space = gym.spaces.Box(0, np.inf, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, delay=0.0):
        self.delay, self.t = delay, 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([self.t], np.float32), {"steps": 0, "label": "counter"}

    def step(self, action):
        time.sleep(self.delay)
        self.t += 1
        return np.array([self.t], np.float32), float(action), False, False, {"steps": self.t, "label": "counter"}


class Unbounded(gym.Env):
    """A Box action space with infinite bounds, where ``contains`` alone takes ±inf."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)
    action_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.position = np.zeros(2, np.float32)
        return self.position.copy(), {}

    def step(self, action):
        self.position += action
        return self.position.copy(), 0.0, False, False, {}


class BoolGrid(gym.Env):
    """A (3, 3, 2) boolean Box observation, as MinAtar's games give: cell t mod 9
    of channel t mod 2 is on at step t."""

    observation_space = gym.spaces.Box(0.0, 1.0, (3, 3, 2), bool)
    action_space = gym.spaces.Discrete(2)

    def _observation(self):
        grid = np.zeros((3, 3, 2), bool)
        grid[(self.t % 9) // 3, self.t % 3, self.t % 2] = True
        return grid

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._observation(), {}

    def step(self, action):
        self.t += 1
        return self._observation(), 0.0, False, False, {}


gym.register("PixelDrift-v0", entry_point=PixelDrift)
gym.register("BoolGrid-v0", entry_point=BoolGrid)
gym.register("Counter-v0", entry_point=Counter)
gym.register("Unbounded-v0", entry_point=Unbounded)
gym.register("DictObservation-v0", entry_point=DictObservation)
gym.register("IntGrid-v0", entry_point=IntGrid)
