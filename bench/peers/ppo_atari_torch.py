"""The peer of `reverie bench ppo-atari`: PPO on Atari from pixels in PyTorch
on the CPU, CleanRL's ppo_atari.py algorithm (Huang et al. 2022, "The 37
Implementation Details of Proximal Policy Optimization"), given the
hyperparameters of Reverie's `ppo-atari-<game>` preset so that the two sides
differ in the framework only:

- ALE's <Game>NoFrameskip-v4 through Gymnasium's SyncVectorEnv (same-step
  autoreset, as Reverie's), each env behind CleanRL's wrappers:
  RecordEpisodeStatistics, NoopResetEnv(30), MaxAndSkipEnv(4),
  EpisodicLifeEnv, FireResetEnv (where the game has FIRE), ClipRewardEnv,
  84×84 resize, grayscale, 4 frames stacked (Stable-Baselines3's Atari
  wrappers, which CleanRL imports).
- The Nature CNN (Mnih et al. 2015): conv 32 8×8/4, 64 4×4/2, 64 3×3/1, 512
  units, ReLU, orthogonal init (√2; actor 0.01, critic 1), a linear actor
  and critic on the shared trunk.
- 8 envs × 128 steps, GAE (γ 0.99, λ 0.95), 4 epochs of 4 minibatches of
  256, advantages normalised per minibatch, clip 0.1 on the surrogate and on
  the value (CleanRL's clip_vloss), value coefficient 0.5, entropy 0.01,
  global-norm clipping at 0.5, Adam (ε 1e-5) at 2.5e-4 annealed linearly.

torch runs with `--threads` intra-op threads and the process is pinned to as
many cores. Prints one JSON object: env steps per second, and the curve (env
steps, wall seconds, mean return of the games ended in the chunk).

    bench/.venv/bin/python bench/peers/ppo_atari_torch.py --env-id PongNoFrameskip-v4 --steps 20480
"""
import argparse
import json
import os
import time

import numpy as np


