"""Interop between Reverie's safetensors files and Python's readers/writers.

    python safetensors_interop.py check FILE   # a file Reverie wrote
    python safetensors_interop.py write FILE   # write one for Reverie to load

`check` reads FILE twice — by parsing the format with plain numpy, and with
the `safetensors` package — and compares names, shapes, values and metadata
with what CheckpointTests writes. `write` saves tensors of several dtypes with
`safetensors.numpy.save_file`. Exit status 0 means success.
"""
import json
import struct
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

# What Tests/ReverieNNTests/CheckpointTests.swift writes (arange-based values).
EXPECTED = {
    "model.encoder.weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 8 - 0.5,
    "model.encoder.bias": np.array([1.5, -2.25, 1e-8], dtype=np.float32),
    "optimizer.step": np.array([7.0], dtype=np.float32),
    "scalar": np.array(3.25, dtype=np.float32),
    "replay.frames": np.array([[0, 1, 127], [128, 254, 255]], dtype=np.uint8),  # a ByteTensor, U8
}
EXPECTED_METADATA = {"format": "pt", "reverie": "checkpoint test", "seed": "42"}


def parse_with_numpy(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    dtypes = {"F32": "<f4", "U8": "u1"}
    for name, entry in header.items():
        assert entry["dtype"] in dtypes, (name, entry["dtype"])
        begin, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, metadata


def compare(tensors, source):
    assert set(tensors) == set(EXPECTED), f"{source}: names {sorted(tensors)} != {sorted(EXPECTED)}"
    for name, want in EXPECTED.items():
        got = tensors[name]
        assert got.shape == want.shape, f"{source}: {name} shape {got.shape} != {want.shape}"
        assert got.dtype == want.dtype, f"{source}: {name} dtype {got.dtype} != {want.dtype}"
        assert np.array_equal(got, want), f"{source}: {name} values {got} != {want}"


def check(path):
    tensors, metadata = parse_with_numpy(path)
    compare(tensors, "numpy parser")
    assert metadata == EXPECTED_METADATA, f"metadata {metadata}"
    compare(load_file(path), "safetensors.numpy.load_file")
    with safe_open(path, framework="numpy") as f:
        assert f.metadata() == EXPECTED_METADATA, f"safe_open metadata {f.metadata()}"
    print(f"{path}: {len(tensors)} tensors and metadata read back by numpy and safetensors")


def write(path):
    save_file({
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5,
        "f64": np.array([1e-3, -2.5], dtype=np.float64),
        "f16": np.array([0.5, -1.25, 65504], dtype=np.float16),
        "i64": np.array([[-3], [9]], dtype=np.int64),
        "u8": np.array([0, 128, 255], dtype=np.uint8),
    }, path, metadata={"written_by": "safetensors.numpy"})


if __name__ == "__main__":
    {"check": check, "write": write}[sys.argv[1]](sys.argv[2])
