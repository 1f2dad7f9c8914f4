"""A Python client for the Reverie remote-environment protocol (envs/PROTOCOL.md):
step a Reverie server (``reverie serve``) or the Gymnasium bridge from Python.

    from reverie_envs import RemoteVectorEnv
    env = RemoteVectorEnv("tcp://127.0.0.1:5555")
    obs = env.reset(seed=0)                       # (N, *obs_shape)
    step = env.step(np.zeros(env.num_envs, np.int64))
    step.observations, step.rewards, step.terminated, step.truncated, step.final_observations
    step.infos["lives"]                           # (N,) float64: each numeric info key the server sends
    env.step(actions, active=[True, False, ...])  # only those envs step, where the server offers it

Lazy Pirate: each reply is awaited at most ``timeout_ms``; then the socket is
closed, reopened and the request resent with the same ``client`` id and
``seq`` (the server does not step twice), at most ``retries`` times, then
``ServerUnreachable`` names the endpoint. A late reply to an earlier attempt
is dropped. A failed security handshake (CURVE keys) is ``HandshakeFailed``
at once, since resending cannot help. A server that restarted (its ``server``
id changed) is reset, and the episodes it interrupted end as truncated.
"""
import errno
import math
import os
import secrets
import time
import weakref
from dataclasses import dataclass, field

import numpy as np
import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

from . import wire

HANDSHAKE_EVENTS = (zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED)
HANDSHAKE_GRACE_S = 0.3  # ZeroMQ reconnects by itself; a handshake that succeeds this soon after a failure clears it


class ServerUnreachable(Exception):
    pass


class HandshakeFailed(ServerUnreachable):
    """The server refused the connection during the ZeroMQ handshake (CURVE keys, or CURVE on one side only)."""


class ServerError(Exception):
    """An error reply from the server."""


class ServerRestarted(ServerError):
    """A reply from a new server process on the endpoint (its ``server`` id changed since the
    last spec or reset): its environments have not been reset."""


@dataclass
class VectorStep:
    observations: np.ndarray        # (N, *obs), first observation of a new episode where one ended
    rewards: np.ndarray             # (N,) float32
    terminated: np.ndarray          # (N,) bool
    truncated: np.ndarray           # (N,) bool
    final_observations: dict        # env index -> last observation of its ended episode
    infos: dict = field(default_factory=dict)  # info key -> (N,) float64, as of each env's latest observation


def close_monitored(socket, monitor):
    """Stops the monitor before closing it and its socket: libzmq's I/O thread sends events to the
    monitor blocking, so a monitor closed first could stall every socket of the context."""
    socket.disable_monitor()
    monitor.close()
    socket.close()


def curve_keys(server_key, client_key):
    """``(server public, client public, client secret)`` as Z85 bytes, or None without CURVE.
    ``server_key`` is the Z85 key or a file holding it (``NAME.key``); ``client_key`` a
    ``NAME.key_secret`` certificate, else the client uses a fresh key pair."""
    if not server_key:
        if client_key:
            raise ValueError("curve_client_key needs curve_server_key: CURVE authenticates both sides")
        return None
    if len(server_key) == 40 and not os.path.isfile(server_key):
        server_public = server_key.encode()
    else:
        server_public = wire.read_key(server_key, "public")
    if client_key:
        public, secret = zmq.auth.load_certificate(client_key)
        if not secret:
            raise ValueError(f"{client_key} holds no secret key: pass the NAME.key_secret certificate")
    else:
        public, secret = zmq.curve_keypair()
    return server_public, public, secret