def make_env(env_id):
    import ale_py
    import gymnasium as gym
    from stable_baselines3.common.atari_wrappers import (ClipRewardEnv, EpisodicLifeEnv, FireResetEnv,
                                                         MaxAndSkipEnv, NoopResetEnv)
    gym.register_envs(ale_py)

    def thunk():
        env = gym.make(env_id)
        env = gym.wrappers.RecordEpisodeStatistics(env)
        env = NoopResetEnv(env, noop_max=30)
        env = MaxAndSkipEnv(env, skip=4)
        env = EpisodicLifeEnv(env)
        if "FIRE" in env.unwrapped.get_action_meanings():
            env = FireResetEnv(env)
        env = ClipRewardEnv(env)
        env = gym.wrappers.ResizeObservation(env, (84, 84))
        env = gym.wrappers.GrayscaleObservation(env)
        return gym.wrappers.FrameStackObservation(env, 4)
    return thunk


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--env-id", default="PongNoFrameskip-v4")
    parser.add_argument("--steps", type=int, default=20_480, help="env steps (agent steps of 4 frames) to train")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--num-envs", type=int, default=8)
    parser.add_argument("--rollout-steps", type=int, default=128)
    parser.add_argument("--minibatch-size", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--learning-rate", type=float, default=2.5e-4)
    parser.add_argument("--chunk", type=int, default=10, help="updates per point of the curve")
    args = parser.parse_args()
    os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:args.threads]))

    import gymnasium as gym
    import torch
    import torch.nn as nn
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    envs = gym.vector.SyncVectorEnv([make_env(args.env_id) for _ in range(args.num_envs)],
                                    autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    n_actions = envs.single_action_space.n

    def layer(module, gain=np.sqrt(2)):
        nn.init.orthogonal_(module.weight, gain)
        nn.init.constant_(module.bias, 0.0)
        return module

    trunk = nn.Sequential(
        layer(nn.Conv2d(4, 32, 8, stride=4)), nn.ReLU(),
        layer(nn.Conv2d(32, 64, 4, stride=2)), nn.ReLU(),
        layer(nn.Conv2d(64, 64, 3, stride=1)), nn.ReLU(), nn.Flatten(),
        layer(nn.Linear(64 * 7 * 7, 512)), nn.ReLU())
    actor, critic = layer(nn.Linear(512, n_actions), 0.01), layer(nn.Linear(512, 1), 1.0)
    parameters = list(trunk.parameters()) + list(actor.parameters()) + list(critic.parameters())
    optimizer = torch.optim.Adam(parameters, lr=args.learning_rate, eps=1e-5)

    def forward(x):
        hidden = trunk(x / 255.0)
        return actor(hidden), critic(hidden).squeeze(-1)

    n, T = args.num_envs, args.rollout_steps
    batch = n * T
    updates = max(args.steps // batch, 1)
    obs = torch.zeros((T, n, 4, 84, 84), dtype=torch.uint8)
    actions, logprobs = torch.zeros((T, n), dtype=torch.long), torch.zeros((T, n))
    rewards, dones, values = torch.zeros((T, n)), torch.zeros((T, n)), torch.zeros((T, n))
    next_obs = torch.as_tensor(envs.reset(seed=args.seed)[0])
    next_done = torch.zeros(n)
    curve, chunk_returns, start, steps = [], [], time.perf_counter(), 0
    for update in range(updates):
        for group in optimizer.param_groups:
            group["lr"] = (1.0 - update / updates) * args.learning_rate
        for t in range(T):
            obs[t], dones[t] = next_obs, next_done
            with torch.no_grad():
                logits, value = forward(next_obs.float())
                dist = torch.distributions.Categorical(logits=logits)
                action = dist.sample()
            actions[t], logprobs[t], values[t] = action, dist.log_prob(action), value
            o, r, terminated, truncated, info = envs.step(action.numpy())
            rewards[t] = torch.as_tensor(r, dtype=torch.float32)
            next_obs, next_done = torch.as_tensor(o), torch.as_tensor(np.logical_or(terminated, truncated), dtype=torch.float32)
            # Same-step autoreset files an ended episode's info under final_info.
            for source in (info, info.get("final_info", {})):
                if "episode" in source:
                    chunk_returns += [float(x) for x, ended in zip(source["episode"]["r"], source["_episode"]) if ended]
        steps += batch
        with torch.no_grad():
            _, next_value = forward(next_obs.float())
            advantages, last = torch.zeros((T, n)), torch.zeros(n)
            for t in reversed(range(T)):
                not_done = 1.0 - (next_done if t == T - 1 else dones[t + 1])
                following = next_value if t == T - 1 else values[t + 1]
                delta = rewards[t] + 0.99 * following * not_done - values[t]
                last = delta + 0.99 * 0.95 * not_done * last
                advantages[t] = last
            returns = advantages + values
        b_obs, b_actions, b_logprobs = obs.reshape(batch, 4, 84, 84), actions.reshape(-1), logprobs.reshape(-1)
        b_advantages, b_returns, b_values = advantages.reshape(-1), returns.reshape(-1), values.reshape(-1)
        for _ in range(args.epochs):
            order = torch.randperm(batch)
            for s in range(0, batch, args.minibatch_size):
                mb = order[s:s + args.minibatch_size]
                logits, value = forward(b_obs[mb].float())
                dist = torch.distributions.Categorical(logits=logits)
                ratio = (dist.log_prob(b_actions[mb]) - b_logprobs[mb]).exp()
                adv = b_advantages[mb]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                policy_loss = torch.max(-adv * ratio, -adv * ratio.clamp(0.9, 1.1)).mean()
                clipped = b_values[mb] + (value - b_values[mb]).clamp(-0.1, 0.1)
                value_loss = 0.5 * torch.max((value - b_returns[mb]) ** 2, (clipped - b_returns[mb]) ** 2).mean()
                loss = policy_loss - 0.01 * dist.entropy().mean() + 0.5 * value_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(parameters, 0.5)
                optimizer.step()
        if (update + 1) % args.chunk == 0 or update == updates - 1:
            curve.append([steps, time.perf_counter() - start, float(np.mean(chunk_returns)) if chunk_returns else None])
            chunk_returns = []
    seconds = time.perf_counter() - start
    print(json.dumps({"peer_name": f"CleanRL-style PPO, torch {torch.__version__}, Gymnasium SyncVectorEnv",
                      "steps_per_second": steps / seconds, "steps": steps, "seconds": seconds, "curve": curve}))


if __name__ == "__main__":
    main()
