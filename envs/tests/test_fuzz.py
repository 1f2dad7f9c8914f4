"""Seeded fuzzing of both servers (the Gymnasium bridge and `reverie serve`)
with ten thousand malformed, hostile and valid requests (envs/PROTOCOL.md,
"Errors a server must report"). Each is sent over a DEALER socket, so bursts
can be pipelined; the checks:

- every request gets a reply (a frame over 4 × max_message_bytes, which ZeroMQ
  itself refuses, is only sent at the end, on its own socket);
- a reply to a request whose header holds a readable integer seq carries it,
  errors included; every reply carries the same ``server`` id; an error reply
  has no arrays; a message over max_message_bytes is refused naming its size;
- every 500 requests a valid step is answered correctly;
- the server's resident memory grows by less than 8 MB after a warm-up.
"""
import json
import random
import time
from pathlib import Path

import numpy as np
import pytest
import zmq

CAP = 65_536  # --max-message-bytes: over-size frames stay cheap to send
MESSAGES = 10_000
CHECK_EVERY = 500
WARM_UP = 500
RSS_GROWTH_LIMIT = 8 << 20
REPLY_TIMEOUT_MS = 3000
MAX_SEQ = 2**63 - 1
MAY_SUCCEED = {"valid", "retries", "new_clients", "mutated", "odd_json", "deep_nesting", "actions", "seed_and_index",
               "descriptors", "probe"}  # the other kinds are malformed whatever the random choices
NUM_ENVS = 2  # CartPole-v1: 4 float32 observations, Discrete(2) actions
ACTIONS = {"name": "actions", "dtype": "int64", "shape": [NUM_ENVS]}


def j(value):
    return json.dumps(value, separators=(",", ":")).encode()


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def finite_float(text):
    value = float(text)
    if not np.isfinite(value):
        raise ValueError(f"{text} overflows a double")
    return value


