"""The convolutional actor-critic's PPO minibatch update of BENCHMARKS.md's
`conv` workload in PyTorch, as CleanRL's ppo_atari builds the network: a
shared trunk (Nature CNN on 84×84×4 at batch 256, MinAtar's network on
10×10×4 at batch 512), linear actor (6 actions) and critic, the clipped
surrogate, value and entropy losses, global-norm clipping at 0.5 and an Adam
step. Prints one JSON object: milliseconds per update for each network
(median of the repeats after one warm-up).

    bench/.venv/bin/python bench/peers/conv_ppo.py --repeats 5 --threads 2
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn

CASES = {  # name: (convolutions (out, kernel, stride), units, (H, W, C), batch)
    "nature": ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], 512, (84, 84, 4), 256),
    "minatar": ([(16, 3, 1)], 128, (10, 10, 4), 512),
}
ACTIONS = 6


class ActorCritic(nn.Module):
    def __init__(self, convolutions, units, shape):
        super().__init__()
        h, w, c = shape
        layers = []
        for out, kernel, stride in convolutions:
            layers += [nn.Conv2d(c, out, kernel, stride), nn.ReLU()]
            c, h, w = out, (h - kernel) // stride + 1, (w - kernel) // stride + 1
        self.trunk = nn.Sequential(*layers, nn.Flatten(), nn.Linear(c * h * w, units), nn.ReLU())
        self.actor, self.critic = nn.Linear(units, ACTIONS), nn.Linear(units, 1)

    def forward(self, images):
        # (B, H, W, C) uint8-range floats, as the env gives them → (B, C, H, W) / 255.
        features = self.trunk(images.permute(0, 3, 1, 2) / 255.0)
        return self.actor(features), self.critic(features).squeeze(-1)


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
    parser.add_argument("--cases", default="nature,minatar")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    cases = []
    for name in args.cases.split(","):
        convolutions, units, shape, batch_size = CASES[name]
        model = ActorCritic(convolutions, units, shape)
        optimizer = torch.optim.Adam(model.parameters(), lr=2.5e-4, eps=1e-5)
        batch = (torch.from_numpy(rng.integers(0, 256, (batch_size,) + shape).astype(np.float32)),
                 torch.from_numpy(rng.integers(0, ACTIONS, batch_size)),
                 torch.full((batch_size,), -np.log(ACTIONS), dtype=torch.float32),
                 torch.from_numpy(rng.standard_normal(batch_size).astype(np.float32)),
                 torch.from_numpy(rng.standard_normal(batch_size).astype(np.float32)))
        update(model, optimizer, batch)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            update(model, optimizer, batch)
            times.append(time.perf_counter() - start)
        cases.append({"network": name, "batch": batch_size, "ms_per_update": 1e3 * sorted(times)[len(times) // 2]})
    print(json.dumps({"cases": cases, "peer": f"torch {torch.__version__} ({torch.get_num_threads()} threads)"}))


if __name__ == "__main__":
    main()
