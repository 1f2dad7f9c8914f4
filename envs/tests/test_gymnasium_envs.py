"""reverie_envs as Gymnasium environments: ReverieEnv passes Gymnasium's own
env checker on a Reverie server, ReverieVectorEnv steps like Gymnasium's
SyncVectorEnv in same-step autoreset, Stable-Baselines3 trains on a
Reverie-served env, and the package installs with pip."""
import shutil
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

from conftest import ENVS
from reverie_envs import ReverieEnv, ReverieVectorEnv
from reverie_envs.client import RemoteVectorEnv


def test_a_reverie_served_env_passes_gymnasiums_env_checker(reverie_server):
    server = reverie_server("CartPole-v1", 1)
    env = ReverieEnv(server.endpoint, timeout_ms=3000)
    assert env.observation_space.shape == (4,) and env.action_space == gym.spaces.Discrete(2)
    check_env(env, skip_render_check=True)
    env.close()
    # Closing the Gymnasium env leaves the server serving.
    assert RemoteVectorEnv(server.endpoint, timeout_ms=3000).reset(seed=0).shape == (1, 4)


def test_a_served_env_ends_its_episode_and_the_next_reset_starts_the_new_one(reverie_server):
    server = reverie_server("CartPole-v1", 1)
    env = ReverieEnv(server.endpoint, timeout_ms=3000)
    direct = gym.make("CartPole-v1")
    observation, _ = env.reset(seed=3)
    assert env.reset(seed=3)[0].tolist() == observation.tolist()  # a seeded reset repeats
    # Reverie's CartPole draws its own start; Gymnasium's is put in the same state, then both step alike.
    direct.reset(seed=3)
    direct.unwrapped.state = np.asarray(observation, np.float64)
    done, steps = False, 0
    while not done:  # always push left: the pole falls within a few dozen steps
        observation, reward, terminated, truncated, _ = env.step(0)
        expected, _, direct_terminated, _, _ = direct.step(0)
        assert np.allclose(observation, expected, atol=1e-5) and terminated == direct_terminated
        done, steps = terminated or truncated, steps + 1
    assert terminated and steps < 100
    first, _ = env.reset()
    assert env.observation_space.contains(first) and abs(first).max() <= 0.05  # a fresh episode's start


def test_the_vector_env_steps_as_gymnasiums_own_in_same_step_autoreset(bridge):
    server = bridge("CartPole-v1", 4)
    envs = ReverieVectorEnv(server.endpoint, timeout_ms=3000)
    direct = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(4)],
                                      autoreset_mode=AutoresetMode.SAME_STEP)
    assert envs.num_envs == 4 and envs.single_action_space == direct.single_action_space
    assert envs.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    ours, _ = envs.reset(seed=5)
    theirs, _ = direct.reset(seed=5)
    assert np.array_equal(ours, theirs)
    actions = np.random.default_rng(0).integers(0, 2, size=(300, 4))
    ended = 0
    for a in actions:
        o, r, term, trunc, info = envs.step(a)
        o2, r2, term2, trunc2, info2 = direct.step(a)
        assert np.array_equal(o, o2) and np.array_equal(r, r2.astype(np.float32))
        assert np.array_equal(term, term2) and np.array_equal(trunc, trunc2)
        if "final_obs" in info2:
            assert np.array_equal(info["_final_obs"], info2["_final_obs"])
            for i in np.flatnonzero(info2["_final_obs"]):
                assert np.array_equal(info["final_obs"][i], info2["final_obs"][i])
            ended += int(info2["_final_obs"].sum())
    assert ended > 10
    envs.close()


def test_stable_baselines3_ppo_learns_on_a_reverie_served_env(reverie_server):
    sb3 = pytest.importorskip("stable_baselines3", reason="Stable-Baselines3 and torch are optional: pip install stable-baselines3")
    from stable_baselines3.common.evaluation import evaluate_policy
    server = reverie_server("CartPole-v1", 1)
    env = ReverieEnv(server.endpoint, timeout_ms=10000)
    model = sb3.PPO("MlpPolicy", env, seed=1, device="cpu", verbose=0)
    model.learn(total_timesteps=30_000)
    mean, _ = evaluate_policy(model, env, n_eval_episodes=10, deterministic=True)
    # Random play lasts about 22 steps; PPO with SB3's defaults is well past that at 30k steps.
    assert mean >= 150, mean
    env.close()


def test_the_package_installs_with_pip_and_imports_where_it_was_installed(tmp_path):
    # From a copy, so that the build's leftovers (build/, *.egg-info) stay out of the checkout.
    source, target = tmp_path / "envs", tmp_path / "site"
    shutil.copytree(ENVS, source, ignore=shutil.ignore_patterns("tests", "__pycache__", ".pytest_cache"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                              "--target", str(target), str(source)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr
    code = ("import reverie_envs, reverie_envs.gymnasium_server as s; "
            "print(reverie_envs.__file__); print(callable(s.main) and reverie_envs.ReverieVectorEnv.__name__)")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(target)) and "ReverieVectorEnv" in result.stdout
