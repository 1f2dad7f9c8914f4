"""Message codec of the Reverie remote-environment protocol, version 2
(envs/PROTOCOL.md), shared by the Gymnasium bridge and the Python client.

A message is a list of ZeroMQ frames: a UTF-8 JSON header, then one raw
little-endian, C-order frame per array the header's ``arrays`` list describes.
"""
import json
import math
import re

import numpy as np
import zmq.auth

VERSION = 2
VERSIONS = (1, 2)  # a version-2 server still answers version-1 requests
MAX_HEADER_BYTES = 65_536
MAX_SEQ = 2**63 - 1  # seq, seed and index must fit a signed 64-bit integer in every implementation
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
    header = decode_header(frames[0])
    return header, decode_arrays(header, frames[1:])


def decode_header(frame):
    """The header frame as a dict. Split from the arrays so a server can read ``seq``
    (and answer with it) before it judges the rest of the message."""
    if len(frame) > MAX_HEADER_BYTES:
        raise ProtocolError(f"header of {len(frame)} bytes exceeds {MAX_HEADER_BYTES}")
    try:
        header = json.loads(bytes(frame).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ProtocolError("header is not a JSON object") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not a JSON object")
    return header


def decode_arrays(header, frames):
    """``{name: ndarray}`` for the array frames that follow ``header``, viewing (not copying) them."""
    descriptors = header.get("arrays", [])
    if not isinstance(descriptors, list):
        raise ProtocolError("'arrays' must be a list")
    if len(descriptors) != len(frames):
        raise ProtocolError(f"header describes {len(descriptors)} arrays but {len(frames)} array frames follow")
    arrays = {}
    for descriptor, frame in zip(descriptors, frames):
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
        needed = math.prod(shape) * dtype.itemsize  # Python integers: a huge shape cannot wrap around
        if needed != len(frame):
            raise ProtocolError(f"array '{name}': shape {shape} of {dtype.name} needs {needed} bytes, frame has {len(frame)}")
        arrays[name] = np.frombuffer(frame, dtype=dtype).reshape(shape)
    return arrays


def read_seq(header):
    """The header's ``seq`` if it is an integer in 0…2⁶³−1, else None."""
    seq = header.get("seq")
    return seq if is_int(seq) and 0 <= seq <= MAX_SEQ else None


def read_key(path, part):
    """The Z85 ``part`` key ("public" or "secret", as bytes) from a file in ZeroMQ's
    certificate format (``zmq.auth.create_certificates``, ``reverie keys``: ``NAME.key``
    holds the public key, ``NAME.key_secret`` both), or from a file holding the bare
    40-character key; ValueError names the file otherwise."""
    with open(path, "rb") as f:
        text = f.read()
    if b"public-key" in text:
        public, secret = zmq.auth.load_certificate(path)
        key = public if part == "public" else secret
        if not key or len(key) != 40:
            raise ValueError(f"{path} holds no 40-character {part} key (a secret key is in NAME.key_secret)")
        return key
    key = text.strip()
    if len(key) != 40:
        raise ValueError(f"{path} holds neither a ZeroMQ certificate nor a 40-character Z85 key")
    return key


def is_int(x):
    """A JSON integer (``True`` is not one)."""
    return isinstance(x, int) and not isinstance(x, bool)


# Dtypes the protocol does not name, carried exactly by a wider one it does.
CARRIERS = {"int8": "int32", "int16": "int32", "uint16": "int32", "uint32": "int64", "float16": "float32"}


def wire_dtype(dtype):
    """The protocol's name for a numpy dtype: its own, or the wider one that
    carries its values exactly (``CARRIERS``); a ProtocolError for any other."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "bool"
    if dtype.name in DTYPES:
        return dtype.name
    if dtype.name in CARRIERS:
        return CARRIERS[dtype.name]
    raise ProtocolError(f"dtype {dtype} has no wire encoding ({', '.join(list(DTYPES) + list(CARRIERS))})")


def encode_bound(values):
    """A Box bound: one number if all equal, else a flat list; infinities as strings."""
    flat = [number(float(v)) for v in np.asarray(values, dtype=np.float64).ravel()]
    return flat[0] if flat and all(v == flat[0] for v in flat) else flat


def number(x):
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x
