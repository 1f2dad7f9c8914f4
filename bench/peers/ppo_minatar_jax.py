"""The peer of `reverie bench ppo-minatar`: PPO on gymnax's MinAtar with the
whole training loop jitted, as PureJaxRL writes it (Lu et al. 2022,
"Discovered Policy Optimisation", purejaxrl/ppo.py), given the network and
hyperparameters of Reverie's `ppo-minatar-<game>` preset so that the two
sides differ in the framework only:

- network `minatar`: MinAtar's (Young & Tian 2019), a shared trunk of conv 16
  3×3 (valid) → ReLU → 128 units → ReLU, a linear actor (orthogonal, gain
  0.01) and critic (gain 1), the trunk orthogonal with gain √2 (CleanRL's and
  Reverie's initialisation); network `mlp`: PureJaxRL's separate actor and
  critic MLPs of 2×64 tanh units.
- 64 envs × 128 steps, GAE (γ 0.99, λ 0.95), 4 epochs of 8 shuffled
  minibatches, advantages normalised per minibatch, the clipped surrogate
  (ε 0.2), the value loss c₁·E[(V − R)²] with c₁ 0.5 and no value clipping
  (Reverie's and Stable-Baselines3's form; PureJaxRL clips it and halves it),
  entropy 0.01, global-norm clipping at 0.5, Adam (ε 1e-5) at 5e-3 annealed
  linearly to 0 over the run.
- gymnax's env (no sticky actions, float observations, its 1,000-step cap),
  auto-reset inside `env.step`. A truncated episode's last step is treated
  as terminal, as PureJaxRL does (Reverie bootstraps it; at a 1,000-step cap
  it rarely matters).

Each update (a 128-step rollout, GAE and the 32 minibatch steps) is one
jitted call. The epochs and minibatches are unrolled: on this CPU, XLA runs
the convolutional network's gradient about 9× slower inside a `lax.scan`'s
loop body than outside one (measured with jax 0.10.2, batch 1024: 911 ms
against 103 ms), so a scan over updates, as PureJaxRL writes it, would
make this peer slower than it can be. Compile time is measured apart. The process is pinned to `--threads` cores and XLA's CPU client to as
many threads. Prints one JSON object: env steps per second (compile
excluded), compile seconds, and the curve (env steps, wall seconds, mean
return of the episodes ended in the chunk).

    bench/.venv/bin/python bench/peers/ppo_minatar_jax.py --game Breakout --network minatar --steps 1000000
"""
import argparse
import json
import os
import sys
import time


def configure_threads(threads):
    """Pins the process to `threads` cores and XLA to as many threads (before jax is imported)."""
    cores = sorted(os.sched_getaffinity(0))[:threads]
    os.sched_setaffinity(0, set(cores))
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1:
        flags += " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    os.environ["XLA_FLAGS"] = flags.strip()


