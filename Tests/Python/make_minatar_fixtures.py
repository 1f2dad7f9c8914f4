"""Golden trajectories for Tests/ReverieEnvsTests/MinAtarTests.swift, from the
`minatar` package (1.0.15) itself, through its Gymnasium ids.

For each game: `gymnasium.make("MinAtar/<Game>-v0")` (sticky actions 0.1,
difficulty ramping, the full action set), reset with `seed`, then 10,000
steps of actions drawn by numpy's RandomState(seed + 100) over the 6 actions.
An episode that ends is reset without a seed, so the game's RandomState runs
on, as a vector env's autoreset does.

Every step's observation (H, W, C booleans, np.packbits of the row-major
flattening), reward (one byte) and termination (one byte), and after a
termination the next episode's first observation, are hashed with 64-bit
FNV-1a in blocks of 100 steps: a difference anywhere changes its block's
hash, and the block says where. The fixture also holds the actions, the
return of every episode and a few of RandomState's own draws, which the
Swift port of MT19937 must reproduce.

    python Tests/Python/make_minatar_fixtures.py   # needs minatar==1.0.15, gymnasium
"""
import json
from pathlib import Path

import gymnasium as gym
import minatar
import numpy as np
from minatar.gym import register_envs

GAMES = ["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"]
STEPS, BLOCK, SEED = 10_000, 100, 7


def fnv1a(h, data):
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def observation_bytes(obs):
    return np.packbits(np.asarray(obs, dtype=bool).reshape(-1)).tobytes()


def trajectory(game):
    env = gym.make(f"MinAtar/{game}-v0")
    obs, _ = env.reset(seed=SEED)
    actions = np.random.RandomState(SEED + 100).randint(0, 6, STEPS)
    offset = 0xCBF29CE484222325
    h = fnv1a(offset, observation_bytes(obs))
    blocks, returns, episode_return = [], [], 0
    for t, action in enumerate(actions):
        obs, reward, terminated, truncated, _ = env.step(int(action))
        assert 0 <= reward <= 255 and reward == int(reward) and not truncated
        h = fnv1a(h, observation_bytes(obs) + bytes([int(reward), int(terminated)]))
        episode_return += int(reward)
        if terminated:
            returns.append(episode_return)
            episode_return = 0
            obs, _ = env.reset()
            h = fnv1a(h, observation_bytes(obs))
        if (t + 1) % BLOCK == 0:
            blocks.append(f"{h:016x}")
            h = offset
    return {"seed": SEED, "shape": list(obs.shape), "actions": "".join(map(str, actions)),
            "block_hashes": blocks, "episode_returns": returns}


def numpy_draws():
    """RandomState's legacy draws the games use: rand, randint (masked rejection), choice."""
    rs = np.random.RandomState(12345)
    return {"seed": 12345,
            "rand": [float(x) for x in rs.rand(5)],
            "randint_2": [int(rs.randint(2)) for _ in range(8)],
            "randint_1_6_size_8": [int(x) for x in rs.randint(1, 6, 8)],
            "randint_7": [int(rs.randint(7)) for _ in range(8)],
            "randint_0_1000": [int(rs.randint(0, 1000)) for _ in range(4)],
            "choice_3": [int(rs.choice([10, 20, 30])) for _ in range(6)],
            "rand_after": float(rs.rand())}


def main():
    register_envs()
    fixture = {"minatar": minatar.__version__ if hasattr(minatar, "__version__") else "1.0.15",
               "steps": STEPS, "block": BLOCK, "numpy": numpy_draws()}
    for game in GAMES:
        fixture[game] = trajectory(game)
        print(game, len(fixture[game]["episode_returns"]), "episodes")
    out = Path(__file__).resolve().parent.parent / "ReverieEnvsTests/Fixtures/minatar.json"
    out.write_text(json.dumps(fixture))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
