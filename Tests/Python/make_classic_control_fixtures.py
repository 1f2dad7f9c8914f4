"""Golden trajectories for Tests/ReverieEnvsTests/ClassicControlTests.swift.

For each classic-control environment the script resets Gymnasium's own
implementation with a fixed seed, records its exact internal state
(`env.unwrapped.state`, float64), then steps it with a seeded action sequence
and records every observation, reward and terminated/truncated flag. When an
episode ends (terminated, or truncated by the registered time limit) the
environment is reset and a new segment begins with its own start state, until
STEPS steps are recorded. The Swift test sets its environment to each
segment's start state and replays the actions.

Actions are random but seeded. Where uniformly random actions never reach the
goal (Acrobot, both mountain cars), they are mixed with a simple
energy-pumping rule so that the fixtures contain terminations and their
rewards. Values are written with Python's shortest round-trip repr, so float64
numbers are exact; infinite space bounds are written as the string "inf".

    python3 -m venv /tmp/venv-classic && /tmp/venv-classic/bin/pip install gymnasium
    /tmp/venv-classic/bin/python Tests/Python/make_classic_control_fixtures.py
"""
import json
import math
import pathlib

import gymnasium as gym
import numpy as np

STEPS = 300
SEED = 2024
OUT = pathlib.Path(__file__).resolve().parents[1] / "ReverieEnvsTests" / "Fixtures" / "classic_control"


def uniform_action(n):
    return lambda rng, obs: int(rng.integers(n))


def pump(random_share, toward):
    """With probability random_share a uniformly random discrete action,
    otherwise the action that pushes with (or against) the observed velocity."""
    def policy(rng, obs):
        if rng.random() < random_share:
            return int(rng.integers(3))
        return toward(obs)
    return policy


def continuous(low, high, mean):
    """A float32 action: mean(obs) plus Gaussian noise of scale 0.5, clipped to the box."""
    def policy(rng, obs):
        a = mean(obs) + 0.5 * rng.normal()
        return np.array([min(max(a, low), high)], dtype=np.float32)
    return policy


POLICIES = {
    "CartPole-v1": uniform_action(2),
    # Torque against the first joint's velocity swings the tip up in ~100 steps.
    "Acrobot-v1": pump(0.3, lambda obs: 0 if obs[4] > 0 else 2),
    "MountainCar-v0": pump(0.3, lambda obs: 2 if obs[1] > 0 else 0),
    "MountainCarContinuous-v0": continuous(-1.0, 1.0, lambda obs: 0.8 * float(np.sign(obs[1]))),
    "Pendulum-v1": continuous(-2.0, 2.0, lambda obs: 0.0),
}


def floats(values):
    return ["inf" if v == math.inf else "-inf" if v == -math.inf else v for v in map(float, values)]


def space(s):
    if isinstance(s, gym.spaces.Discrete):
        return {"n": int(s.n)}
    return {"low": floats(s.low.ravel()), "high": floats(s.high.ravel()),
            "shape": list(s.shape), "dtype": str(s.dtype)}


def record(env_id):
    env = gym.make(env_id)
    policy = POLICIES[env_id]
    rng = np.random.default_rng(SEED)
    segments, steps = [], 0
    obs, _ = env.reset(seed=SEED)
    while steps < STEPS:
        segment = {"start_state": floats(np.asarray(env.unwrapped.state).ravel()),
                   "start_observation": floats(obs),
                   "actions": [], "observations": [], "rewards": [], "terminated": [], "truncated": []}
        segments.append(segment)
        done = False
        while not done and steps < STEPS:
            action = policy(rng, obs)
            obs, reward, terminated, truncated, _ = env.step(action)
            segment["actions"].append(floats(np.atleast_1d(action)))
            segment["observations"].append(floats(obs))
            segment["rewards"].append(float(reward))
            segment["terminated"].append(bool(terminated))
            segment["truncated"].append(bool(truncated))
            steps += 1
            done = terminated or truncated
        if done:
            obs, _ = env.reset()
    return {"env_id": env_id, "gymnasium": gym.__version__, "numpy": np.__version__, "seed": SEED,
            "max_episode_steps": env.spec.max_episode_steps,
            "observation_space": space(env.observation_space), "action_space": space(env.action_space),
            "segments": segments}


OUT.mkdir(parents=True, exist_ok=True)
for env_id in POLICIES:
    fixture = record(env_id)
    (OUT / f"{env_id}.json").write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    ends = sum(s["terminated"][-1] for s in fixture["segments"])
    print(f"{env_id}: {len(fixture['segments'])} segments, {ends} terminated, {STEPS} steps")
