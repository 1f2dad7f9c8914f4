"""How a CartPole world-model run's episodes ended, read from its replay.

For each span of env steps, counts the terminal steps in the replay kept
beside the run's newest checkpoint: those where the cart left the track
(|x| > 2.4, "edge") and the others (the pole fell, "pole"). Episodes cut at
500 steps are not terminal and are not counted. The replay keeps one stream
per env, each in time order, so row i of a stream is env step ≈ envs · i.

    .venv/bin/python docs/tools/cartpole_terminations.py RUN [RUN ...] [--spans 0,10000,20000,25000,30208]

Reads the file with the safetensors package (numpy), not with Reverie.
"""
import argparse
import os

import numpy as np
from safetensors.numpy import load_file


def replay_of(run):
    folder = os.path.join(run, "checkpoints")
    names = sorted(f for f in os.listdir(folder) if f.startswith("replay-"))
    if not names:
        raise SystemExit(f"{folder} holds no replay-*.safetensors (not a world-model run?)")
    return load_file(os.path.join(folder, names[-1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+")
    parser.add_argument("--spans", default="0,10000,20000,25000,30208",
                        help="boundaries of the env-step spans, comma-separated")
    args = parser.parse_args()
    bounds = [int(b) for b in args.spans.split(",")]
    for run in args.runs:
        replay = replay_of(run)
        written = replay["replay.written"].astype(int)
        streams = len(written)
        per_stream = replay["replay.terminals"].shape[0] // streams
        counts = [[0, 0] for _ in bounds[:-1]]
        for s in range(streams):
            rows = slice(s * per_stream, s * per_stream + written[s])
            terminal = np.nonzero(replay["replay.terminals"][rows] > 0)[0]
            x = replay["replay.observations"][rows][terminal, 0]
            step = terminal * streams
            for k, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
                inside = (step >= lo) & (step < hi)
                counts[k][0] += int((np.abs(x[inside]) > 2.4).sum())
                counts[k][1] += int((np.abs(x[inside]) <= 2.4).sum())
        spans = " | ".join(f"{lo // 1000}-{hi // 1000}k: edge {e}, pole {p}"
                           for (lo, hi), (e, p) in zip(zip(bounds, bounds[1:]), counts))
        print(f"{os.path.basename(os.path.normpath(run))}: {spans}")


if __name__ == "__main__":
    main()