def build(args):
    import jax
    import jax.numpy as jnp
    import flax.linen as nn
    import gymnax
    import numpy as np
    import optax
    from flax.linen.initializers import constant, orthogonal

    env, params = gymnax.make(f"{args.game}-MinAtar")
    actions = env.action_space(params).n
    n, t = args.envs, args.rollout
    batch = n * t
    minibatch = batch // args.minibatches
    updates_total = args.steps // batch

    class ActorCritic(nn.Module):
        @nn.compact
        def __call__(self, x):
            if args.network == "minatar":
                x = nn.Conv(16, (3, 3), padding="VALID", kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0))(x)
                x = nn.relu(x).reshape((x.shape[0], -1))
                x = nn.relu(nn.Dense(128, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0))(x))
                logits = nn.Dense(actions, kernel_init=orthogonal(0.01), bias_init=constant(0))(x)
                value = nn.Dense(1, kernel_init=orthogonal(1.0), bias_init=constant(0))(x)
                return logits, value[:, 0]
            x = x.reshape((x.shape[0], -1))
            a = x
            for _ in range(2):
                a = nn.tanh(nn.Dense(64, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0))(a))
            logits = nn.Dense(actions, kernel_init=orthogonal(0.01), bias_init=constant(0))(a)
            c = x
            for _ in range(2):
                c = nn.tanh(nn.Dense(64, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0))(c))
            value = nn.Dense(1, kernel_init=orthogonal(1.0), bias_init=constant(0))(c)
            return logits, value[:, 0]

    net = ActorCritic()

    def schedule(count):
        # One Adam step per minibatch; linear to 0 over all of them.
        return args.lr * (1.0 - (count // (args.minibatches * args.epochs)) / updates_total)

    optimizer = optax.chain(optax.clip_by_global_norm(0.5),
                            optax.adam(learning_rate=schedule if args.anneal else args.lr, eps=1e-5))

    def init(key):
        key, net_key, reset_key = jax.random.split(key, 3)
        obs_shape = env.observation_space(params).shape
        weights = net.init(net_key, jnp.zeros((1,) + obs_shape))
        opt_state = optimizer.init(weights)
        obs, state = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(reset_key, n), params)
        running = (jnp.zeros(n), jnp.zeros(n, jnp.int32))  # each env's return and length so far
        return (weights, opt_state, state, obs, running, key)

    def log_softmax(logits):
        return logits - jax.scipy.special.logsumexp(logits, axis=-1, keepdims=True)

    def env_step(carry, _):
        weights, opt_state, state, obs, (ret, length), key = carry
        key, act_key, step_key = jax.random.split(key, 3)
        logits, value = net.apply(weights, obs)
        action = jax.random.categorical(act_key, logits)
        logp = jnp.take_along_axis(log_softmax(logits), action[:, None], axis=1)[:, 0]
        next_obs, state, reward, terminated, truncated, _ = jax.vmap(env.step, in_axes=(0, 0, 0, None))(
            jax.random.split(step_key, n), state, action, params)
        done = jnp.logical_or(terminated, truncated)
        ret, length = ret + reward, length + 1
        ended_return = jnp.where(done, ret, 0.0)
        ret, length = jnp.where(done, 0.0, ret), jnp.where(done, 0, length)
        transition = (obs, action, logp, value, reward, done, ended_return)
        return (weights, opt_state, state, next_obs, (ret, length), key), transition

    def loss_fn(weights, obs, action, old_logp, old_value, advantage, target):
        logits, value = net.apply(weights, obs)
        logp_all = log_softmax(logits)
        logp = jnp.take_along_axis(logp_all, action[:, None], axis=1)[:, 0]
        ratio = jnp.exp(logp - old_logp)
        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
        surrogate = jnp.minimum(ratio * advantage, jnp.clip(ratio, 1 - args.clip, 1 + args.clip) * advantage)
        policy_loss = -surrogate.mean()
        value_loss = ((value - target) ** 2).mean()
        entropy = -(jnp.exp(logp_all) * logp_all).sum(-1).mean()
        return policy_loss + 0.5 * value_loss - 0.01 * entropy

    def update(carry, _):
        carry, tr = jax.lax.scan(env_step, carry, None, t)
        weights, opt_state, state, obs, running, key = carry
        obs_t, action, logp, value, reward, done, ended_return = tr
        _, last_value = net.apply(weights, obs)

        def gae(next_, x):
            advantage, next_value = next_
            reward, value, done = x
            delta = reward + args.gamma * next_value * (1 - done) - value
            advantage = delta + args.gamma * args.gae_lambda * (1 - done) * advantage
            return (advantage, value), advantage

        _, advantages = jax.lax.scan(gae, (jnp.zeros(n), last_value), (reward, value, done.astype(jnp.float32)),
                                     reverse=True)
        targets = advantages + value
        data = (obs_t, action, logp, value, advantages, targets)
        data = jax.tree.map(lambda x: x.reshape((batch,) + x.shape[2:]), data)

        def epoch(carry, _):
            weights, opt_state, key = carry
            key, perm_key = jax.random.split(key)
            order = jax.random.permutation(perm_key, batch)
            shuffled = jax.tree.map(lambda x: x[order].reshape((args.minibatches, minibatch) + x.shape[1:]), data)

            def step(carry, mb):
                weights, opt_state = carry
                grads = jax.grad(loss_fn)(weights, *mb)
                changes, opt_state = optimizer.update(grads, opt_state)
                return (optax.apply_updates(weights, changes), opt_state), None

            (weights, opt_state), _ = jax.lax.scan(step, (weights, opt_state), shuffled, unroll=True)
            return (weights, opt_state, key), None

        (weights, opt_state, key), _ = jax.lax.scan(epoch, (weights, opt_state, key), None, args.epochs, unroll=True)
        ended = done.sum()
        return (weights, opt_state, state, obs, running, key), (ended_return.sum(), ended)

    return jax.jit(init), jax.jit(lambda carry: update(carry, None)), updates_total, batch


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--game", default="Breakout", choices=["Asterix", "Breakout", "Freeway", "Seaquest", "SpaceInvaders"])
    parser.add_argument("--network", default="minatar", choices=["minatar", "mlp"])
    parser.add_argument("--steps", type=int, default=1_000_000, help="env steps (whole updates of envs × rollout)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--envs", type=int, default=64)
    parser.add_argument("--rollout", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--minibatches", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--anneal", type=int, default=1)
    parser.add_argument("--clip", type=float, default=0.2)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--gae-lambda", type=float, default=0.95)
    parser.add_argument("--chunk", type=int, default=10, help="updates per point of the curve")
    args = parser.parse_args()
    configure_threads(args.threads)

    import jax
    init, update, updates_total, batch = build(args)
    start = time.perf_counter()
    carry = init(jax.random.PRNGKey(args.seed))
    compiled = update.lower(carry).compile()
    compile_s = time.perf_counter() - start

    curve, steps, wall = [], 0, 0.0
    returns, ended = 0.0, 0
    for u in range(1, max(updates_total, 1) + 1):
        start = time.perf_counter()
        carry, (chunk_returns, chunk_ended) = compiled(carry)
        returns, ended = returns + float(chunk_returns), ended + int(chunk_ended)
        wall += time.perf_counter() - start
        steps += batch
        if u % args.chunk == 0 or u == updates_total:
            curve.append([steps, round(wall, 3), returns / ended if ended else None])
            print(f"{steps} steps, {wall:.1f} s, return {curve[-1][2]}", file=sys.stderr)
            returns, ended = 0.0, 0

    print(json.dumps({"game": args.game, "network": args.network, "threads": args.threads, "steps": steps,
                      "steps_per_second": steps / wall, "compile_s": compile_s, "curve": curve,
                      "jax": jax.__version__}))


if __name__ == "__main__":
    main()
