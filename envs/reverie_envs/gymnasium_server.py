"""Serve any Gymnasium environment over ZeroMQ with the Reverie protocol
(envs/PROTOCOL.md), so Reverie agents train on it as on a built-in env.

    python envs/gymnasium_server.py CartPole-v1 --num-envs 8 --bind tcp://127.0.0.1:5555
    python envs/gymnasium_server.py my_package.envs:Maze-v0     # imports my_package.envs first
    python envs/gymnasium_server.py Maze-v0 --wrapper my_wrappers:shape --flatten --async --num-envs 8

N copies of the environment are stepped together per request, with same-step
autoreset. The server binds to loopback unless told otherwise, caps the
message size, answers every malformed request with an error reply and keeps
serving. ``--curve-secret-key FILE`` turns on CURVE encryption and ``--curve-allow DIR``
client authentication (see envs/README.md); a server other machines can reach
without CURVE says so loudly at start-up.
"""
import argparse
import collections
import ipaddress
import json
import os
import secrets
import signal
import sys

import gymnasium as gym
import numpy as np
import zmq
from zmq.auth.thread import ThreadAuthenticator

from . import wire
from .bridge_envs import MissingPackage, make_envs
from .wire import ProtocolError, is_int


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
        "Box, Discrete and one-dimensional MultiDiscrete spaces starting at 0. Serve a Dict or Tuple observation "
        "with --flatten (Gymnasium's FlattenObservation), or turn the space into one of those with "
        "--wrapper module:function.")


def peer_address(frames):
    """The sender's IP address (ZeroMQ's "Peer-Address" property of a received frame),
    or None when the transport has none (ipc, inproc: the peer is on this machine)."""
    try:
        return frames[0].get("Peer-Address") if frames else None
    except zmq.ZMQError:
        return None


def is_loopback(address):
    """True for None (ipc/inproc) and loopback IPs, IPv4-mapped IPv6 included."""
    if address is None:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or bool(getattr(ip, "ipv4_mapped", None) and ip.ipv4_mapped.is_loopback)


def binds_loopback_only(endpoint):
    """Whether a bind endpoint is reachable from this machine only (loopback TCP, ipc, inproc)."""
    transport, _, address = endpoint.partition("://")
    if transport in ("ipc", "inproc"):
        return True
    host = address.rsplit(":", 1)[0].strip("[]")
    return host == "localhost" or is_loopback(host)


