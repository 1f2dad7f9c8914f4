"""Peers for `reverie bench minatar`: MinAtar games stepped with uniformly
random actions, as a user of each would step them.

- the `minatar` package (1.0.15) through its Gymnasium ids (MinAtar/<Game>-v1):
  one env, and Gymnasium's SyncVectorEnv of 8 (same-step autoreset);
- gymnax's MinAtar (JAX): `env.step` jitted and vmapped over 64 and 1024
  envs inside `jax.lax.scan`, as PureJaxRL runs it (gymnax auto-resets);
  compile time is measured apart. Its settings differ from the package's:
  no sticky actions, float observations, a 1,000-step episode cap.

The process is pinned to one core (and XLA's Eigen to one thread), so every
figure is one core's. gymnax's Seaquest runs at a few thousand steps a second
here, so it takes 20,000 steps where the other games take 300,000. Prints one JSON object: steps per second per game and
setting (median of `repeats` runs), and gymnax's compile seconds.

    bench/.venv/bin/python bench/peers/minatar_env.py --games Breakout --steps 20000 --repeats 3
"""
import argparse
import json
import os
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

from gymnasium_env import median, single, vector  # noqa: E402  (the Gymnasium peer's loops, any env id)

GYMNAX_STEPS = {"Seaquest": 20_000}
GYMNAX_IDS = {"Asterix": "Asterix-MinAtar", "Breakout": "Breakout-MinAtar", "Freeway": "Freeway-MinAtar",
              "Seaquest": "Seaquest-MinAtar", "SpaceInvaders": "SpaceInvaders-MinAtar"}


def gymnax_runner(game, n, length):
    """A jitted function stepping n envs `length` times with random actions."""
    import jax
    import gymnax

    env, params = gymnax.make(GYMNAX_IDS[game])
    actions = env.action_space(params).n

    def one(carry, _):
        key, state = carry
        key, act_key, step_key = jax.random.split(key, 3)
        action = jax.random.randint(act_key, (n,), 0, actions)
        # (obs, state, reward, done, info), or (obs, state, reward, terminated, truncated, info) in newer gymnax.
        out = jax.vmap(env.step, in_axes=(0, 0, 0, None))(jax.random.split(step_key, n), state, action, params)
        state, reward = out[1], out[2]
        return (key, state), reward.sum()

    @jax.jit
    def run(key):
        key, reset_key = jax.random.split(key)
        _, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(reset_key, n), params)
        (_, state), rewards = jax.lax.scan(one, (key, state), None, length)
        return rewards.sum()

    return run


def gymnax_rate(game, n, steps, repeats):
    import jax

    length = max(1, steps // n)
    run = gymnax_runner(game, n, length)
    start = time.perf_counter()
    run(jax.random.PRNGKey(0)).block_until_ready()
    compile_seconds = time.perf_counter() - start
    rates = []
    for r in range(repeats):
        start = time.perf_counter()
        run(jax.random.PRNGKey(r + 1)).block_until_ready()
        rates.append(length * n / (time.perf_counter() - start))
    return median(rates), compile_seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", default="Asterix,Breakout,Freeway,Seaquest,SpaceInvaders")
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--gymnax-steps", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from minatar.gym import register_envs
    register_envs()
    import jax
    results = {}
    for game in args.games.split(","):
        env_id = f"MinAtar/{game}-v1"
        row = {"package_single": median([single(args.steps, env_id) for _ in range(args.repeats)]),
               "package_vector8": median([vector(args.steps, 8, env_id) for _ in range(args.repeats)])}
        for n in (64, 1024):
            rate, compile_seconds = gymnax_rate(game, n, GYMNAX_STEPS.get(game, args.gymnax_steps), args.repeats)
            row[f"gymnax_{n}"], row[f"gymnax_{n}_compile_s"] = rate, compile_seconds
        results[game] = row
    import minatar
    print(json.dumps({"games": results, "jax": jax.__version__,
                      "minatar": getattr(minatar, "__version__", "1.0.15")}))


if __name__ == "__main__":
    main()
