"""Reverie's files read with numpy alone:

    from reverie_envs import load_safetensors, load_policy
    tensors, metadata = load_safetensors("runs/…/checkpoints/step-000050176.safetensors")  # any checkpoint
    policy = load_policy("policy.safetensors")       # written by `reverie export RUN policy.safetensors`
    actions = policy.act(observations)               # (B, D) as the env gives them → the policy's mode
    values = policy.value(observations)              # the critic's V(s), (B,)

A checkpoint's tensors are named as Reverie's modules name their parameters
(``model.actor.layers.0.weight``, PyTorch's (out, in) layout); a world
model's replay frames are uint8. ``load_policy`` follows the JSON description
`reverie export` writes into the file's metadata (``reverie_policy``).
"""
import json
import math
import struct

import numpy as np

SAFETENSORS_DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "U8": np.uint8, "I8": np.int8,
                      "I32": np.int32, "I64": np.int64, "BOOL": np.bool_}


def load_safetensors(path):
    """Every tensor of a safetensors file as a numpy array (little-endian, row-major), and its metadata."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = np.dtype(SAFETENSORS_DTYPES[info["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(data[base + begin:base + end], dtype=dtype).reshape(info["shape"])
    return tensors, metadata


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


ACTIVATIONS = {
    "identity": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "relu": lambda x: np.maximum(x, 0),
    "silu": lambda x: x * _sigmoid(x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "gelu": lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2))),
    "softplus": lambda x: np.logaddexp(0, x),
}


class Policy:
    """A feedforward actor-critic exported by `reverie export`, run in numpy (float32 throughout)."""

    def __init__(self, tensors, description):
        if description.get("format") != "reverie-policy-1":
            raise ValueError(f"not a Reverie policy export (format {description.get('format')!r})")
        self.tensors, self.description = tensors, description
        self.activation = ACTIVATIONS[description["activation"]]
        self.head = description["head"]
        self.observation_space = description["observation_space"]

    def features(self, observations):
        """What the MLPs read: observations normalised as in training, discrete ones one-hot."""
        x = np.asarray(observations, np.float32).reshape(len(observations), -1)
        norm = self.description.get("observation_normalization")
        if norm:
            mean = self.tensors[norm["mean"]].astype(np.float64)
            variance = self.tensors[norm["variance"]].astype(np.float64)
            x = np.clip((x - mean) / np.sqrt(variance + norm["epsilon"]), -norm["clip"], norm["clip"]).astype(np.float32)
        sizes = self.description.get("one_hot_sizes")
        if sizes:
            blocks = []
            for j, n in enumerate(sizes):
                block = np.zeros((len(x), n), np.float32)
                valid = (x[:, j] >= 0) & (x[:, j] < n) & (x[:, j] == np.round(x[:, j]))
                block[np.flatnonzero(valid), x[valid, j].astype(int)] = 1
                blocks.append(block)
            x = np.concatenate(blocks, axis=1)
        return x

    def _mlp(self, layers, x):
        for i, layer in enumerate(layers):
            x = x @ self.tensors[layer["weight"]].T
            if layer["bias"]:
                x = x + self.tensors[layer["bias"]]
            if i < len(layers) - 1:
                x = self.activation(x)
        return x

    def outputs(self, observations):
        """The actor's outputs: logits (categorical) or the Gaussian's mean, (B, K)."""
        return self._mlp(self.description["actor"], self.features(observations))

    def act(self, observations):
        """The policy's mode for each observation, as `reverie eval` acts: an action index, or a Box action."""
        out = self.outputs(observations)
        kind = self.head["kind"]
        if kind == "categorical":
            return np.argmax(out, axis=1)
        low, high = np.asarray(self.head["low"], np.float32), np.asarray(self.head["high"], np.float32)
        if kind == "gaussian":
            return np.clip(out, low, high)
        return low + (np.tanh(out) + 1) * (high - low) / 2

    def value(self, observations):
        """The critic's value V(s) of each observation, (B,)."""
        return self._mlp(self.description["critic"], self.features(observations))[:, 0]


def load_policy(path):
    """The policy `reverie export` wrote to ``path``."""
    tensors, metadata = load_safetensors(path)
    if "reverie_policy" not in metadata:
        raise ValueError(f"{path} holds no reverie_policy description: write it with `reverie export RUN {path}`")
    return Policy(tensors, json.loads(metadata["reverie_policy"]))
