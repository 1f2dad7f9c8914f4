#!/usr/bin/env python3
"""Peer of `reverie bench dreamer-step`: the wall-clock time of one DreamerV3 update of sheeprl on the CPU.

One update is what sheeprl's training loop does per gradient step: the EMA of the target critic (tau 0.02), then
`sheeprl.algos.dreamer_v3.dreamer_v3.train` on one replayed batch of B sequences of L steps: the world model's loss and
Adam step, the imagination of `horizon` steps from every posterior of the batch (B*L starts), the actor's loss and
step, the critic's loss and step. The models, optimizers and `train` are sheeprl's own, built from its Hydra configs
(`exp=dreamer_v3`) with the sizes below overridden; Lightning Fabric runs in this process on one CPU device.

The batch is synthetic (random observations, one-hot actions, rewards and terminations), built once, in the layout
of sheeprl's replay buffer ([L, B, ...] float32; images channels-first, 0..255). Sampling it from a buffer is not timed.

Prints one JSON object on stdout; everything else (Lightning's and Hydra's messages) goes to stderr.

    bench/.venv/bin/python bench/peers/dreamer_step_sheeprl.py --obs pixels --repeats 5 --threads 1
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
import warnings


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--obs", choices=["vector", "pixels"], default="vector",
                   help="vector: 4 floats (CartPole-like), pixels: 64x64x3 uint8 images")
    p.add_argument("--actions", type=int, default=2, help="discrete actions")
    p.add_argument("--batch", type=int, default=16, help="B, sequences per batch")
    p.add_argument("--length", type=int, default=64, help="L, steps per sequence")
    p.add_argument("--horizon", type=int, default=15, help="imagined steps")
    p.add_argument("--deter", type=int, default=128, help="recurrent state size")
    p.add_argument("--stoch", type=int, default=16, help="categorical latents")
    p.add_argument("--classes", type=int, default=16, help="classes per latent")
    p.add_argument("--units", type=int, default=128, help="width of every MLP layer")
    p.add_argument("--layers", type=int, default=2, help="MLP layers of encoder, decoder, heads, actor, critic")
    p.add_argument("--cnn-depth", type=int, default=16, help="channels of the first conv (2d, 4d, 8d follow)")
    p.add_argument("--repeats", type=int, default=5, help="timed updates after one warm-up")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def overrides(a):
    """Hydra overrides of sheeprl's `exp=dreamer_v3` (algo dreamer_v3_S, batch 16 x 64) for the requested sizes."""
    wm = "algo.world_model"
    cnn, mlp = ("[rgb]", "[]") if a.obs == "pixels" else ("[]", "[state]")
    keys = [f"algo.cnn_keys.{part}={cnn}" for part in ("encoder", "decoder")]
    keys += [f"algo.mlp_keys.{part}={mlp}" for part in ("encoder", "decoder")]
    return [
        "exp=dreamer_v3",
        "env=dummy",  # never instantiated: the script builds the observation space itself
        "env.num_envs=1",
        "env.screen_size=64",
        "fabric.accelerator=cpu",
        "fabric.devices=1",
        "fabric.precision=32-true",
        "metric.log_level=0",
        "model_manager.disabled=True",
        f"seed={a.seed}",
        f"algo.per_rank_batch_size={a.batch}",
        f"algo.per_rank_sequence_length={a.length}",
        f"algo.horizon={a.horizon}",
        f"algo.dense_units={a.units}",
        f"algo.mlp_layers={a.layers}",
        f"{wm}.stochastic_size={a.stoch}",
        f"{wm}.discrete_size={a.classes}",
        f"{wm}.recurrent_model.recurrent_state_size={a.deter}",
        f"{wm}.transition_model.hidden_size={a.units}",
        f"{wm}.representation_model.hidden_size={a.units}",
        f"{wm}.encoder.cnn_channels_multiplier={a.cnn_depth}",
    ] + keys


def synthetic_batch(torch, a, obs_key):
    """A replayed batch as sheeprl's `sample_batches` yields it: a dict of float32 tensors of shape [L, B, ...]."""
    L, B = a.length, a.batch
    g = torch.Generator().manual_seed(a.seed)
    if a.obs == "pixels":
        obs = torch.randint(0, 256, (L, B, 3, 64, 64), generator=g).float()
    else:
        obs = torch.randn(L, B, 4, generator=g)
    actions = torch.nn.functional.one_hot(torch.randint(0, a.actions, (L, B), generator=g), a.actions).float()
    terminated = (torch.rand(L, B, 1, generator=g) < 0.01).float()
    # A step after a termination starts a new episode; every sequence starts one (`train` sets it too)
    is_first = torch.cat([torch.ones(1, B, 1), terminated[:-1]], 0)
    return {
        obs_key: obs,
        "actions": actions,
        "rewards": (torch.rand(L, B, 1, generator=g) < 0.5).float(),
        "terminated": terminated,
        "truncated": torch.zeros(L, B, 1),
        "is_first": is_first,
    }


