"""A Python client for the Reverie remote-environment protocol (envs/PROTOCOL.md):
step a Reverie server (``reverie serve``) or the Gymnasium bridge from Python.

    from reverie_client import RemoteVectorEnv
    env = RemoteVectorEnv("tcp://127.0.0.1:5555")
    obs = env.reset(seed=0)                       # (N, *obs_shape)
    step = env.step(np.zeros(env.num_envs, np.int64))
    step.observations, step.rewards, step.terminated, step.truncated, step.final_observations

Lazy Pirate: each reply is awaited at most ``timeout_ms``; then the socket is
closed, reopened with the same routing id and the request resent with the
same ``seq`` (the server does not step twice), at most ``retries`` times, then
``ServerUnreachable`` names the endpoint.
"""
import os
from dataclasses import dataclass

import numpy as np
import zmq

import wire


class ServerUnreachable(Exception):
    pass


class ServerError(Exception):
    """An error reply from the server."""


@dataclass
class VectorStep:
    observations: np.ndarray        # (N, *obs), first observation of a new episode where one ended
    rewards: np.ndarray             # (N,) float32
    terminated: np.ndarray          # (N,) bool
    truncated: np.ndarray           # (N,) bool
    final_observations: dict        # env index -> last observation of its ended episode


class Connection:
    def __init__(self, endpoint, timeout_ms=5000, retries=2, curve_server_key=None):
        self.endpoint = endpoint.replace("zmq://", "tcp://", 1)
        self.timeout_ms, self.retries, self.curve_server_key = timeout_ms, retries, curve_server_key
        self.identity = bytes([1 + os.urandom(1)[0] % 255]) + os.urandom(15)  # must not start with 0
        self.seq = 0
        self.socket = self._connect()

    def _connect(self):
        socket = zmq.Context.instance().socket(zmq.REQ)
        socket.setsockopt(zmq.ROUTING_ID, self.identity)
        socket.setsockopt(zmq.LINGER, 0)
        if self.curve_server_key:
            public, secret = zmq.curve_keypair()
            socket.curve_serverkey = self.curve_server_key.encode()
            socket.curve_publickey, socket.curve_secretkey = public, secret
        socket.connect(self.endpoint)
        return socket

    def request(self, command, fields=None, arrays=()):
        self.seq += 1
        frames = wire.encode({"v": wire.VERSION, "cmd": command, "seq": self.seq, **(fields or {})}, arrays)
        self.socket.send_multipart(frames)
        for attempt in range(self.retries + 1):
            if attempt > 0:
                self.socket.close()
                self.socket = self._connect()
                self.socket.send_multipart(frames)
            if self.socket.poll(self.timeout_ms):
                header, arrays = wire.decode(self.socket.recv_multipart())
                if "error" in header:
                    raise ServerError(f"{self.endpoint}: {header['error']}")
                if header.get("seq") != self.seq:
                    raise ServerError(f"{self.endpoint}: reply for seq {header.get('seq')}, expected {self.seq}")
                return header, arrays
        self.socket.close()
        self.socket = self._connect()  # a restarted server is picked up by the next request
        raise ServerUnreachable(f"no reply from {self.endpoint} after {self.retries + 1} attempts "
                                f"of {self.timeout_ms} ms; is the server running?")

    def close(self):
        self.socket.close()


class RemoteVectorEnv:
    """One server's N environments (same-step autoreset, as the server does it)."""

    def __init__(self, endpoint, timeout_ms=5000, retries=2, curve_server_key=None):
        self.connection = Connection(endpoint, timeout_ms, retries, curve_server_key)
        self.spec, _ = self.connection.request("spec")
        self.num_envs = self.spec["num_envs"]
        self.observation_space, self.action_space = self.spec["observation_space"], self.spec["action_space"]

    def reset(self, seed=None):
        return self.connection.request("reset", {"seed": seed})[1]["observations"]

    def step(self, actions):
        space = self.action_space
        dtype = np.float32 if space["type"] == "box" else np.int64
        header, arrays = self.connection.request("step", arrays=[("actions", np.asarray(actions, dtype=dtype))])
        finals = dict(zip(header["final_indices"], arrays["final_observations"]))
        return VectorStep(arrays["observations"], arrays["rewards"], arrays["terminated"], arrays["truncated"], finals)

    def render(self, index=0):
        return self.connection.request("render", {"index": index})[1]["frame"]

    def close(self):
        """Asks the server to close (it then exits), then drops the connection."""
        try:
            self.connection.request("close")
        except (ServerUnreachable, ServerError):
            pass
        self.connection.close()
