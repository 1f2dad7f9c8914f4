"""The world-model backbone training step of BENCHMARKS.md's wm-gru, wm-s5 and
wm-mamba workloads in PyTorch: torch.nn.GRU, s5-pytorch's S5Block and mambapy's
Mamba (parallel scan), B 16, width 256, 2 layers, Adam, loss = mean square of
the outputs. Prints one JSON object: milliseconds per step for each backbone
and sequence length (median of the repeats after one warm-up).

    bench/.venv/bin/python bench/peers/wm_backbone.py --lengths 64,256,1024 --repeats 3
"""
import argparse
import json
import time

import torch


def make(kind, width, layers):
    if kind == "gru":
        class GRU(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.gru = torch.nn.GRU(width, width, num_layers=layers, batch_first=True)

            def forward(self, x):
                return self.gru(x)[0]
        return GRU(), "torch.nn.GRU"
    if kind == "s4":
        from s5 import S5Block
        return torch.nn.Sequential(*[S5Block(width, 64, bidir=False) for _ in range(layers)]), "s5-pytorch S5Block (state 64)"
    if kind == "mamba":
        from mambapy.mamba import Mamba, MambaConfig
        config = MambaConfig(d_model=width, n_layers=layers, d_state=16, expand_factor=2, pscan=True)
        return Mamba(config), "mambapy Mamba (parallel scan, d_state 16, expand 2)"
    raise ValueError(kind)


def median_seconds(repeats, body):
    body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lengths", default="64,256,1024")
    parser.add_argument("--kinds", default="gru,s4,mamba")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(1)
    cases, names = [], {}
    for kind in args.kinds.split(","):
        model, names[kind] = make(kind, args.width, args.layers)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        for length in [int(n) for n in args.lengths.split(",")]:
            x = torch.rand(args.batch, length, args.width) * 2 - 1

            def step():
                optimizer.zero_grad()
                loss = model(x).square().mean()
                loss.backward()
                optimizer.step()

            seconds = median_seconds(1 if length >= 1024 else args.repeats, step)
            cases.append({"backbone": kind, "length": length, "ms_per_step": round(seconds * 1e3, 3)})
    print(json.dumps({"peer_names": names, "cases": cases, "torch": torch.__version__, "threads": 2}))


if __name__ == "__main__":
    main()