class GymnasiumServer:
    """N Gymnasium envs behind a ROUTER socket; ``respond`` never raises."""

    RETRY_CLIENTS = 1024  # clients whose last step reply is kept for a retry; bounds memory under a flood of new ids
    ZAP_DOMAIN = "reverie"  # the authenticator checks the keys of this socket's domain

    def __init__(self, env_id, num_envs=1, bind="tcp://127.0.0.1:5555", max_message_bytes=64 << 20,
                 curve_secret_key=None, env_kwargs=None, curve_allow=None, allow_remote_close=False,
                 wrappers=(), frame_skip=1, flatten=False, workers=False):
        # Before any ZeroMQ context exists: worker processes are forked here.
        self.envs, self.env_id, self.can_render = make_envs(env_id, num_envs, env_kwargs or {}, wrappers, frame_skip,
                                                            flatten, workers)
        self.observation_space = self.envs[0].observation_space
        self.action_space = self.envs[0].action_space
        self.wire_spaces = (space_to_wire(self.observation_space, "observation"),
                            space_to_wire(self.action_space, "action"))
        self.max_message_bytes = max_message_bytes
        # An ipc or inproc socket has peers on this machine only (ZeroMQ's Peer-Address is no IP for them).
        self.allow_remote_close = allow_remote_close or bind.split("://", 1)[0] in ("ipc", "inproc")
        self.server_id = secrets.token_hex(8)  # a client that sees it change knows this process never reset its envs
        self.last_step = collections.OrderedDict()  # client key -> (seq, reply frames), least recently used first
        self.was_reset = False
        self.latest = [None] * num_envs  # each env's latest observation and info, repeated for an env a step leaves out
        self.closed = False
        self.context = zmq.Context.instance()
        self.authenticator = None
        if curve_allow:
            # ZAP (RFC 27): the handshake of a client whose public key is not in the directory fails with status 400.
            self.authenticator = ThreadAuthenticator(self.context)
            self.authenticator.start()
            self.authenticator.configure_curve(domain=self.ZAP_DOMAIN, location=curve_allow)
        self.socket = self.context.socket(zmq.ROUTER)
        # A frame up to 4× the cap still arrives, so its sender gets an error reply naming the size.
        self.socket.setsockopt(zmq.MAXMSGSIZE, 4 * max_message_bytes)
        self.socket.setsockopt(zmq.ROUTER_HANDOVER, 1)  # a reconnecting client keeps its routing id
        self.socket.setsockopt(zmq.LINGER, 0)
        if curve_secret_key:
            self.socket.curve_server = True
            self.socket.curve_secretkey = curve_secret_key
            self.socket.zap_domain = self.ZAP_DOMAIN.encode()
        self.socket.bind(bind)

    def serve(self, should_stop=lambda: False, poll_ms=100):
        while not self.closed and not should_stop():
            if not self.socket.poll(poll_ms):
                continue
            frames = self.socket.recv_multipart(copy=False)
            if len(frames) < 2:
                continue
            # ROUTER prefixes the sender's identity; a REQ peer adds an empty delimiter.
            cut = 2 if len(frames[1]) == 0 else 1
            payload = frames[cut:]
            self.socket.send_multipart(frames[:cut] + self.respond(payload, frames[0].bytes, peer_address(payload)))
        for env in self.envs:
            env.close()
        # The reply to `close` is still queued: give it time to leave (main terms the context, which waits).
        self.socket.close(linger=1000 if self.closed else 0)
        if self.authenticator:
            self.authenticator.stop()

    def respond(self, frames, identity=b"", peer=None):
        """The reply frames to one request from ``identity``, sent from ``peer`` (an IP address, or None
        for a peer on this machine by ipc/inproc). The header is read first, so that every error reply
        that can carry the request's ``seq`` does."""
        seq, version = None, wire.VERSION
        try:
            if not frames:
                raise ProtocolError("empty message")
            header = wire.decode_header(frames[0])
            seq = wire.read_seq(header)
            known_version = is_int(header.get("v")) and header["v"] in wire.VERSIONS  # 2.0 is not a version
            if known_version:
                version = header["v"]
            if seq is None:
                raise ProtocolError(f"'seq' must be an integer in 0…{wire.MAX_SEQ}, got {header.get('seq')!r}")
            if not known_version:
                raise ProtocolError(f"unsupported protocol version {header.get('v')!r}; this server speaks "
                                    f"{' and '.join(map(str, wire.VERSIONS))}")
            total = sum(len(f) for f in frames)
            if total > self.max_message_bytes:
                raise ProtocolError(f"message of {total} bytes exceeds this server's max_message_bytes "
                                    f"{self.max_message_bytes}")
            client = header.get("client")
            if client is not None and not (isinstance(client, str) and wire.CLIENT_ID.fullmatch(client)):
                raise ProtocolError("'client' must be 1–64 characters from A–Z a–z 0–9 _ -")
            arrays = wire.decode_arrays(header, frames[1:])
            command = header.get("cmd")
            if not isinstance(command, str):
                raise ProtocolError("'cmd' must be a string")
            key = ("client", client) if client is not None else ("routing id", identity)
            cached = self.last_step.get(key)
            if command == "step" and cached and cached[0] == seq:
                self.last_step.move_to_end(key)
                return cached[1]
            fields, out = self.handle(command, header, arrays, peer)
            reply = wire.encode({"v": version, "seq": seq, "server": self.server_id, **fields}, out)
            if command == "step":
                self.last_step[key] = (seq, reply)
                self.last_step.move_to_end(key)
                if len(self.last_step) > self.RETRY_CLIENTS:
                    self.last_step.popitem(last=False)
            return reply
        except Exception as error:  # every failure is a reply, never silence
            message = str(error) if isinstance(error, ProtocolError) else f"{type(error).__name__}: {error}"
            return wire.encode({"v": version, "seq": seq, "server": self.server_id, "error": message})

    def handle(self, command, header, arrays, peer=None):
        n = len(self.envs)
        if command == "spec":
            fps = self.envs[0].metadata.get("render_fps")
            return {"num_envs": n, "env_id": self.env_id, "observation_space": self.wire_spaces[0],
                    "action_space": self.wire_spaces[1], "render": self.can_render, "autoreset": "same-step",
                    "metadata": {"render_fps": fps} if isinstance(fps, (int, float)) else {},
                    "max_message_bytes": self.max_message_bytes, "active": True}, []
        if command == "reset":
            seed = header.get("seed")
            if seed is not None and (not is_int(seed) or not 0 <= seed <= wire.MAX_SEQ - n):
                raise ProtocolError(f"'seed' must be an integer in 0…{wire.MAX_SEQ - n} or null")
            self.latest = [env.reset(seed=None if seed is None else seed + i) for i, env in enumerate(self.envs)]
            self.was_reset = True
            return {}, [("observations", self.batch([o for o, _ in self.latest]))] + self.info_arrays()
        if command in ("step", "render") and not self.was_reset:
            # A client of a previous server process on this endpoint lands here: tell it why.
            raise ProtocolError(f"{command} before reset: this server (id {self.server_id}) has not reset its "
                                "environments since it started; send reset first")
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
            if not (self.allow_remote_close or is_loopback(peer)):
                raise ProtocolError(f"close refused: the request comes from {peer}, not from this machine "
                                    "(start the server with --allow-remote-close to allow it)")
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
        with np.errstate(over="ignore"):  # a float64 action beyond float32's range becomes inf, refused below
            batch = [int(a) if isinstance(space, gym.spaces.Discrete) else np.asarray(a, dtype=space.dtype)
                     for a in actions]
        active = arrays.get("active")
        if active is not None and (active.dtype != bool or active.shape != (n,)):
            raise ProtocolError(f"step: active must be bool of shape [{n}], got {active.dtype.name} {list(active.shape)}")
        for i, a in enumerate(batch):
            # Box.contains takes ±inf when the bounds are infinite; no env is meant to be stepped with it.
            if isinstance(space, gym.spaces.Box) and not np.all(np.isfinite(a)):
                raise ProtocolError(f"step: action {a.tolist()} of env {i} is not finite")
            if not space.contains(a):
                raise ProtocolError(f"step: action {np.asarray(a).tolist()} of env {i} is not in {space}")
        rewards = np.zeros(n, np.float32)
        terminated, truncated = np.zeros(n, bool), np.zeros(n, bool)
        finals, final_indices = [], []
        stepped = [i for i in range(n) if active is None or active[i]]
        for i in stepped:  # all sent before any is received: envs in worker processes step together
            self.envs[i].send_step(batch[i])
        for i in stepped:
            observation, rewards[i], terminated[i], truncated[i], info, final = self.envs[i].receive_step()
            if final is not None:
                finals.append(final)
                final_indices.append(i)
            self.latest[i] = (observation, info)
        # An env left out stays as it was: reward 0, not ended.
        observations = [observation for observation, _ in self.latest]
        empty = np.zeros((0,) + self.observation_space.shape, self.observation_space.dtype)
        return {"final_indices": final_indices}, [
            ("observations", self.batch(observations)), ("rewards", rewards),
            ("terminated", terminated), ("truncated", truncated),
            ("final_observations", self.batch(finals) if finals else empty)] + self.info_arrays()

    def info_arrays(self):
        """``info.<key>`` (N) float64 for each key whose value is a real number in every env's latest info
        (ALE's ``lives``, ``episode_frame_number``), in key order."""
        infos = [info for _, info in self.latest]
        def number(value):
            return isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)) and np.isfinite(float(value))
        keys = sorted(k for k in infos[0] if isinstance(k, str) and all(number(info.get(k)) for info in infos))
        return [(f"info.{k}", np.array([float(info[k]) for info in infos], np.float64)) for k in keys]

    def batch(self, observations):
        """(K, *obs) in the observation space's dtype, refusing observations of the wrong shape."""
        space = self.observation_space
        out = np.stack([np.asarray(o, dtype=space.dtype) for o in observations])
        if out.shape[1:] != tuple(space.shape):
            raise ProtocolError(f"{self.env_id} returned observations of shape {list(out.shape[1:])}, "
                                f"its observation space {space} has {list(space.shape)}")
        return out


