"""What version 2 of envs/PROTOCOL.md adds, checked against the Gymnasium bridge
with real processes and sockets: client-id retries from a new socket, a bounded
retry cache, seq and the server id on error replies, restarts, refused remote
close, the exposure warning, the CURVE allow-list, and stale replies."""
import math
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import zmq
import zmq.auth

from reverie_envs import wire
from conftest import ENVS, free_port, wait_until
from reverie_envs.gymnasium_server import GymnasiumServer
from reverie_envs.client import HandshakeFailed, RemoteVectorEnv, ServerError

COUNTER = "toy_envs:Counter-v0"  # observes its step count: a test sees whether a request stepped it


def dealer(endpoint):
    """A raw DEALER socket (it adds the empty delimiter REQ would): free to reconnect under a new routing id."""
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(endpoint)
    return socket


def exchange(socket, frames):
    """The reply frames (delimiter dropped) to the request ``frames``."""
    socket.send_multipart([b""] + frames)
    assert socket.poll(3000), f"no reply to {frames[0][:200]}"
    reply = socket.recv_multipart()
    assert reply[0] == b""
    return reply[1:]


def step_frames(header, actions):
    return wire.encode({"cmd": "step", **header}, [("actions", np.asarray(actions, np.int64))])


def test_a_step_resent_by_the_same_client_from_a_new_socket_is_answered_not_stepped_again(bridge):
    server = bridge(COUNTER)
    header = {"v": 2, "client": "pirate-1"}
    first_socket = dealer(server.endpoint)
    exchange(first_socket, wire.encode({**header, "cmd": "reset", "seq": 1, "seed": 0}))
    first = exchange(first_socket, step_frames({**header, "seq": 2}, [1]))
    first_socket.close()
    second_socket = dealer(server.endpoint)  # another routing id, the same client id
    assert exchange(second_socket, step_frames({**header, "seq": 2}, [1])) == first
    assert wire.decode(first)[1]["observations"].tolist() == [[1.0]]
    after = exchange(second_socket, step_frames({**header, "seq": 3}, [1]))
    assert wire.decode(after)[1]["observations"].tolist() == [[2.0]]  # seq 2 stepped once, seq 3 once
    # Without a client id the routing id is the key: a new socket's resend is a new step (version 1's rule).
    exchange(second_socket, step_frames({"v": 1, "seq": 4}, [1]))
    resent = exchange(dealer(server.endpoint), step_frames({"v": 1, "seq": 4}, [1]))
    assert wire.decode(resent)[1]["observations"].tolist() == [[4.0]]


def test_the_retry_cache_keeps_the_last_step_of_the_1024_most_recent_clients_only():
    server = GymnasiumServer(COUNTER, bind="inproc://retry-cache")

    def step(client):
        header, arrays = wire.decode(server.respond(step_frames({"v": 2, "seq": 7, "client": client}, [1])))
        return arrays["observations"][0, 0]

    server.respond(wire.encode({"v": 2, "cmd": "reset", "seq": 1}))
    for i in range(1100):  # a flood of new clients
        step(f"c{i}")
    assert len(server.last_step) == 1024
    assert step("c1099") == 1100 and step("c76") == 77  # the newest and the oldest kept: resent, not stepped
    assert step("c75") == 1101  # evicted: its retry is a new step
    assert len(server.last_step) == 1024
    server.socket.close()


def test_every_error_reply_carries_the_requests_seq_and_version_and_the_server_id(bridge):
    server = bridge("CartPole-v1", 2, "--max-message-bytes", "1024")
    socket = dealer(server.endpoint)
    actions = {"name": "actions", "dtype": "int64", "shape": [2]}
    cases = [
        ({"v": 2, "cmd": "step", "seq": 11, "arrays": [{**actions, "shape": [2**61]}]}, [bytes(16)], "needs"),
        ({"v": 2, "cmd": "step", "seq": 12, "arrays": [{**actions, "shape": [2**31, 2**31]}]}, [bytes(16)], "needs"),
        ({"v": 2, "cmd": "step", "seq": 13, "arrays": [actions]}, [bytes(3000)], "message of 3"),
        ({"v": 7, "cmd": "spec", "seq": 14}, [], "unsupported protocol version 7"),
        ({"v": 1, "cmd": "fly", "seq": 15}, [], "unknown command"),
        ({"v": 2, "cmd": "spec", "seq": 16, "client": "not ok"}, [], "'client'"),
        ({"v": 2, "cmd": "step", "seq": 17, "arrays": "actions"}, [bytes(16)], "'arrays' must be a list"),
        ({"v": 2, "cmd": "step", "seq": 18, "arrays": [actions]}, [bytes(16)], "step before reset"),
    ]
    servers = set()
    for header, frames, error in cases:
        reply = wire.decode(exchange(socket, [wire.encode(header)[0], *frames]))[0]
        assert error in reply["error"] and reply["seq"] == header["seq"], reply
        assert reply["v"] == (header["v"] if header["v"] in (1, 2) else 2)
        servers.add(reply["server"])
    reply = wire.decode(exchange(socket, wire.encode({"v": 2, "cmd": "spec", "seq": "18"})))[0]
    assert reply["seq"] is None and "'seq'" in reply["error"]
    servers.add(reply["server"])
    assert len(servers) == 1 and re.fullmatch(r"[0-9a-f]{16}", servers.pop())


