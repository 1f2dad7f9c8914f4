#!/usr/bin/env python3
"""What Gymnasium's AtariPreprocessing and OpenCV give, for the Swift tests of
AtariPreprocessing and AreaResize to compare against (Tests/ReverieRemoteTests/
AtariPreprocessingTests.swift). Writes raw little-endian arrays into OUT_DIR.

    resize OUT_DIR SEED H W C SIZE     K random images (K, H, W, C) and cv2.resize(INTER_AREA) of each
    play OUT_DIR ENV_ID SEED N T LIFE  N envs, T random actions each, through AtariPreprocessing
    noops OUT_DIR ENV_ID SEED K...     per env i: reset(seed + i), K[i] no-ops, the 84×84 frame reached

`play` is the reference of a vector with same-step autoreset: env i is reset
with seed + i, then after each episode without a seed, and a step that ends an
episode records its last observation as final. With LIFE = 1 a lost life ends
the learner's episode but not the game, as CleanRL's EpisodicLifeEnv: the
game goes on after one no-op step, whose reward is dropped.
"""
import sys
from pathlib import Path

import cv2
import gymnasium as gym
import numpy as np
from gymnasium.wrappers import AtariPreprocessing


def ale_env(env_id):
    import ale_py
    gym.register_envs(ale_py)
    return gym.make(env_id, frameskip=1, repeat_action_probability=0.0, obs_type="grayscale")


def resize(out, seed, h, w, c, size, k=6):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (k, h, w, c), dtype=np.uint8)
    # Flat regions and edges too, as Atari frames have.
    images[0] = 0
    images[1, : h // 2] = 255
    images[2] = ((np.arange(w) * 3) % 256).astype(np.uint8)[None, :, None]
    squeeze = (lambda a: a[..., 0]) if c == 1 else (lambda a: a)
    resized = np.stack([cv2.resize(squeeze(im), (size, size), interpolation=cv2.INTER_AREA).reshape(size, size, c)
                        for im in images])
    images.tofile(out / "images.u8")
    resized.tofile(out / "resized.u8")


def play(out, env_id, seed, n, steps, life):
    envs = [AtariPreprocessing(ale_env(env_id), noop_max=0, frame_skip=4, screen_size=84, terminal_on_life_loss=bool(life))
            for _ in range(n)]
    actions = np.random.default_rng(seed).integers(0, envs[0].action_space.n, (steps, n))
    obs = np.zeros((steps + 1, n, 84, 84), np.uint8)
    finals = np.zeros((steps, n, 84, 84), np.uint8)
    rewards = np.zeros((steps, n), np.float32)
    terminated = np.zeros((steps, n), np.uint8)
    truncated = np.zeros((steps, n), np.uint8)
    for i, env in enumerate(envs):
        obs[0, i], _ = env.reset(seed=seed + i)
        for t in range(steps):
            o, r, term, trunc, _ = env.step(int(actions[t, i]))
            rewards[t, i], terminated[t, i], truncated[t, i] = r, term, trunc
            if term or trunc:
                finals[t, i] = o
                if life and term and not trunc and not env.unwrapped.ale.game_over():
                    o, _, term2, trunc2, _ = env.step(0)  # the game goes on after a lost life
                    if (term2 and env.unwrapped.ale.game_over()) or trunc2:
                        o, _ = env.reset()
                else:
                    o, _ = env.reset()
            obs[t + 1, i] = o
    for name, array in [("actions.i64", actions.astype("<i8")), ("observations.u8", obs), ("finals.u8", finals),
                        ("rewards.f32", rewards), ("terminated.u8", terminated), ("truncated.u8", truncated)]:
        array.tofile(out / name)


def noops(out, env_id, seed, counts):
    frames = []
    for i, k in enumerate(counts):
        env = ale_env(env_id)
        env.reset(seed=seed + i)
        for _ in range(k):
            env.step(0)
        frames.append(cv2.resize(env.unwrapped.ale.getScreenGrayscale(), (84, 84), interpolation=cv2.INTER_AREA))
    np.stack(frames).tofile(out / "frames.u8")


if __name__ == "__main__":
    mode, out, args = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    out.mkdir(parents=True, exist_ok=True)
    if mode == "resize":
        resize(out, *map(int, args))
    elif mode == "play":
        play(out, args[0], *map(int, args[1:]))
    elif mode == "noops":
        noops(out, args[0], int(args[1]), [int(k) for k in args[2:]])
    else:
        raise SystemExit(f"unknown mode {mode}")
