"""Message codec of the Reverie remote-environment protocol, version 1
(envs/PROTOCOL.md), shared by the Gymnasium bridge and the Python client.

A message is a list of ZeroMQ frames: a UTF-8 JSON header, then one raw
little-endian, C-order frame per array the header's ``arrays`` list describes.
"""
import json
import math

import numpy as np

VERSION = 1
MAX_HEADER_BYTES = 65_536
DTYPES = {name: np.dtype(name).newbyteorder("<")
          for name in ("float32", "float64", "int64", "int32", "uint8", "bool")}


class ProtocolError(Exception):
    """A message that breaks envs/PROTOCOL.md (the text goes into the error reply)."""


def encode(header, arrays=()):
    """Frames for ``header`` and named arrays ``[(name, ndarray), …]``."""
    header = dict(header)
    frames = []
    if arrays:
        header["arrays"] = []
        for name, array in arrays:
            array = np.asarray(array)
            dtype = wire_dtype(array.dtype)
            header["arrays"].append({"name": name, "dtype": dtype, "shape": list(array.shape)})
            frames.append(np.ascontiguousarray(array, dtype=DTYPES[dtype]).tobytes())
    return [json.dumps(header, separators=(",", ":")).encode()] + frames


def decode(frames):
    """``(header, {name: ndarray})`` from frames, checking every rule of the header."""
    if not frames:
        raise ProtocolError("empty message")
    if len(frames[0]) > MAX_HEADER_BYTES:
        raise ProtocolError(f"header of {len(frames[0])} bytes exceeds {MAX_HEADER_BYTES}")
    try:
        header = json.loads(bytes(frames[0]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError("header is not a JSON object") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    descriptors = header.get("arrays", [])
    if not isinstance(descriptors, list):
        raise ProtocolError("'arrays' must be a list")
    if len(descriptors) != len(frames) - 1:
        raise ProtocolError(f"header describes {len(descriptors)} arrays but {len(frames) - 1} array frames follow")
    arrays = {}
    for descriptor, frame in zip(descriptors, frames[1:]):
        if not (isinstance(descriptor, dict) and isinstance(descriptor.get("name"), str)
                and isinstance(descriptor.get("dtype"), str) and isinstance(descriptor.get("shape"), list)
                and all(is_int(n) for n in descriptor["shape"])):
            raise ProtocolError(f'array descriptor must be {{"name", "dtype", "shape"}}, got {descriptor}')
        name, shape = descriptor["name"], descriptor["shape"]
        if descriptor["dtype"] not in DTYPES:
            raise ProtocolError(f"array '{name}': unknown dtype '{descriptor['dtype']}'")
        if len(shape) > 8 or any(n < 0 for n in shape):
            raise ProtocolError(f"array '{name}': bad shape {shape}")
        dtype = DTYPES[descriptor["dtype"]]
        needed = math.prod(shape) * dtype.itemsize
        if needed != len(frame):
            raise ProtocolError(f"array '{name}': shape {shape} of {dtype.name} needs {needed} bytes, frame has {len(frame)}")
        arrays[name] = np.frombuffer(frame, dtype=dtype).reshape(shape)
    return header, arrays


def is_int(x):
    """A JSON integer (``True`` is not one)."""
    return isinstance(x, int) and not isinstance(x, bool)


def wire_dtype(dtype):
    """The protocol's name for a numpy dtype, or a ProtocolError."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "bool"
    if dtype.name not in DTYPES:
        raise ProtocolError(f"dtype {dtype} has no wire encoding ({', '.join(DTYPES)})")
    return dtype.name


def encode_bound(values):
    """A Box bound: one number if all equal, else a flat list; infinities as strings."""
    flat = [number(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]
    return flat[0] if flat and all(v == flat[0] for v in flat) else flat


def number(x):
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x
