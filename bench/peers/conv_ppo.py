"""The training steps of BENCHMARKS.md's `conv` workload in PyTorch:

- nature, impala, minatar: the convolutional actor-critic's PPO minibatch
  update, as CleanRL's ppo_atari and ppo_procgen build the networks: a shared
  trunk (Nature CNN on 84×84×4 at batch 256, the IMPALA ResNet on 64×64×3 at
  batch 256, MinAtar's network on 10×10×4 at batch 512), linear actor (6
  actions) and critic, the clipped surrogate, value and entropy losses,
  global-norm clipping at 0.5 and an Adam step.
- dreamer-encoder, dreamer-decoder: DreamerV3's image encoder (four 4×4
  stride-2 convolutions, depth 32, GroupNorm(1) and SiLU, on x/255 − 0.5) under
  a squared-embedding loss, and its decoder (linear from 1,024 features to
  4×4 maps, four transposed convolutions) under the summed squared error
  against the image, each with an Adam step, batch 256 of 64×64×3.

Prints one JSON object: milliseconds per step for each network (median of
the repeats after one warm-up).

    bench/.venv/bin/python bench/peers/conv_ppo.py --repeats 5 --threads 2
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn

CASES = {  # name: (convolutions (out, kernel, stride) or "impala", units, (H, W, C), batch)
    "nature": ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], 512, (84, 84, 4), 256),
    "impala": ("impala", 256, (64, 64, 3), 256),
    "minatar": ([(16, 3, 1)], 128, (10, 10, 4), 512),
}
DREAMER = {"dreamer-encoder": 256, "dreamer-decoder": 256}
DEPTH, FEATURES = 32, 1024
ACTIONS = 6


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv1(torch.relu(self.conv0(torch.relu(x))))


class ConvSequence(nn.Module):
    """One IMPALA stage, as CleanRL's ppo_procgen."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.res_block0, self.res_block1 = ResidualBlock(out_channels), ResidualBlock(out_channels)

    def forward(self, x):
        x = nn.functional.max_pool2d(self.conv(x), kernel_size=3, stride=2, padding=1)
        return self.res_block1(self.res_block0(x))


def trunk(convolutions, units, shape):
    h, w, c = shape
    if convolutions == "impala":
        layers = []
        for out in (16, 32, 32):
            layers.append(ConvSequence(c, out))
            c, h, w = out, (h + 1) // 2, (w + 1) // 2
        return nn.Sequential(*layers, nn.Flatten(), nn.ReLU(), nn.Linear(c * h * w, units), nn.ReLU())
    layers = []
    for out, kernel, stride in convolutions:
        layers += [nn.Conv2d(c, out, kernel, stride), nn.ReLU()]
        c, h, w = out, (h - kernel) // stride + 1, (w - kernel) // stride + 1
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * h * w, units), nn.ReLU())


def dreamer_encoder():
    widths, layers = [3, DEPTH, 2 * DEPTH, 4 * DEPTH, 8 * DEPTH], []
    for i in range(4):
        layers += [nn.Conv2d(widths[i], widths[i + 1], 4, 2, 1, bias=False), nn.GroupNorm(1, widths[i + 1], eps=1e-3), nn.SiLU()]
    return nn.Sequential(*layers, nn.Flatten())


def dreamer_decoder():
    widths, layers = [8 * DEPTH, 4 * DEPTH, 2 * DEPTH, DEPTH, 3], []
    for i in range(4):
        layers.append(nn.ConvTranspose2d(widths[i], widths[i + 1], 4, 2, 1, bias=i == 3))
        if i < 3:
            layers += [nn.GroupNorm(1, widths[i + 1], eps=1e-3), nn.SiLU()]
    return nn.Sequential(nn.Linear(FEATURES, 8 * DEPTH * 16), nn.Unflatten(1, (8 * DEPTH, 4, 4)), *layers)


class ActorCritic(nn.Module):
    def __init__(self, convolutions, units, shape):
        super().__init__()
        self.trunk = trunk(convolutions, units, shape)
        self.actor, self.critic = nn.Linear(units, ACTIONS), nn.Linear(units, 1)

    def forward(self, images):
        # (B, H, W, C) uint8-range floats, as the env gives them → (B, C, H, W) / 255.
        features = self.trunk(images.permute(0, 3, 1, 2) / 255.0)
        return self.actor(features), self.critic(features).squeeze(-1)


def timed(step, repeats):
    """Milliseconds per call of `step`: the median of `repeats` after one warm-up."""
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1e3 * sorted(times)[len(times) // 2]


def dreamer_step(name, batch_size, rng):
    images = torch.from_numpy(rng.integers(0, 256, (batch_size, 64, 64, 3)).astype(np.float32))
    if name == "dreamer-encoder":
        model = dreamer_encoder()
        loss = lambda: (model(images.permute(0, 3, 1, 2) / 255.0 - 0.5) ** 2).mean()
    else:
        model = dreamer_decoder()
        features = torch.from_numpy(rng.standard_normal((batch_size, FEATURES)).astype(np.float32))
        # The reconstruction back in (B, H·W·C) rows, against x/255 − 0.5, summed per image.
        loss = lambda: ((model(features).permute(0, 2, 3, 1).reshape(batch_size, -1) - (images.reshape(batch_size, -1) / 255.0 - 0.5)) ** 2).sum(-1).mean()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, eps=1e-8)

    def step():
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    return step


def update(model, optimizer, batch):
    images, actions, old_log_probs, advantages, returns = batch
    logits, values = model(images)
    log_probs = torch.log_softmax(logits, -1)
    ratio = (log_probs.gather(1, actions[:, None]).squeeze(1) - old_log_probs).exp()
    surrogate = torch.min(ratio * advantages, ratio.clamp(0.9, 1.1) * advantages)
    entropy = -(log_probs.exp() * log_probs).sum(-1).mean()
    loss = -surrogate.mean() + 0.5 * ((values - returns) ** 2).mean() - 0.01 * entropy
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    optimizer.step()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=",".join(list(CASES) + list(DREAMER)))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    cases = []
    for name in args.cases.split(","):
        if name in DREAMER:
            batch_size = DREAMER[name]
            step = dreamer_step(name, batch_size, rng)
        else:
            convolutions, units, shape, batch_size = CASES[name]
            model = ActorCritic(convolutions, units, shape)
            optimizer = torch.optim.Adam(model.parameters(), lr=2.5e-4, eps=1e-5)
            batch = (torch.from_numpy(rng.integers(0, 256, (batch_size,) + shape).astype(np.float32)),
                     torch.from_numpy(rng.integers(0, ACTIONS, batch_size)),
                     torch.full((batch_size,), -np.log(ACTIONS), dtype=torch.float32),
                     torch.from_numpy(rng.standard_normal(batch_size).astype(np.float32)),
                     torch.from_numpy(rng.standard_normal(batch_size).astype(np.float32)))
            step = lambda: update(model, optimizer, batch)
        cases.append({"network": name, "batch": batch_size, "ms_per_update": timed(step, args.repeats)})
    print(json.dumps({"cases": cases, "peer": f"torch {torch.__version__} ({torch.get_num_threads()} threads)"}))


if __name__ == "__main__":
    main()
