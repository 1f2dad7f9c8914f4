#!/usr/bin/env python3
"""Serve any Gymnasium environment over ZeroMQ with the Reverie protocol
(envs/PROTOCOL.md), so Reverie agents train on it as on a built-in env.

    python envs/gymnasium_server.py CartPole-v1 --num-envs 8 --bind tcp://127.0.0.1:5555
    python envs/gymnasium_server.py my_package.envs:Maze-v0     # imports my_package.envs first

N copies of the environment are stepped together per request, with same-step
autoreset. The server binds to loopback unless told otherwise, caps the
message size, answers every malformed request with an error reply and keeps
serving. ``--curve-secret-key FILE`` turns on CURVE encryption (see envs/README.md).
"""
import argparse
import importlib
import json
import signal
import sys

import gymnasium as gym
import numpy as np
import zmq

import wire
from wire import ProtocolError, is_int


def space_to_wire(space, role):
    """The protocol's JSON object for a Gymnasium space; SystemExit for one v1 cannot carry."""
    if isinstance(space, gym.spaces.Box):
        return {"type": "box", "dtype": wire.wire_dtype(space.dtype), "shape": list(space.shape),
                "low": wire.encode_bound(space.low), "high": wire.encode_bound(space.high)}
    if isinstance(space, gym.spaces.Discrete):
        return {"type": "discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, gym.spaces.MultiDiscrete) and space.nvec.ndim == 1 and not np.any(getattr(space, "start", 0)):
        return {"type": "multi_discrete", "nvec": [int(n) for n in space.nvec]}
    raise SystemExit(
        f"gymnasium_server: the {role} space {space} cannot be served by protocol v{wire.VERSION}, which carries "
        "Box, Discrete and one-dimensional MultiDiscrete spaces starting at 0. Flatten it first "
        "(gymnasium.wrappers.FlattenObservation for a Dict or Tuple observation) in a module of your own, "
        "and serve that module's env id as module:Env-v0.")


def make_envs(env_id, num_envs, kwargs):
    """N copies of ``env_id``; ``module:Env-v0`` imports ``module`` first (Gymnasium's convention)."""
    if ":" in env_id:
        module, env_id = env_id.split(":", 1)
        importlib.import_module(module)
    probe = gym.make(env_id, **kwargs)
    render = "rgb_array" in probe.metadata.get("render_modes", [])
    probe.close()
    return [gym.make(env_id, render_mode="rgb_array", **kwargs) if render else gym.make(env_id, **kwargs)
            for _ in range(num_envs)], env_id, render


class GymnasiumServer:
    """N Gymnasium envs behind a ROUTER socket; ``respond`` never raises."""

    def __init__(self, env_id, num_envs=1, bind="tcp://127.0.0.1:5555", max_message_bytes=64 << 20,
                 curve_secret_key=None, env_kwargs=None):
        self.envs, self.env_id, self.can_render = make_envs(env_id, num_envs, env_kwargs or {})
        self.observation_space = self.envs[0].observation_space
        self.action_space = self.envs[0].action_space
        self.wire_spaces = (space_to_wire(self.observation_space, "observation"),
                            space_to_wire(self.action_space, "action"))
        self.max_message_bytes = max_message_bytes
        self.last_step = {}  # client identity -> (seq, reply frames), resent for a retried step
        self.closed = False
        self.context = zmq.Context.instance()
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.setsockopt(zmq.MAXMSGSIZE, max_message_bytes)
        self.socket.setsockopt(zmq.ROUTER_HANDOVER, 1)  # a reconnecting client keeps its routing id
        self.socket.setsockopt(zmq.LINGER, 0)
        if curve_secret_key:
            self.socket.curve_server = True
            self.socket.curve_secretkey = curve_secret_key.encode()
        self.socket.bind(bind)

    def serve(self, should_stop=lambda: False, poll_ms=100):
        while not self.closed and not should_stop():
            if not self.socket.poll(poll_ms):
                continue
            frames = self.socket.recv_multipart(copy=True)
            if len(frames) < 2:
                continue
            # ROUTER prefixes the sender's identity; a REQ peer adds an empty delimiter.
            cut = 2 if len(frames[1]) == 0 else 1
            self.socket.send_multipart(frames[:cut] + self.respond(frames[cut:], frames[0]))
        for env in self.envs:
            env.close()
        self.socket.close()

    def respond(self, frames, identity=b""):
        seq = None
        try:
            total = sum(len(f) for f in frames)
            if total > self.max_message_bytes:
                raise ProtocolError(f"message of {total} bytes exceeds {self.max_message_bytes}")
            header, arrays = wire.decode(frames)
            seq = header.get("seq")
            if not is_int(seq) or seq < 0:
                seq = None
                raise ProtocolError("'seq' must be an integer ≥ 0")
            if header.get("v") != wire.VERSION or not is_int(header.get("v")):
                raise ProtocolError(f"unsupported protocol version {header.get('v')}; this server speaks {wire.VERSION}")
            command = header.get("cmd")
            if not isinstance(command, str):
                raise ProtocolError("'cmd' must be a string")
            cached = self.last_step.get(identity)
            if command == "step" and cached and cached[0] == seq:
                return cached[1]
            fields, out = self.handle(command, header, arrays)
            reply = wire.encode({"v": wire.VERSION, "seq": seq, **fields}, out)
            if command == "step":
                self.last_step[identity] = (seq, reply)
            return reply
        except Exception as error:  # every failure is a reply, never silence
            message = str(error) if isinstance(error, ProtocolError) else f"{type(error).__name__}: {error}"
            return wire.encode({"v": wire.VERSION, "seq": seq, "error": message})

    def handle(self, command, header, arrays):
        n = len(self.envs)
        if command == "spec":
            fps = self.envs[0].metadata.get("render_fps")
            return {"num_envs": n, "env_id": self.env_id, "observation_space": self.wire_spaces[0],
                    "action_space": self.wire_spaces[1], "render": self.can_render, "autoreset": "same-step",
                    "metadata": {"render_fps": fps} if isinstance(fps, (int, float)) else {}}, []
        if command == "reset":
            seed = header.get("seed")
            if seed is not None and (not is_int(seed) or seed < 0):
                raise ProtocolError("'seed' must be an integer ≥ 0 or null")
            observations = [env.reset(seed=None if seed is None else seed + i)[0] for i, env in enumerate(self.envs)]
            return {}, [("observations", self.batch(observations))]
        if command == "step":
            return self.step(arrays)
        if command == "render":
            index = header.get("index")
            if not is_int(index) or not 0 <= index < n:
                raise ProtocolError(f"render: 'index' must be an integer in 0..<{n}")
            if not self.can_render:
                raise ProtocolError(f"render: {self.env_id} cannot render rgb_array frames")
            frame = np.asarray(self.envs[index].render(), dtype=np.uint8)
            return {}, [("frame", frame)]
        if command == "close":
            self.closed = True
            return {}, []
        raise ProtocolError(f"unknown command '{command}' (spec, reset, step, render, close)")

    def step(self, arrays):
        n, space = len(self.envs), self.action_space
        if "actions" not in arrays:
            raise ProtocolError("step: missing array 'actions'")
        actions = arrays["actions"]
        expected = (n,) + tuple(space.shape or ())
        if actions.shape != expected:
            raise ProtocolError(f"step: actions has shape {list(actions.shape)}, expected {list(expected)}")
        discrete = isinstance(space, (gym.spaces.Discrete, gym.spaces.MultiDiscrete))
        allowed = ("int64", "int32") if discrete else ("float32", "float64")
        if actions.dtype.name not in allowed:
            raise ProtocolError(f"step: actions of {space} must be {' or '.join(allowed)}, got {actions.dtype.name}")
        # Every action is checked before any env moves, so a bad batch changes nothing.
        batch = [int(a) if isinstance(space, gym.spaces.Discrete) else np.asarray(a, dtype=space.dtype) for a in actions]
        for i, a in enumerate(batch):
            if not space.contains(a):
                raise ProtocolError(f"step: action {np.asarray(a).tolist()} of env {i} is not in {space}")
        observations, rewards = [], np.zeros(n, np.float32)
        terminated, truncated = np.zeros(n, bool), np.zeros(n, bool)
        finals, final_indices = [], []
        for i, (env, a) in enumerate(zip(self.envs, batch)):
            observation, reward, terminated[i], truncated[i], _ = env.step(a)
            rewards[i] = reward
            if terminated[i] or truncated[i]:
                finals.append(observation)
                final_indices.append(i)
                observation, _ = env.reset()
            observations.append(observation)
        empty = np.zeros((0,) + self.observation_space.shape, self.observation_space.dtype)
        return {"final_indices": final_indices}, [
            ("observations", self.batch(observations)), ("rewards", rewards),
            ("terminated", terminated), ("truncated", truncated),
            ("final_observations", self.batch(finals) if finals else empty)]

    def batch(self, observations):
        """(K, *obs) in the observation space's dtype, refusing observations of the wrong shape."""
        space = self.observation_space
        out = np.stack([np.asarray(o, dtype=space.dtype) for o in observations])
        if out.shape[1:] != tuple(space.shape):
            raise ProtocolError(f"{self.env_id} returned observations of shape {list(out.shape[1:])}, "
                                f"its observation space {space} has {list(space.shape)}")
        return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env_id", help="Gymnasium env id, or module:Env-v0 to import module first")
    parser.add_argument("--num-envs", type=int, default=1, help="copies stepped per request (default 1)")
    parser.add_argument("--bind", default="tcp://127.0.0.1:5555", help="ZeroMQ endpoint (default loopback:5555)")
    parser.add_argument("--max-message-bytes", type=int, default=64 << 20, help="largest request accepted")
    parser.add_argument("--curve-secret-key", metavar="FILE", help="file holding a Z85 CURVE secret key; enables encryption")
    parser.add_argument("--kwargs", default="{}", help='JSON object of keyword arguments for gym.make, e.g. \'{"g": 9.81}\'')
    args = parser.parse_args(argv)
    if args.num_envs < 1:
        parser.error("--num-envs must be at least 1")
    if args.max_message_bytes < 1024:
        parser.error("--max-message-bytes must be at least 1024")
    try:
        kwargs = json.loads(args.kwargs)
    except ValueError:
        kwargs = None
    if not isinstance(kwargs, dict):
        parser.error(f"--kwargs must be a JSON object, got {args.kwargs!r}")
    secret = None
    if args.curve_secret_key:
        secret = open(args.curve_secret_key).read().strip()
        if len(secret) != 40:
            parser.error(f"{args.curve_secret_key} must hold a 40-character Z85 secret key")
    try:
        server = GymnasiumServer(args.env_id, args.num_envs, args.bind, args.max_message_bytes, secret, kwargs)
    except gym.error.Error as error:
        raise SystemExit(f"gymnasium_server: {error}")
    except zmq.ZMQError as error:
        raise SystemExit(f"gymnasium_server: cannot bind {args.bind}: {error}")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    # A parent may have started us with these blocked (the mask is inherited): stop must still work.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    print(f"serving {server.env_id} ×{args.num_envs} on {args.bind}", file=sys.stderr, flush=True)
    server.serve(should_stop=lambda: bool(stop))
    if stop:
        print("stopped by signal", file=sys.stderr)


if __name__ == "__main__":
    main()