def test_step_and_render_before_the_first_reset_are_errors(bridge):
    remote = RemoteVectorEnv(bridge("CartPole-v1").endpoint, timeout_ms=3000)
    with pytest.raises(ServerError, match="step before reset: .*send reset first"):
        remote.step(np.array([0]))
    with pytest.raises(ServerError, match="render before reset"):
        remote.render(0)
    remote.reset(seed=0)
    assert remote.step(np.array([0])).observations.shape == (1, 4)


def test_non_finite_box_actions_are_refused_even_within_infinite_bounds(bridge):
    server = bridge("toy_envs:Unbounded-v0", 2)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    remote.reset(seed=0)
    for bad in ([np.nan, 0], [np.inf, 0], [0, -np.inf]):
        with pytest.raises(ServerError, match="action .* of env 1 is not finite"):
            remote.step(np.array([[1, 1], bad]))
    beyond_float32 = wire.encode({"v": 2, "cmd": "step", "seq": 1}, [("actions", np.array([[1, 1], [1e300, 0]]))])
    assert "not finite" in wire.decode(exchange(dealer(server.endpoint), beyond_float32))[0]["error"]
    assert remote.step(np.array([[1, 2], [3, 4]])).observations.tolist() == [[1, 2], [3, 4]]  # nothing moved before


def test_a_restarted_server_is_reset_and_the_interrupted_episodes_end_as_truncated(bridge):
    server = bridge("CartPole-v1", 2)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    remote.reset(seed=0)
    last = remote.step(np.array([0, 1])).observations
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    bridge("CartPole-v1", 2, port=server.port)
    step = remote.step(np.array([0, 1]))
    assert step.truncated.tolist() == [True, True] and step.terminated.tolist() == [False, False]
    assert step.rewards.tolist() == [0.0, 0.0]
    assert sorted(step.final_observations) == [0, 1]
    assert all(np.array_equal(step.final_observations[i], last[i]) for i in range(2))
    assert remote.interrupted_episodes == 2
    assert step.observations.shape == (2, 4) and np.all(np.abs(step.observations) <= 0.05)  # new episodes
    after = remote.step(np.array([0, 1]))
    assert not after.truncated.any() and after.rewards.tolist() == [1.0, 1.0]
    assert remote.interrupted_episodes == 2


def non_loopback_ipv4():
    """An IPv4 address of this machine other than loopback, or None."""
    try:
        listing = subprocess.run(["ip", "-4", "-o", "addr"], capture_output=True, text=True, timeout=10).stdout
    except OSError:
        listing = ""
    for address in re.findall(r"inet (\d+\.\d+\.\d+\.\d+)", listing):
        if not address.startswith("127."):
            return address
    return None


def test_close_from_another_machine_is_refused_unless_the_server_allows_it(bridge):
    address = non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to send a remote close from")
    for allowed in (False, True):
        port = free_port()
        server = bridge("CartPole-v1", 1, "--bind", f"tcp://0.0.0.0:{port}",
                        *(["--allow-remote-close"] if allowed else []), port=port)
        remote = RemoteVectorEnv(f"tcp://{address}:{port}", timeout_ms=3000)
        if allowed:
            remote.connection.request("close")
            assert server.process.wait(timeout=5) == 0
            continue
        with pytest.raises(ServerError, match=rf"close refused: the request comes from {re.escape(address)}, .*"
                                              "--allow-remote-close"):
            remote.connection.request("close")
        assert remote.reset(seed=0).shape == (1, 4)  # still serving
        RemoteVectorEnv(server.endpoint, timeout_ms=3000).close()  # a loopback peer may close it
        assert server.process.wait(timeout=5) == 0


