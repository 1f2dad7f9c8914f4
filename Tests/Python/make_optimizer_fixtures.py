"""Reference trajectories for Reverie's optimizer tests.

Adam and AdamW come from PyTorch; LaProp from a float64 numpy transcription
of Ziyin et al. 2020, Algorithm 1. Prints Swift array literals that
Tests/ReverieNNTests/OptimizerTests.swift pastes in.

    python Tests/Python/make_optimizer_fixtures.py   (needs torch and numpy)
"""
import numpy as np
import torch

theta0 = [0.5, -1.0, 2.0, 0.1]
# Gradients of a fixed sequence, not of a loss, so the test needs no model.
grads = [[0.1, -0.2, 0.3, 0.0], [1.0, 0.5, -0.5, 2.0], [-0.3, 0.3, 0.1, -1.0], [0.0, 0.01, -2.0, 0.5]]


def torch_run(make):
    p = torch.nn.Parameter(torch.tensor(theta0, dtype=torch.float64))
    opt = make([p])
    out = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(p.detach().numpy().tolist())
    return out


def laprop_run(lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
    p = np.array(theta0)
    m = np.zeros(4)
    v = np.zeros(4)
    out = []
    for t, g in enumerate(grads, start=1):
        g = np.array(g)
        v = b2 * v + (1 - b2) * g * g
        m = b1 * m + (1 - b1) * g / (np.sqrt(v / (1 - b2 ** t)) + eps)
        p = p - lr * m / (1 - b1 ** t)
        out.append(p.tolist())
    return out


def show(name, rows):
    print(f"    static let {name}: [[Float]] = [")
    for r in rows:
        print("        [" + ", ".join(f"{x:.9g}" for x in r) + "],")
    print("    ]")


show("adam", torch_run(lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8)))
show("adamW", torch_run(lambda ps: torch.optim.AdamW(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)))
show("laprop", laprop_run())