def readable_seq(payload):
    """The seq every server must echo: the header frame is at most 65,536 bytes of UTF-8,
    JSON that every parser reads alike (no NaN, no duplicate keys, no number beyond a double,
    no lone surrogate), an object whose ``seq`` is an integer in 0…2⁶³−1. None when there is
    none it must echo (a server may still)."""
    if not payload or len(payload[0]) > 65_536:
        return None
    try:
        header = json.loads(payload[0].decode("utf-8"), parse_constant=reject_constant, parse_float=finite_float,
                            object_pairs_hook=unique_keys)
        json.dumps(header, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return None
    seq = header.get("seq") if isinstance(header, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 <= seq <= MAX_SEQ else None


class Fuzzer:
    """Requests of every class of envs/PROTOCOL.md's error list, and valid ones between them."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seq = 100
        self.pool = [f"fuzz-{i}" for i in range(5)]  # clients whose seqs repeat: retries, stale and duplicates
        self.kinds = [(weight, getattr(self, name)) for weight, name in [
            (6, "random_bytes"), (6, "mutated"), (3, "bad_json"), (2, "odd_json"), (3, "non_object"), (5, "seq_field"),
            (4, "version_field"), (4, "command_field"), (4, "client_field"), (10, "descriptors"),
            (5, "frame_count"), (8, "actions"), (4, "seed_and_index"), (6, "retries"), (4, "new_clients"),
            (4, "over_size"), (1, "long_header"), (1, "deep_nesting"), (1, "delimiter_only"), (8, "valid"),
        ]]
        self.total = sum(w for w, _ in self.kinds)

    def next(self):
        """``(kind, payload frames)``; a valid ``close`` is never sent (it would stop the server)."""
        pick = self.rng.uniform(0, self.total)
        for weight, kind in self.kinds:
            pick -= weight
            if pick <= 0:
                break
        payload = kind()
        try:
            closing = json.loads(payload[0]).get("cmd") == "close"
        except (ValueError, AttributeError, IndexError, RecursionError, UnicodeDecodeError):
            closing = False
        return kind.__name__, [j({"v": 2, "cmd": "spec", "seq": 1})] if closing else payload

    def new_seq(self):
        self.seq += 1
        return self.seq

    def header(self, cmd="spec", **fields):
        return {"v": self.rng.choice([1, 2]), "cmd": cmd, "seq": self.new_seq(), **fields}

    def some_bytes(self, most=200):
        return self.rng.randbytes(self.rng.randint(0, most))

    def step_actions(self, values=None):
        values = values if values is not None else [self.rng.randint(0, 1) for _ in range(NUM_ENVS)]
        return np.array(values, np.int64).tobytes()

    def random_bytes(self):
        return [self.some_bytes() for _ in range(self.rng.randint(1, 3))]

    def mutated(self):
        valid = self.valid()
        header = bytearray(valid[0])
        for _ in range(self.rng.randint(1, 4)):
            at = self.rng.randrange(len(header) + 1)
            action = self.rng.choice(["flip", "insert", "delete", "truncate"])
            if action == "flip" and at < len(header):
                header[at] = self.rng.randrange(256)
            elif action == "insert":
                header[at:at] = bytes([self.rng.randrange(256)])
            elif action == "delete":
                del header[at:at + 1]
            else:
                del header[at:]
        return [bytes(header), *valid[1:]]

    def bad_json(self):
        seq = self.new_seq()
        return [self.rng.choice([
            b'{"v":2,"cmd":"spec","seq":%d' % seq, b'{"v":2,"cmd":"spec","seq":%d,}' % seq, b"", b"{", b"}",
            b'{"v":2,"cmd":"spec","seq":NaN}', b'{"v":2,"cmd":"spec","seq":Infinity}', b"\xff\xfe{}",
            b'{"v":2,"cmd":"spec","seq":%d,"x":"\xc3\x28"}' % seq, b"{'v':2}", b'{"seq":1}{"seq":2}',
            b'\x00{"v":2}', b'{"v":2,"cmd":"spec","seq":%d}\x00' % seq, b'{"v":2,"cmd":"spec","seq":0x10}',
        ])]

    def odd_json(self):
        """JSON that parsers read differently: a server may serve it or refuse it, and need not echo seq."""
        seq = self.new_seq()
        return [self.rng.choice([
            b'{"v":2,"cmd":"spec","seq":%d,"seq":%d}' % (seq, seq + 1), b'{"v":2,"cmd":"spec","seq":%d,"x":1e999}' % seq,
            b'{"v":2,"cmd":"spec","seq":1' + b"9" * 5000 + b"}", b'{"v":2,"cmd":"spec","seq":%d,"x":"\\ud800"}' % seq,
            b'{"v":2,"cmd":"spec","seq":%d,"x":NaN}' % seq, b'{"v":2,"cmd":"spec","seq":%d,"x":18446744073709551616}' % seq,
        ])]

    def non_object(self):
        return [j(self.rng.choice([[1, 2, 3], 17, "spec", None, True, [], [{"v": 2, "cmd": "spec", "seq": 1}], 1.5]))]

    def seq_field(self):
        header = {"v": 2, "cmd": "spec"}
        value = self.rng.choice(["1", 1.0, 1.5, -1, -(2**63), 2**63, 2**64, 10**30, True, None, [], {}, "missing"])
        if value != "missing":
            header["seq"] = value
        return [j(header)]

    def version_field(self):
        value = self.rng.choice([0, 3, -1, "2", 2.0, 1.0, True, None, 2**64, [2], "missing"])
        header = {"cmd": "spec", "seq": self.new_seq()}
        if value != "missing":
            header["v"] = value
        return [j(header)]

    def command_field(self):
        value = self.rng.choice([1, None, [], {}, "", "STEP", "fly", "close ", "Spec", "spec\u0000", "x" * 1000,
                                 "reset\n", "missing"])
        header = {"v": 2, "seq": self.new_seq()}
        if value != "missing":
            header["cmd"] = value
        return [j(header)]

    def client_field(self):
        value = self.rng.choice(["", "a" * 65, "a b", "ü", "a/b", "a.b", 1, [], {"a": 1}, True, "x" * 10_000])
        return [j(self.header(self.rng.choice(["spec", "reset", "step"]), client=value))]

    def descriptors(self):
        huge = [[2**61], [2**31, 2**31], [2**63], [2**64], [2**62, 4], [-1], [-2**63], [2, -2], [2] * 9, [1] * 20,
                [2**32, 2**32, 2**32], [0, 2**63], [3, 2**62]]
        odd = [[2.0], [True], ["2"], [None], [[2]], 2, "2", None, []]
        descriptor = dict(ACTIONS)
        choice = self.rng.randrange(6)
        if choice == 0:
            descriptor["shape"] = self.rng.choice(huge)
            descriptor["dtype"] = self.rng.choice(["int64", "float64", "uint8", "bool"])
        elif choice == 1:
            descriptor["shape"] = self.rng.choice(odd)
        elif choice == 2:
            descriptor["dtype"] = self.rng.choice(["complex128", "float16", "INT64", "", None, 8, "int8", "<i8"])
        elif choice == 3:
            descriptor = self.rng.choice([{}, [], "actions", 1, None, {"name": 1, "dtype": "int64", "shape": [2]},
                                          {"name": "actions", "shape": [2]}, {"name": "actions", "dtype": "int64"}])
        elif choice == 4:
            descriptor["name"] = self.rng.choice(["action", "", "observations", "a" * 500])
        arrays = descriptor if choice == 5 and self.rng.random() < 0.5 else [descriptor]
        if choice == 5:
            arrays = self.rng.choice(["actions", {}, 1, None, arrays])
        frame = self.step_actions() if self.rng.random() < 0.5 else self.some_bytes(64)
        return [j(self.header("step", arrays=arrays)), frame]

    def frame_count(self):
        count = self.rng.choice([0, 2, 3, 5])
        return [j(self.header("step", arrays=[ACTIONS])), *[self.step_actions() for _ in range(count)]]

    def actions(self):
        dtype, values = self.rng.choice([
            ("int64", [2, 0]), ("int64", [-1, 0]), ("int64", [2**40, 0]), ("int64", [-(2**63), 1]),
            ("int32", [0, 1]), ("int32", [5, 1]), ("float32", [0, 1]), ("float64", [0, 1]), ("uint8", [0, 1]),
            ("bool", [0, 1]), ("float32", [np.nan, 0]), ("float64", [np.inf, 0]), ("int64", [0]),
            ("int64", [0, 1, 1]), ("int64", [[0, 1]]), ("int64", []),
        ])
        array = np.array(values, dtype)
        descriptor = {"name": "actions", "dtype": dtype, "shape": list(array.shape)}
        return [j(self.header("step", arrays=[descriptor])), array.tobytes()]

    def seed_and_index(self):
        if self.rng.random() < 0.5:
            value = self.rng.choice(["0", -1, 1.5, 2**64, 2**63, True, [], {}, 0, None, 2**62])
            return [j(self.header("reset", seed=value))]
        value = self.rng.choice([-1, NUM_ENVS, "0", 1.0, None, 2**64, True, 10**6])
        return [j(self.header("render", index=value))]

    def retries(self):
        header = {"v": 2, "cmd": "step", "seq": self.rng.randint(1, 20), "client": self.rng.choice(self.pool),
                  "arrays": [ACTIONS]}
        return [j(header), self.step_actions()]

    def new_clients(self):
        return [j(self.header("step", client=f"flood-{self.rng.getrandbits(64):016x}", arrays=[ACTIONS])),
                self.step_actions()]

    def over_size(self):
        header = j(self.header("step", arrays=[ACTIONS]))
        if self.rng.random() < 0.5:
            return [header, self.rng.randbytes(self.rng.randint(CAP + 1, 4 * CAP - len(header)))]
        frames = self.rng.randint(2, 6)  # each frame under the cap, together over it
        return [j(self.header("step", arrays=[ACTIONS] * frames)),
                *[bytes(self.rng.randint(CAP // frames + 1, CAP)) for _ in range(frames)]]

    def long_header(self):
        return [j(self.header("spec", pad="x" * self.rng.randint(65_537, 100_000)))]

    def deep_nesting(self):
        depth = self.rng.randint(1_000, 30_000)
        return [b'{"v":2,"cmd":"spec","seq":%d,"x":' % self.new_seq() + b"[" * depth + b"]" * depth + b"}"]

    def delimiter_only(self):
        return []

    def valid(self):
        choice = self.rng.randrange(10)
        if choice == 0:
            return [j(self.header("spec"))]
        if choice == 1:
            return [j(self.header("reset", seed=self.rng.choice([None, 0, 7, 2**31])))]
        return [j(self.header("step", arrays=[ACTIONS])), self.step_actions()]


def rss_bytes(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def describe(payload):
    return f"header {payload[0][:160]!r}… with frames of {[len(f) for f in payload]} bytes" if payload else "no frames"


class Checker:
    """Sends requests, matches replies to them in order, and keeps every broken rule."""

    def __init__(self, server):
        self.server = server
        self.socket = self.connect()
        self.failures, self.replies, self.server_ids, self.missing = [], 0, set(), 0
        self.probe_seq = 0

    def connect(self):
        socket = zmq.Context.instance().socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        socket.connect(self.server.endpoint)
        return socket

    def fail(self, kind, payload, what):
        what = what if len(what) < 400 else what[:400] + "…"
        self.failures.append(f"{kind}: {what} ({describe(payload)})")

    def send(self, requests):
        """Sends ``[(kind, payload), …]`` back to back, then reads and checks their replies."""
        for _, payload in requests:
            self.socket.send_multipart([b"", *payload])
        replies = []
        for kind, payload in requests:
            if not self.socket.poll(REPLY_TIMEOUT_MS):
                self.fail(kind, payload, "no reply" if self.server.process.poll() is None
                          else f"no reply: the server died (exit status {self.server.process.returncode})")
                self.missing += 1
                self.socket.close()
                self.socket = self.connect()  # a late reply must not be taken for the next request's
                return replies
            replies.append(self.check(kind, payload, self.socket.recv_multipart()))
        return replies

    def check(self, kind, payload, frames):
        self.replies += 1
        if len(frames) < 2 or frames[0] != b"":
            self.fail(kind, payload, f"reply without the empty delimiter and a header: {frames[:2]}")
            return None
        try:
            header = json.loads(frames[1])
        except ValueError:
            self.fail(kind, payload, f"reply header is not JSON: {frames[1][:200]!r}")
            return None
        if not isinstance(header, dict):
            self.fail(kind, payload, f"reply header is not an object: {header!r}")
            return None
        if not isinstance(header.get("server"), str) or not header["server"]:
            self.fail(kind, payload, f"reply without a server id: {header}")
        else:
            self.server_ids.add(header["server"])
        seq = readable_seq(payload)
        if seq is not None and header.get("seq") != seq:
            self.fail(kind, payload, f"reply seq {header.get('seq')!r}, the request's is {seq}: {header}")
        if "error" in header:
            if len(frames) > 2:
                self.fail(kind, payload, f"an error reply with {len(frames) - 2} array frames")
            total = sum(len(f) for f in payload)
            if total > CAP and len(payload[0]) <= 65_536 and str(total) not in str(header["error"]):
                self.fail(kind, payload, f"over-size message of {total} bytes: the error does not name its size: "
                                         f"{header['error']!r}")
        elif kind not in MAY_SUCCEED:
            self.fail(kind, payload, f"no error for a malformed request: {header}")
        return header, frames[2:]

    def probe(self, what):
        """A valid step from a client of its own must be answered correctly."""
        self.probe_seq += 1
        header = {"v": 2, "cmd": "step", "seq": self.probe_seq, "client": "fuzz-probe", "arrays": [ACTIONS]}
        payload = [j(header), np.array([0, 1], np.int64).tobytes()]
        replies = self.send([("probe", payload)])
        if not replies or replies[0] is None:
            return
        reply, arrays = replies[0]
        expected = [("observations", "float32", [NUM_ENVS, 4]), ("rewards", "float32", [NUM_ENVS]),
                    ("terminated", "bool", [NUM_ENVS]), ("truncated", "bool", [NUM_ENVS])]
        described = reply.get("arrays") or []
        shapes = [(d.get("name"), d.get("dtype"), d.get("shape")) for d in described[:4]]
        finals = reply.get("final_indices")
        if "error" in reply or shapes != expected or not isinstance(finals, list) or len(described) != 5 \
                or described[4].get("shape") != [len(finals), 4] or len(arrays) != 5 \
                or [len(a) for a in arrays[:4]] != [32, 8, 2, 2]:
            self.fail("probe", payload, f"valid step {what} answered wrongly: {reply}")


def test_ten_thousand_malformed_requests_each_get_a_reply_and_serving_goes_on(fuzz_server):
    server = fuzz_server
    checker = Checker(server)
    reset = [j({"v": 2, "cmd": "reset", "seq": 1, "client": "fuzz-probe", "seed": 0})]
    render = [j({"v": 2, "cmd": "render", "seq": 2, "index": 1})]  # rendering allocates once: inside the warm-up
    checker.send([("valid", reset), ("valid", render)])
    fuzzer = Fuzzer(seed=20261204)
    start, sent, rss_after_warm_up = time.monotonic(), 0, None
    while sent < MESSAGES and len(checker.failures) < 200 and checker.missing < 10 and server.process.poll() is None:
        burst = fuzzer.rng.choice([1] * 12 + [2, 4, 8])  # some requests pipelined
        burst = min(burst, CHECK_EVERY - sent % CHECK_EVERY)
        checker.send([fuzzer.next() for _ in range(burst)])
        sent += burst
        if sent % CHECK_EVERY == 0:
            checker.probe(f"after {sent} fuzzed requests")
        if sent == WARM_UP:
            rss_after_warm_up = rss_bytes(server.process.pid)
    elapsed = time.monotonic() - start
    assert server.process.poll() is None, (f"the server died after {sent} requests: "
                                           + "\n".join(checker.failures[-5:]) + server.stderr()[-2000:])
    rss_growth = rss_bytes(server.process.pid) - rss_after_warm_up
    # Frames over 4 × the cap: ZeroMQ drops the connection (a reply is allowed, not required); serving goes on.
    beyond = zmq.Context.instance().socket(zmq.DEALER)
    beyond.setsockopt(zmq.LINGER, 0)
    beyond.connect(server.endpoint)
    for extra in (1, 1000, 4096):
        beyond.send_multipart([b"", j(fuzzer.header("step", arrays=[ACTIONS])), bytes(4 * CAP + extra)])
    time.sleep(0.5)
    beyond.close()
    checker.probe("after frames over 4 × max_message_bytes")
    assert not checker.failures, f"{len(checker.failures)} broken rules:\n" + "\n".join(checker.failures[:40])
    assert checker.replies == sent + 2 + MESSAGES // CHECK_EVERY + 1
    assert len(checker.server_ids) == 1, checker.server_ids
    assert rss_growth < RSS_GROWTH_LIMIT, f"resident memory grew by {rss_growth / 2**20:.1f} MB"
    assert elapsed < 60, f"{sent} requests took {elapsed:.0f} s"


@pytest.fixture(params=["python", "swift"])
def fuzz_server(request, bridge, reverie_server):
    """CartPole-v1 ×2 with a 64 KiB message cap, from the bridge or from `reverie serve`."""
    start = bridge if request.param == "python" else reverie_server
    return start("CartPole-v1", NUM_ENVS, "--max-message-bytes", str(CAP))
