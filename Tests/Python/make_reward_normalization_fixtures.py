"""Reference rewards for Tests/ReverieEnvsTests/RewardNormalizationTests.swift.

A scripted environment replays a fixed list of rewards (seeded normal draws,
rounded to float32 so both sides start from the same numbers) with
terminations and truncations at fixed steps. The script records the rewards
that come out of

- Gymnasium's `NormalizeReward` (the env is reset by hand after each end, as a
  Gymnasium user would), and
- Stable-Baselines3's `VecNormalize(norm_obs=False)` over a one-env
  `DummyVecEnv` (which resets itself),

with the running statistics each ends with. The Swift test replays the same
script through `NormalizeReward` in each convention.

    python3 -m venv /tmp/venv-rewards && /tmp/venv-rewards/bin/pip install gymnasium stable-baselines3
    /tmp/venv-rewards/bin/python Tests/Python/make_reward_normalization_fixtures.py
"""
import json
import pathlib

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import NormalizeReward
from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

STEPS = 90
GAMMA = 0.99
EPSILON = 1e-8
TERMINATED = {11, 40, 63}
TRUNCATED = {25, 52, 80}
OUT = pathlib.Path(__file__).resolve().parents[1] / "ReverieEnvsTests" / "Fixtures" / "reward_normalization.json"

rng = np.random.default_rng(7)
REWARDS = [float(np.float32(x)) for x in rng.normal(1.0, 3.0, STEPS)]


class Scripted(gym.Env):
    """Step t (counted over the whole script, across episodes) returns
    REWARDS[t] and the flags listed for t."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (1,), np.float32)
    action_space = gym.spaces.Discrete(1)

    def __init__(self):
        self.t = 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        return np.array([self.t], np.float32), {}

    def step(self, action):
        t = self.t
        self.t += 1
        return np.array([self.t], np.float32), REWARDS[t], t in TERMINATED, t in TRUNCATED, {}


def gymnasium_run():
    env = NormalizeReward(Scripted(), gamma=GAMMA, epsilon=EPSILON)
    env.reset(seed=0)
    out = []
    for _ in range(STEPS):
        _, reward, terminated, truncated, _ = env.step(0)
        out.append(float(reward))
        if terminated or truncated:
            env.reset()
    rms = env.return_rms
    return out, {"mean": float(rms.mean), "variance": float(rms.var), "count": float(rms.count)}


def vec_normalize_run():
    venv = VecNormalize(DummyVecEnv([Scripted]), norm_obs=False, norm_reward=True, gamma=GAMMA, epsilon=EPSILON)
    venv.reset()
    out = []
    for _ in range(STEPS):
        _, reward, _, _ = venv.step(np.array([0]))
        out.append(float(reward[0]))
    rms = venv.ret_rms
    return out, {
        "mean": float(rms.mean), "variance": float(rms.var), "count": float(rms.count), "clip": float(venv.clip_reward),
    }


def main():
    gymnasium_rewards, gymnasium_stats = gymnasium_run()
    sb3_rewards, sb3_stats = vec_normalize_run()
    fixture = {
        "source": f"gymnasium {gym.__version__}, stable-baselines3 {__import__('stable_baselines3').__version__}",
        "gamma": GAMMA,
        "epsilon": EPSILON,
        "rewards": REWARDS,
        "terminated": sorted(TERMINATED),
        "truncated": sorted(TRUNCATED),
        "gymnasium": {"rewards": gymnasium_rewards, "statistics": gymnasium_stats},
        "vecNormalize": {"rewards": sb3_rewards, "statistics": sb3_stats},
    }
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