def exposure_warnings(bind, curve, curve_allow):
    """What start-up must say loudly about who can use this server (envs/PROTOCOL.md, Encryption)."""
    if not curve and not binds_loopback_only(bind):
        return [f"""WARNING: serving on {bind}, which other machines may reach, WITHOUT CURVE.
WARNING: anyone who can connect can read observations, step, reset and render the environments,
WARNING: and nothing is encrypted. To require a key: make a certificate pair
WARNING:   python -c "import zmq.auth; zmq.auth.create_certificates('.', 'server')"
WARNING: and start with --curve-secret-key server.key_secret (clients pass server.key),
WARNING: plus --curve-allow DIR to serve only the clients whose NAME.key files are in DIR.
WARNING: To serve this machine only, bind tcp://127.0.0.1:PORT."""]
    if curve and not curve_allow:
        return ["WARNING: CURVE without --curve-allow: traffic is encrypted, but any client that knows the server's "
                "public key is served (its own key is not checked). Add --curve-allow DIR to authenticate clients."]
    return []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("env_id", help="Gymnasium env id, or module:Env-v0 to import module first")
    parser.add_argument("--num-envs", type=int, default=1, help="copies stepped per request (default 1)")
    parser.add_argument("--bind", default="tcp://127.0.0.1:5555", help="ZeroMQ endpoint (default loopback:5555)")
    parser.add_argument("--max-message-bytes", type=int, default=64 << 20, help="largest request accepted")
    parser.add_argument("--curve-secret-key", metavar="FILE",
                        help="the server's CURVE secret key: a ZeroMQ certificate (NAME.key_secret) "
                             "or a file holding the bare 40-character Z85 key; enables encryption")
    parser.add_argument("--curve-allow", metavar="DIR",
                        help="serve only clients whose CURVE public key is in one of DIR's *.key files")
    parser.add_argument("--allow-remote-close", action="store_true",
                        help="obey close from peers on other machines too (by default only local peers may close)")
    parser.add_argument("--parent-pid", type=int, metavar="PID",
                        help="exit when process PID ends (a client that started this server, as reverie train does "
                             "for gymnasium:… envs); Ctrl-C is then left to the parent")
    parser.add_argument("--kwargs", default="{}", help='JSON object of keyword arguments for gym.make, e.g. \'{"g": 9.81}\'')
    parser.add_argument("--frame-skip", type=int, default=1, metavar="K",
                        help="repeat each action K times, summing rewards, up to an episode's end (default 1)")
    parser.add_argument("--wrapper", action="append", default=[], metavar="MODULE:FUNCTION",
                        help="apply FUNCTION(env) -> env to each env, after the frame skip; repeatable, in order "
                             "(the module is imported from the working directory or PYTHONPATH)")
    parser.add_argument("--flatten", action="store_true",
                        help="serve a Dict or Tuple observation space flattened to one Box (Gymnasium's "
                             "FlattenObservation), after the wrappers")
    parser.add_argument("--async", dest="workers", action="store_true",
                        help="step each env in a worker process of its own, all at once (as Gymnasium's "
                             "AsyncVectorEnv): for envs whose step costs more than a message")
    args = parser.parse_args(argv)
    if args.num_envs < 1:
        parser.error("--num-envs must be at least 1")
    if args.frame_skip < 1:
        parser.error("--frame-skip must be at least 1")
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
        try:
            secret = wire.read_key(args.curve_secret_key, "secret")
        except (OSError, ValueError) as error:
            parser.error(f"--curve-secret-key: {error}")
    if args.curve_allow:
        if not secret:
            parser.error("--curve-allow needs --curve-secret-key: clients are authenticated by the CURVE handshake")
        if not os.path.isdir(args.curve_allow):
            parser.error(f"--curve-allow: {args.curve_allow} is not a directory")
    try:
        server = GymnasiumServer(args.env_id, args.num_envs, args.bind, args.max_message_bytes, secret, kwargs,
                                 args.curve_allow, args.allow_remote_close, args.wrapper, args.frame_skip, args.flatten,
                                 args.workers)
    except (gym.error.Error, MissingPackage, RuntimeError) as error:  # RuntimeError: an env failed in its worker
        raise SystemExit(f"gymnasium_server: {error}")
    except zmq.ZMQError as error:
        raise SystemExit(f"gymnasium_server: cannot bind {args.bind}: {error}")
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    # Started by a client: the terminal's Ctrl-C reaches this process too, but the client decides when to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN if args.parent_pid else lambda *_: stop.append(1))
    # A parent may have started us with these blocked (the mask is inherited): stop must still work.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    print(f"serving {server.env_id} ×{args.num_envs} on {args.bind} (server id {server.server_id})",
          file=sys.stderr, flush=True)
    for warning in exposure_warnings(args.bind, secret, args.curve_allow):
        print(warning, file=sys.stderr, flush=True)
    def parent_gone():
        return args.parent_pid is not None and os.getppid() != args.parent_pid
    server.serve(should_stop=lambda: bool(stop) or parent_gone())
    if stop:
        print("stopped by signal", file=sys.stderr)
    else:
        server.context.term()


if __name__ == "__main__":
    main()