def test_a_server_other_machines_can_reach_without_curve_warns_loudly_after_the_serving_line(bridge, tmp_path):
    port = free_port()
    exposed = bridge("CartPole-v1", 1, "--bind", f"tcp://0.0.0.0:{port}", port=port)
    assert wait_until(lambda: "WITHOUT CURVE" in exposed.stderr())
    text = exposed.stderr()
    assert text.startswith("serving") and "anyone who can connect" in text and "--curve-secret-key" in text
    assert text.count("WARNING") >= 5  # several lines, hard to miss
    quiet = bridge("CartPole-v1")
    RemoteVectorEnv(quiet.endpoint, timeout_ms=3000)  # the serve loop runs: start-up output is complete
    time.sleep(0.2)
    assert "WARNING" not in quiet.stderr()
    public, secret = zmq.curve_keypair()
    (tmp_path / "server.key").write_bytes(secret)  # a bare Z85 key file
    encrypted = bridge("CartPole-v1", 1, "--curve-secret-key", str(tmp_path / "server.key"))
    assert wait_until(lambda: "any client that knows the server's public key is served" in encrypted.stderr())
    assert RemoteVectorEnv(encrypted.endpoint, timeout_ms=3000, curve_server_key=public.decode()).reset().shape == (1, 4)


def test_curve_allow_list_serves_listed_clients_and_refuses_others_with_a_clear_error(bridge, tmp_path):
    keys, allow = tmp_path / "keys", tmp_path / "allow"
    keys.mkdir(), allow.mkdir()
    for name in ("server", "client", "intruder"):
        zmq.auth.create_certificates(keys, name)
    (allow / "client.key").write_bytes((keys / "client.key").read_bytes())
    server = bridge("CartPole-v1", 1, "--curve-secret-key", str(keys / "server.key_secret"),
                    "--curve-allow", str(allow))
    listed = RemoteVectorEnv(server.endpoint, timeout_ms=5000, curve_server_key=str(keys / "server.key"),
                             curve_client_key=str(keys / "client.key_secret"))
    assert listed.reset(seed=0).shape == (1, 4)
    server_public = zmq.auth.load_certificate(keys / "server.key")[0].decode()
    refused = [
        (dict(curve_server_key=server_public, curve_client_key=str(keys / "intruder.key_secret")),
         "CURVE handshake with .* failed: the server refused this client's key .*allow-list.*400"),
        (dict(curve_server_key=str(keys / "intruder.key"), curve_client_key=str(keys / "client.key_secret")),
         "CURVE handshake with .* failed: is curve_server_key the server's public key, and does the server use CURVE"),
        (dict(curve_server_key=str(keys / "intruder.key")),
         "CURVE handshake with .* failed: is curve_server_key the server's public key"),
        ({}, "handshake with .* failed: does the server use CURVE"),
    ]
    for keywords, message in refused:
        start = time.monotonic()
        with pytest.raises(HandshakeFailed, match=message):
            RemoteVectorEnv(server.endpoint, timeout_ms=5000, retries=2, **keywords)
        assert time.monotonic() - start < 3.0, keywords  # the handshake's failure, not three timeouts
    assert "any client" not in server.stderr()
    assert listed.step(np.array([1])).observations.shape == (1, 4)  # refusals leave the listed client served


def test_curve_allow_without_a_secret_key_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, str(ENVS / "gymnasium_server.py"), "CartPole-v1",
                             "--curve-allow", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "--curve-allow needs --curve-secret-key" in result.stderr


def test_a_late_reply_to_a_resent_step_is_dropped_not_taken_for_the_next_reply(bridge):
    # Each step takes 0.5 s, the client waits 0.3 s: the first reply comes late, the resend is answered
    # from the retry cache, and one of the two reaches the client after it moved on to the next step.
    server = bridge(COUNTER, 1, "--kwargs", '{"delay": 0.5}')
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=300, retries=3)
    remote.reset(seed=0)
    for t in range(1, 4):
        assert remote.step(np.array([1])).observations.tolist() == [[t]]


def test_a_signal_during_the_wait_is_not_a_timeout(bridge):
    server = bridge(COUNTER, 1, "--kwargs", '{"delay": 0.6}')
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=1500, retries=0)
    remote.reset(seed=0)
    alarms = []
    previous = signal.signal(signal.SIGALRM, lambda *_: alarms.append(1))
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
    try:
        assert remote.step(np.array([1])).observations.tolist() == [[1]]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert len(alarms) >= 5


