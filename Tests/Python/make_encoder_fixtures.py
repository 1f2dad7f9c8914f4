"""Reference values for Tests/ReverieNNTests/ImageEncoderTests.swift: the Nature
CNN (Mnih et al. 2015, as CleanRL's ppo_atari builds it), MinAtar's network
(Young & Tian 2019) and the IMPALA ResNet (Espeholt et al. 2018, as CleanRL's
ppo_procgen builds it) in PyTorch, with closed-form weights and images, so the
Swift test rebuilds the same network without a weights file.

Parameter k of a network (in PyTorch's order: conv weights and biases, then
the linear layer's), element i row-major, is scale_k · (cos(0.11·i + k) − 0.3)
with scale_k = 1/√fan_in; image element i (H, W, C row-major, as Gymnasium lays
images out) is 127.5 · (1 + sin(0.37·i)), a uint8-range pixel scaled by 1/255
on entry. Values are evaluated in float64, then rounded to float32.

The fixture holds, for a batch of 2 images: the features (2, F) and the
gradient of Σ features ⊙ c (c_i = sin(0.23·i)) with respect to the first
convolution's weight (which every layer's backward pass reaches) and to every
bias. The IMPALA image has odd sides, so its max pooling's padding matters.

    python Tests/Python/make_encoder_fixtures.py   # needs torch; writes Tests/ReverieNNTests/Fixtures/image_encoders.json
"""
import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

LAYERS = {
    "nature": ([(32, 8, 4), (64, 4, 2), (64, 3, 1)], 512, [36, 40, 3]),
    "minatar": ([(16, 3, 1)], 128, [10, 10, 4]),
}
IMPALA = ([16, 32, 32], 256, [13, 11, 3])


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv0 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv1(torch.relu(self.conv0(torch.relu(x))))


class ConvSequence(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.res_block0 = ResidualBlock(out_channels)
        self.res_block1 = ResidualBlock(out_channels)

    def forward(self, x):
        x = nn.functional.max_pool2d(self.conv(x), kernel_size=3, stride=2, padding=1)
        return self.res_block1(self.res_block0(x))


def closed_form(n, fn):
    return fn(np.arange(n, dtype=np.float64))


def build(kind):
    if kind == "impala":
        stages, units, (h, w, channels) = IMPALA
        layers = []
        for out in stages:
            layers.append(ConvSequence(channels, out))
            channels, h, w = out, (h + 1) // 2, (w + 1) // 2
        layers += [nn.Flatten(), nn.ReLU(), nn.Linear(channels * h * w, units), nn.ReLU()]
    else:
        convs, units, (h, w, channels) = LAYERS[kind]
        layers = []
        for out, kernel, stride in convs:
            layers += [nn.Conv2d(channels, out, kernel, stride), nn.ReLU()]
            channels, h, w = out, (h - kernel) // stride + 1, (w - kernel) // stride + 1
        layers += [nn.Flatten(), nn.Linear(channels * h * w, units), nn.ReLU()]
    network = nn.Sequential(*layers)
    with torch.no_grad():
        for k, p in enumerate(network.parameters()):
            fan_in = p.shape[1] * (p[0, 0].numel() if p.dim() == 4 else 1) if p.dim() > 1 else p.shape[0]
            values = closed_form(p.numel(), lambda i: (np.cos(0.11 * i + k) - 0.3) / np.sqrt(fan_in))
            p.copy_(torch.from_numpy(values.astype(np.float32).reshape(p.shape)))
    return network


def swift_names(kind):
    """The Swift encoder's parameter names, in PyTorch's order."""
    if kind == "impala":
        convs = [f"stages.{i}.{c}" for i in range(len(IMPALA[0]))
                 for c in ["convolution"] + [f"residualBlocks.{b}.{k}" for b in range(2) for k in range(2)]]
    else:
        convs = [f"convolutions.{i}" for i in range(len(LAYERS[kind][0]))]
    return [f"{c}.{p}" for c in convs for p in ("weight", "bias")] + ["linear.weight", "linear.bias"]


def main():
    fixture = {"torch": torch.__version__}
    for kind, shape in [(k, v[2]) for k, v in LAYERS.items()] + [("impala", IMPALA[2])]:
        network = build(kind)
        n = 2 * int(np.prod(shape))
        images = closed_form(n, lambda i: 127.5 * (1 + np.sin(0.37 * i))).astype(np.float32).reshape([2] + shape)
        # (B, H, W, C) → (B, C, H, W), scaled as the Swift encoder does on entry.
        x = torch.from_numpy(images).permute(0, 3, 1, 2) * (1 / 255)
        features = network(x)
        weights = torch.from_numpy(closed_form(features.numel(), lambda i: np.sin(0.23 * i)).astype(np.float32).reshape(features.shape))
        (features * weights).sum().backward()
        fixture[kind] = {
            "image_shape": shape,
            "features": features.detach().flatten().tolist(),
            "gradients": {name: p.grad.flatten().tolist() for name, p in zip(swift_names(kind), network.parameters())
                          if name.endswith("bias") or name in ("convolutions.0.weight", "stages.0.convolution.weight")},
        }
    out = Path(__file__).resolve().parent.parent / "ReverieNNTests/Fixtures/image_encoders.json"
    out.write_text(json.dumps(fixture))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