class Connection:
    def __init__(self, endpoint, timeout_ms=5000, retries=2, curve_server_key=None, curve_client_key=None):
        self.endpoint = endpoint.replace("zmq://", "tcp://", 1)
        self.timeout_ms, self.retries = timeout_ms, retries
        self.curve = curve_keys(curve_server_key, curve_client_key)
        self.identity = bytes([1 + os.urandom(1)[0] % 255]) + os.urandom(15)  # must not start with 0
        self.client = secrets.token_hex(8)  # the server matches retries by it, whatever socket carries them
        self.seq = 0
        self.server = None  # id of the server process of the last spec or reset reply
        self.max_message_bytes = None  # the server's, from its spec
        self.socket, self.monitor = self._connect()

    def _connect(self):
        # DEALER, not REQ: a late reply to an earlier attempt can then be read and dropped.
        socket = zmq.Context.instance().socket(zmq.DEALER)
        socket.setsockopt(zmq.ROUTING_ID, self.identity)
        socket.setsockopt(zmq.LINGER, 0)
        if self.curve:
            socket.curve_serverkey, socket.curve_publickey, socket.curve_secretkey = self.curve
        # A fresh address: pyzmq's default names the monitor after the socket's file descriptor, which
        # a new socket reuses while the old monitor may not have been torn down yet.
        monitor = socket.get_monitor_socket(HANDSHAKE_EVENTS, f"inproc://reverie-monitor-{secrets.token_hex(8)}")
        socket.connect(self.endpoint)
        # Closes both in that order when the connection is closed or garbage-collected (the finalizer
        # holds them, so garbage collection cannot close the monitor first).
        self._close_sockets = weakref.finalize(self, close_monitored, socket, monitor)
        return socket, monitor

    def _reconnect(self):
        self.close()
        self.socket, self.monitor = self._connect()

    def request(self, command, fields=None, arrays=()):
        frames = wire.encode({"v": wire.VERSION, "cmd": command, "seq": self.seq + 1, "client": self.client,
                              **(fields or {})}, arrays)
        size = sum(len(f) for f in frames)
        if self.max_message_bytes is not None and size > self.max_message_bytes:
            raise ValueError(f"{command} request of {size} bytes exceeds the max_message_bytes "
                             f"({self.max_message_bytes}) of {self.endpoint}; the server would refuse it")
        self.seq += 1
        header, arrays = self._exchange(frames)
        server = header.get("server")
        if self.server is not None and server != self.server and command not in ("spec", "reset"):
            raise ServerRestarted(f"{self.endpoint} restarted (server id {self.server}, now {server}): "
                                  "its environments have not been reset")
        if "error" in header:
            raise ServerError(f"{self.endpoint}: {header['error']}")
        if command in ("spec", "reset") or self.server is None:
            self.server = server
        return header, arrays

    def _exchange(self, frames):
        """The reply to ``frames`` (request ``self.seq``), resending on a fresh socket after each timeout."""
        for attempt in range(self.retries + 1):
            if attempt > 0:
                self._reconnect()
            self.socket.send_multipart([b""] + frames)
            reply = self._await_reply()
            if reply is not None:
                return reply
        self._reconnect()  # a restarted server is picked up by the next request
        raise ServerUnreachable(f"no reply from {self.endpoint} after {self.retries + 1} attempts "
                                f"of {self.timeout_ms} ms; is the server running?")

    def _await_reply(self):
        """The reply to request ``self.seq``, or None after ``timeout_ms``. Replies to other requests
        (late answers to an earlier attempt) are dropped; a failed handshake raises HandshakeFailed."""
        deadline = time.monotonic() + self.timeout_ms / 1000
        poller = zmq.Poller()
        poller.register(self.socket, zmq.POLLIN)
        poller.register(self.monitor, zmq.POLLIN)
        handshake_done, failure, failed_at = False, None, None
        while True:
            now = time.monotonic()
            until = deadline if failure is None else min(deadline, failed_at + HANDSHAKE_GRACE_S)
            if now >= until:
                break
            try:
                ready = dict(poller.poll(math.ceil((until - now) * 1000)))
            except zmq.ZMQError as error:
                if error.errno == errno.EINTR:
                    continue  # a signal is not a timeout (one that should stop us raised in its handler)
                raise
            if self.monitor in ready:
                event = recv_monitor_message(self.monitor)
                if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                    handshake_done, failure = True, None
                elif event["event"] == zmq.EVENT_DISCONNECTED and handshake_done:
                    handshake_done = False  # the server went away after a good handshake: an ordinary timeout
                elif failure is None:
                    failure, failed_at = self._handshake_failure(event), time.monotonic()
            if self.socket in ready:
                frames = self.socket.recv_multipart()
                header, arrays = wire.decode(frames[1:] if frames and not frames[0] else frames)
                seq = header.get("seq")
                # seq null: the server could not read our seq, so this error is about the pending request.
                if seq == self.seq or (seq is None and "error" in header):
                    return header, arrays
        if failure is not None:
            self._reconnect()
            raise HandshakeFailed(failure)
        return None

    def _handshake_failure(self, event):
        if event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            return (f"the CURVE handshake with {self.endpoint} failed: the server refused this client's key "
                    f"(not in its allow-list; ZAP status {event['value']})")
        if self.curve:
            return (f"the CURVE handshake with {self.endpoint} failed: is curve_server_key the server's public key, "
                    "and does the server use CURVE?")
        return (f"the handshake with {self.endpoint} failed: does the server use CURVE? "
                "Then pass its public key as curve_server_key")

    def close(self):
        self._close_sockets()