def test_the_client_refuses_a_request_over_the_servers_max_message_bytes(bridge):
    remote = RemoteVectorEnv(bridge("CartPole-v1", 128, "--max-message-bytes", "1024").endpoint, timeout_ms=5000)
    assert remote.spec["max_message_bytes"] == 1024
    remote.reset(seed=0)
    with pytest.raises(ValueError, match=r"step request of \d+ bytes exceeds the max_message_bytes \(1024\)"):
        remote.step(np.zeros(128, np.int64))  # 1,024 bytes of actions plus the header
    assert math.isfinite(remote.reset(seed=1).sum())  # nothing was sent: the connection is in step


def test_active_steps_only_the_envs_it_names_and_the_others_repeat_as_they_were():
    server = GymnasiumServer(COUNTER, num_envs=3, bind="inproc://active")

    def step(seq, active=None, dtype=bool):
        arrays = [("actions", np.ones(3, np.int64))] + ([] if active is None else [("active", np.asarray(active, dtype))])
        return wire.decode(server.respond(wire.encode({"v": 2, "cmd": "step", "seq": seq}, arrays)))

    header, arrays = wire.decode(server.respond(wire.encode({"v": 2, "cmd": "reset", "seq": 1})))
    assert arrays["info.steps"].tolist() == [0, 0, 0] and "info.label" not in arrays  # numbers only
    header, arrays = step(2, [True, False, True])
    assert arrays["observations"][:, 0].tolist() == [1, 0, 1]
    assert arrays["rewards"].tolist() == [1, 0, 1] and not arrays["terminated"].any() and not arrays["truncated"].any()
    assert arrays["info.steps"].dtype == np.float64 and arrays["info.steps"].tolist() == [1, 0, 1]
    header, arrays = step(3)  # without active: every env
    assert arrays["observations"][:, 0].tolist() == [2, 1, 2] and arrays["info.steps"].tolist() == [2, 1, 2]
    for seq, bad in [(4, [1, 0, 1]), (5, [True, False])]:  # not bool, wrong length: refused, nothing stepped
        header, _ = step(seq, bad, dtype=np.int64 if seq == 4 else bool)
        assert "active must be bool of shape [3]" in header["error"]
    header, arrays = step(6, [False, False, True])
    assert arrays["observations"][:, 0].tolist() == [2, 1, 3]
    server.socket.close()


def test_the_python_client_steps_subsets_and_reads_infos(bridge):
    server = bridge(COUNTER, 3)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    assert remote.steps_subsets
    remote.reset(seed=0)
    assert remote.infos["steps"].tolist() == [0, 0, 0]
    step = remote.step(np.ones(3, np.int64), active=[True, False, True])
    assert step.observations[:, 0].tolist() == [1, 0, 1] and step.rewards.tolist() == [1, 0, 1]
    assert step.infos["steps"].tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="active must be 3 bools"):
        remote.step(np.ones(3, np.int64), active=[1, 0, 1])
    assert remote.step(np.ones(3, np.int64)).observations[:, 0].tolist() == [2, 1, 2]  # nothing stepped by the refusal
    remote.spec["active"] = False  # as an older server's spec reads
    with pytest.raises(ValueError, match="does not step a subset"):
        remote.step(np.ones(3, np.int64), active=[True, True, True])
    remote.close()


def test_a_bridge_started_for_a_parent_exits_when_the_parent_is_killed():
    # A parent that starts the bridge as `reverie train` does, prints its pid, then waits to be killed.
    script = (f"import subprocess, sys, os, time; p = subprocess.Popen([sys.executable, {str(ENVS / 'gymnasium_server.py')!r}, "
              f"{COUNTER!r}, '--bind', 'tcp://127.0.0.1:{free_port()}', '--parent-pid', str(os.getpid())]); "
              "print(p.pid, flush=True); time.sleep(60)")
    env = dict(os.environ, PYTHONPATH=f"{ENVS}:{ENVS / 'tests'}")
    parent = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    bridge_pid = int(parent.stdout.readline())
    try:
        time.sleep(1.5)
        assert pid_alive(bridge_pid), "the bridge should serve while its parent lives"
        parent.kill()
        parent.wait()
        assert wait_until(lambda: not pid_alive(bridge_pid), seconds=5), "the bridge outlived its parent"
    finally:
        parent.kill()
        if pid_alive(bridge_pid):
            os.kill(bridge_pid, signal.SIGKILL)


def pid_alive(pid):
    """Whether ``pid`` runs (a zombie, reaped by nobody once its parent died, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