def main():
    a = parse_args()
    os.environ["OMP_NUM_THREADS"] = str(a.threads)  # before torch starts its thread pool
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(a)
    out.write(json.dumps(result) + "\n")


def run(a):
    import numpy as np
    import torch

    torch.set_num_threads(a.threads)

    import gymnasium as gym
    import sheeprl
    from hydra import compose, initialize_config_module
    from hydra.utils import instantiate
    from lightning.fabric import Fabric
    from omegaconf import OmegaConf
    from torch.distributions import Distribution

    from sheeprl.algos.dreamer_v3 import dreamer_v3 as dv3
    from sheeprl.algos.dreamer_v3.agent import build_agent
    from sheeprl.algos.dreamer_v3.utils import Moments
    from sheeprl.utils.metric import MetricAggregator
    from sheeprl.utils.utils import dotdict

    with initialize_config_module(config_module="sheeprl.configs", version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides(a))
    cfg = dotdict(OmegaConf.to_container(cfg, resolve=True, throw_on_missing=False))

    # What sheeprl's launcher (`sheeprl.cli.run_algorithm`) sets before the training
    torch.set_float32_matmul_precision(cfg.float32_matmul_precision)
    Distribution.set_default_validate_args(cfg.distribution.validate_args)
    MetricAggregator.disabled = True  # metric.log_level=0: no aggregator, no entropy metrics
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)

    fabric = Fabric(accelerator="cpu", devices=1, precision=cfg.fabric.precision)
    obs_key = "rgb" if a.obs == "pixels" else "state"
    if a.obs == "pixels":
        obs_space = gym.spaces.Dict({"rgb": gym.spaces.Box(0, 255, (3, 64, 64), np.uint8)})
    else:
        obs_space = gym.spaces.Dict({"state": gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)})
    actions_dim = (a.actions,)

    world_model, actor, critic, target_critic, _player = build_agent(fabric, actions_dim, False, cfg, obs_space)
    world_opt = instantiate(cfg.algo.world_model.optimizer, params=world_model.parameters(), _convert_="all")
    actor_opt = instantiate(cfg.algo.actor.optimizer, params=actor.parameters(), _convert_="all")
    critic_opt = instantiate(cfg.algo.critic.optimizer, params=critic.parameters(), _convert_="all")
    world_opt, actor_opt, critic_opt = fabric.setup_optimizers(world_opt, actor_opt, critic_opt)
    m = cfg.algo.actor.moments
    moments = Moments(m.decay, m.max, m.percentile.low, m.percentile.high)

    batch = synthetic_batch(torch, a, obs_key)
    steps = 0

    def update():
        nonlocal steps
        # The training loop's target-critic EMA, every `per_rank_target_network_update_freq` (1) steps; a copy on the
        # first one
        tau = 1.0 if steps == 0 else cfg.algo.critic.tau
        for cp, tcp in zip(critic.module.parameters(), target_critic.parameters()):
            tcp.data.copy_(tau * cp.data + (1 - tau) * tcp.data)
        dv3.train(fabric, world_model, actor, critic, target_critic, world_opt, actor_opt, critic_opt, data,
                  None, cfg, False, actions_dim, moments)
        steps += 1

    rounds = []
    for r in range(a.repeats + 1):
        data = dict(batch, is_first=batch["is_first"].clone())  # `train` writes into is_first
        t0 = time.perf_counter()
        update()
        ms = (time.perf_counter() - t0) * 1e3
        print(f"update {r}{' (warm-up)' if r == 0 else ''}: {ms:.1f} ms", file=sys.stderr)
        if r > 0:
            rounds.append(ms)

    def count(module):
        return sum(p.numel() for p in module.parameters())

    return {
        "peer": f"sheeprl {sheeprl.__version__} DreamerV3 (torch {torch.__version__}, {a.threads} threads)",
        "ms_per_update": round(statistics.median(rounds), 2) if rounds else None,
        "rounds_ms": [round(x, 2) for x in rounds],
        "sizes": {
            "obs": a.obs, "actions": a.actions, "batch": a.batch, "length": a.length, "horizon": a.horizon,
            "deter": a.deter, "stoch": a.stoch, "classes": a.classes, "units": a.units, "layers": a.layers,
            "cnn_depth": a.cnn_depth,
        },
        "imagination_starts": a.batch * a.length,
        "parameters": {"world_model": count(world_model), "actor": count(actor), "critic": count(critic)},
    }


if __name__ == "__main__":
    main()
