"""Peer for `reverie bench env`: Gymnasium's own CartPole-v1 stepped with
uniformly random actions, one env and a SyncVectorEnv of 8, as a user would.
Prints one JSON object: steps per second for each, median of `repeats` runs.
"""
import json
import sys
import time

import gymnasium as gym


def single(steps, env_id="CartPole-v1"):
    """Steps/s of one `env_id` env under random actions, reset when an episode ends."""
    env = gym.make(env_id)
    env.reset(seed=0)
    env.action_space.seed(0)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def vector(steps, n=8, env_id="CartPole-v1"):
    """Steps/s of a SyncVectorEnv of n `env_id` envs (same-step autoreset) under random actions."""
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(env_id) for _ in range(n)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    envs.reset(seed=0)
    envs.action_space.seed(0)
    start = time.perf_counter()
    for _ in range(steps // n):
        envs.step(envs.action_space.sample())
    return (steps // n) * n / (time.perf_counter() - start)


def median(xs):
    return sorted(xs)[len(xs) // 2]


if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(json.dumps({
        "peer_name": f"gymnasium {gym.__version__} CartPole-v1 (Python {sys.version.split()[0]})",
        "single": median([single(steps) for _ in range(repeats)]),
        "vector8": median([vector(steps) for _ in range(repeats)]),
    }))
