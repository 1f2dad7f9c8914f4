"""Gymnasium in-process with same-step autoreset: the reference the bridge
must reproduce. Run as a script (the Swift tests do), it reads
``{"env_id", "num_envs", "seed", "actions": [[a_0 … a_N-1], …]}`` on stdin and
prints the trajectory as JSON rows: observations, then per row of actions the
flat concatenation observations + rewards + terminated + truncated + final
observations (in env order), as Tests/ReverieRemoteTests lays them out."""
import json
import sys

import gymnasium as gym
import numpy as np


def direct_trajectory(env_id, n, seed, actions):
    """``[first observations, (observations, rewards, terminated, truncated, {i: final}), …]``."""
    envs = [gym.make(env_id) for _ in range(n)]
    rows = [np.stack([e.reset(seed=seed + i)[0] for i, e in enumerate(envs)])]
    for a in actions:
        observations, rewards, terminated, truncated, finals = [], [], [], [], {}
        for i, (e, ai) in enumerate(zip(envs, a)):
            o, r, term, trunc, _ = e.step(int(ai))
            rewards.append(r), terminated.append(term), truncated.append(trunc)
            if term or trunc:
                finals[i] = o
                o, _ = e.reset()
            observations.append(o)
        rows.append((np.stack(observations), np.array(rewards, np.float32), np.array(terminated),
                     np.array(truncated), finals))
    return rows


if __name__ == "__main__":
    request = json.load(sys.stdin)
    first, *steps = direct_trajectory(request["env_id"], request["num_envs"], request["seed"], request["actions"])
    rows = [first.ravel().tolist()]
    for observations, rewards, terminated, truncated, finals in steps:
        rows.append(observations.ravel().tolist() + rewards.tolist() + terminated.astype(float).tolist()
                    + truncated.astype(float).tolist() + [float(x) for i in sorted(finals) for x in finals[i].ravel()])
    json.dump(rows, sys.stdout)
