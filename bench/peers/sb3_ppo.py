"""Stable-Baselines3 PPO (or sb3-contrib RecurrentPPO with --lstm) on
CartPole-v1 with the hyperparameters of BENCHMARKS.md's ppo-ff / ppo-lstm
workloads; prints one JSON object: steps per second and final deterministic
eval return per seed.

    bench/.venv/bin/python bench/peers/sb3_ppo.py 50000 1 2 3 [--lstm]
"""
import json
import sys
import time

import gymnasium as gym
import stable_baselines3
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy


def linear(start):
    return lambda remaining: remaining * start


def main(args):
    lstm = "--lstm" in args
    args = [a for a in args if a != "--lstm"]
    steps, seeds = int(args[0]), [int(s) for s in args[1:]]
    torch.set_num_threads(2)
    hyper = dict(n_steps=32, batch_size=256, n_epochs=20, learning_rate=linear(1e-3), gamma=0.98, gae_lambda=0.8,
                 clip_range=linear(0.2), ent_coef=0.0, device="cpu", verbose=0)
    if lstm:
        from sb3_contrib import RecurrentPPO
        algorithm, policy = RecurrentPPO, "MlpLstmPolicy"
        # One LSTM shared by actor and critic, as Reverie's recurrent policy
        # (sb3-contrib's default gives the critic a second LSTM: twice the work).
        kwargs = dict(lstm_hidden_size=64, net_arch=[64], shared_lstm=True, enable_critic_lstm=False)
        name = "sb3-contrib RecurrentPPO (shared LSTM)"
    else:
        algorithm, policy = PPO, "MlpPolicy"
        kwargs = dict(net_arch=dict(pi=[64, 64], vf=[64, 64]))
        name = "stable-baselines3 PPO"
    sps, returns = [], []
    for seed in seeds:
        env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
        model = algorithm(policy, env, policy_kwargs=kwargs, seed=seed, **hyper)
        start = time.perf_counter()
        model.learn(total_timesteps=steps)
        sps.append(model.num_timesteps / (time.perf_counter() - start))
        mean, _ = evaluate_policy(model, gym.make("CartPole-v1"), n_eval_episodes=10, deterministic=True)
        returns.append(float(mean))
    print(json.dumps({"peer_name": f"{name}, SB3 {stable_baselines3.__version__} (torch {torch.__version__}, 2 threads)",
                      "sps": sps, "returns": returns, "steps": steps, "seeds": seeds}))


if __name__ == "__main__":
    main(sys.argv[1:])