def infos_of(arrays):
    """The ``info.<key>`` arrays of a reply, by key."""
    return {name[len("info."):]: values for name, values in arrays.items() if name.startswith("info.")}


class RemoteVectorEnv:
    """One server's N environments (same-step autoreset, as the server does it)."""

    def __init__(self, endpoint, timeout_ms=5000, retries=2, curve_server_key=None, curve_client_key=None):
        self.connection = Connection(endpoint, timeout_ms, retries, curve_server_key, curve_client_key)
        self.spec, _ = self.connection.request("spec")
        self.connection.max_message_bytes = self.spec.get("max_message_bytes")
        self.num_envs = self.spec["num_envs"]
        self.observation_space, self.action_space = self.spec["observation_space"], self.spec["action_space"]
        self.observations = None  # the last ones returned: the final observations if a server restart cuts episodes
        self.interrupted_episodes = 0  # episodes ended (as truncated) by server restarts

    @property
    def steps_subsets(self):
        """Whether the server honours ``step(actions, active=...)`` (its spec says ``"active": true``)."""
        return self.spec.get("active") is True

    def reset(self, seed=None):
        """The N first observations; ``self.infos`` holds the numeric infos the reset returned."""
        arrays = self.connection.request("reset", {"seed": seed})[1]
        self.observations, self.infos = arrays["observations"], infos_of(arrays)
        return self.observations

    def step(self, actions, active=None):
        """Steps every env, or with ``active`` (N bools) only those: the others repeat their
        observation with reward 0. A server that does not offer it is refused here, since it
        would step every env."""
        space = self.action_space
        dtype = np.float32 if space["type"] == "box" else np.int64
        arrays = [("actions", np.asarray(actions, dtype=dtype))]
        if active is not None:
            if not self.steps_subsets:
                raise ValueError("this server does not step a subset of its envs (its spec has no \"active\": true)")
            active = np.asarray(active)
            if active.dtype != bool or active.shape != (self.num_envs,):
                raise ValueError(f"active must be {self.num_envs} bools, got {active.dtype} of shape {active.shape}")
            arrays.append(("active", active))
        try:
            header, arrays = self.connection.request("step", arrays=arrays)
        except ServerRestarted:
            if self.observations is None:
                raise
            return self._restarted()
        finals = dict(zip(header["final_indices"], arrays["final_observations"]))
        self.observations = arrays["observations"]
        return VectorStep(arrays["observations"], arrays["rewards"], arrays["terminated"], arrays["truncated"], finals,
                          infos_of(arrays))

    def _restarted(self):
        """The step after a server restart: the new process's envs are reset (unseeded) and the episodes
        this client was in end as truncated, never terminated, with the last observations it had as finals."""
        last, n = self.observations, self.num_envs
        observations = self.reset(seed=None)
        self.interrupted_episodes += n
        return VectorStep(observations, np.zeros(n, np.float32), np.zeros(n, bool), np.ones(n, bool),
                          {i: last[i] for i in range(n)})

    def render(self, index=0):
        return self.connection.request("render", {"index": index})[1]["frame"]

    def disconnect(self):
        """Drops the connection and leaves the server serving (for servers of one's own)."""
        self.connection.close()

    def close(self):
        """Asks the server to close (it then exits), then drops the connection."""
        try:
            self.connection.request("close")
        except (ServerUnreachable, ServerError):
            pass
        self.connection.close()
