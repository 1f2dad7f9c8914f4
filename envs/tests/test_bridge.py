"""The Gymnasium bridge (envs/gymnasium_server.py) with real processes and
real sockets, stepped by the Python client (reverie_envs.client)."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import zmq

from reverie_envs import wire
from conftest import ENVS, wait_until
from gymnasium_rollout import direct_trajectory
from reverie_envs.client import RemoteVectorEnv, ServerUnreachable, ServerError


def random_actions(steps, n, seed=99):
    return np.random.default_rng(seed).integers(0, 2, size=(steps, n))


def steps_like_gymnasium(remote, steps=300, seed=3):
    """Steps ``remote`` (CartPole-v1 ×N) with random actions beside Gymnasium's own envs in this
    process, asserting every observation, reward, ending and final observation equal.
    Returns the number of episodes that ended."""
    actions = random_actions(steps, remote.num_envs)
    expected = direct_trajectory("CartPole-v1", remote.num_envs, seed=seed, actions=actions)
    first = remote.reset(seed=seed)
    assert first.dtype == np.float32 and np.array_equal(first, expected[0])
    ended = 0
    for a, (observations, rewards, terminated, truncated, finals) in zip(actions, expected[1:]):
        step = remote.step(a)
        assert np.array_equal(step.observations, observations) and np.array_equal(step.rewards, rewards)
        assert np.array_equal(step.terminated, terminated) and np.array_equal(step.truncated, truncated)
        assert sorted(step.final_observations) == sorted(finals)
        for i, o in finals.items():
            assert np.array_equal(step.final_observations[i], o)
        ended += len(finals)
    return ended


def test_trajectory_through_the_bridge_equals_gymnasium_in_process(bridge):
    server = bridge("CartPole-v1", 4)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    assert remote.num_envs == 4 and remote.action_space == {"type": "discrete", "n": 2, "start": 0}
    assert steps_like_gymnasium(remote) > 10  # 300 random steps end many episodes: autoreset is exercised
    assert remote.render(2).shape == (400, 600, 3)
    remote.close()
    assert server.process.wait(timeout=5) == 0


def test_third_party_env_keeps_uint8_pixels_and_float64_box_actions(bridge):
    server = bridge("toy_envs:PixelDrift-v0", 2)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    assert remote.spec["env_id"] == "PixelDrift-v0"
    assert remote.observation_space == {"type": "box", "dtype": "uint8", "shape": [8, 8, 3], "low": 0.0, "high": 255.0}
    assert remote.action_space["dtype"] == "float64" and remote.spec["metadata"] == {"render_fps": 10}
    observations = remote.reset(seed=0)
    assert observations.dtype == np.uint8 and observations.shape == (2, 8, 8, 3)
    for t in range(5):
        step = remote.step(np.full((2, 2), 0.25, np.float32))
        assert step.observations.dtype == np.uint8 and step.rewards.tolist() == [0.25, 0.25]
    assert step.truncated.all() and not step.terminated.any()
    assert step.final_observations[1].dtype == np.uint8
    frame = remote.render(0)
    assert frame.dtype == np.uint8 and frame.shape == (32, 32, 3)
    with pytest.raises(ServerError, match=r"not in Box"):
        remote.step(np.full((2, 2), 3.0, np.float32))


def test_dict_spaces_are_refused_at_start_with_a_clear_error():
    result = subprocess.run([sys.executable, str(ENVS / "gymnasium_server.py"), "toy_envs:DictObservation-v0"],
                            env={"PYTHONPATH": f"{ENVS}:{ENVS / 'tests'}", "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "observation space Dict(" in result.stderr and "FlattenObservation" in result.stderr


def test_unknown_env_id_is_a_clear_error():
    result = subprocess.run([sys.executable, str(ENVS / "gymnasium_server.py"), "NoSuchEnv-v7"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "NoSuchEnv" in result.stderr and "Traceback" not in result.stderr


def test_an_ale_id_without_ale_py_says_how_to_install_it():
    # ale_py made unimportable in the server's own interpreter (None in sys.modules blocks an import).
    code = ("import sys; sys.modules['ale_py'] = None; sys.argv = ['gymnasium_server.py', 'ALE/Pong-v5']; "
            "import gymnasium_server; gymnasium_server.main()")
    result = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(ENVS), "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "ALE/Pong-v5 needs the ale-py package" in result.stderr and "pip install ale-py" in result.stderr


def test_atari_through_the_bridge_is_uint8_frames_equal_to_ale_in_process(bridge):
    ale_py = pytest.importorskip("ale_py", reason="ale-py is optional: pip install ale-py")
    import gymnasium as gym
    gym.register_envs(ale_py)
    kwargs = {"frameskip": 1, "repeat_action_probability": 0.0, "obs_type": "grayscale"}
    server = bridge("ALE/Pong-v5", 2, "--kwargs", json.dumps(kwargs))
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=10000)
    assert remote.observation_space == {"type": "box", "dtype": "uint8", "shape": [210, 160], "low": 0.0, "high": 255.0}
    assert remote.action_space == {"type": "discrete", "n": 6, "start": 0}
    direct = [gym.make("ALE/Pong-v5", **kwargs) for _ in range(2)]
    first = remote.reset(seed=5)
    assert first.dtype == np.uint8
    for i, env in enumerate(direct):
        assert np.array_equal(first[i], env.reset(seed=5 + i)[0])
    actions = np.random.default_rng(3).integers(0, 6, size=(200, 2))
    for a in actions:
        step = remote.step(a)
        for i, env in enumerate(direct):
            observation, reward, terminated, truncated, _ = env.step(int(a[i]))
            assert np.array_equal(step.observations[i], observation) and step.rewards[i] == reward
            assert step.terminated[i] == terminated and step.truncated[i] == truncated
    remote.close()


def test_invalid_actions_are_error_replies_and_change_nothing(bridge):
    server = bridge("CartPole-v1", 2)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    remote.reset(seed=1)
    with pytest.raises(ServerError, match=r"action 7 of env 1 is not in Discrete\(2\)"):
        remote.step(np.array([0, 7]))
    expected = direct_trajectory("CartPole-v1", 2, seed=1, actions=[[1, 1]])
    assert np.array_equal(remote.step(np.array([1, 1])).observations, expected[1][0])


def request(socket, header, arrays=()):
    socket.send_multipart(wire.encode(header, arrays))
    assert socket.poll(3000), f"no reply to {header}"
    return wire.decode(socket.recv_multipart())


def test_retried_step_with_the_same_seq_does_not_step_twice(bridge):
    server = bridge("CartPole-v1")
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.connect(server.endpoint)
    request(socket, {"v": 1, "cmd": "reset", "seq": 1, "seed": 0})
    action = [("actions", np.array([1], np.int64))]
    first = request(socket, {"v": 1, "cmd": "step", "seq": 2}, action)[1]["observations"]
    again = request(socket, {"v": 1, "cmd": "step", "seq": 2}, action)[1]["observations"]
    after = request(socket, {"v": 1, "cmd": "step", "seq": 3}, action)[1]["observations"]
    assert np.array_equal(first, again) and not np.array_equal(first, after)


def malformed_messages(rng):
    """One generator per class of malformed request (envs/PROTOCOL.md, "Errors")."""
    good = np.array([0, 1], np.int64).tobytes()

    def j(o):
        return json.dumps(o).encode()

    def step(dtype="int64", shape=(2,)):
        return {"v": 1, "cmd": "step", "seq": 1, "arrays": [{"name": "actions", "dtype": dtype, "shape": list(shape)}]}

    return [
        lambda: [rng.bytes(int(rng.integers(0, 200)))],
        lambda: [j({"v": 1, "cmd": "step", "seq": 1})],
        lambda: [j(step())],
        lambda: [j(step(shape=(3,))), good],
        lambda: [j(step()), b"\x01\x02\x03"],
        lambda: [j(step("complex128")), good],
        lambda: [j(step("float32")), bytes(8)],
        lambda: [j(step()), np.array([5, -1], np.int64).tobytes()],
        lambda: [j({"v": 1, "cmd": "fly", "seq": 1})],
        lambda: [j({"v": 9, "cmd": "spec", "seq": 1})],
        lambda: [j({"v": 1, "cmd": "spec", "seq": -4})],
        lambda: [j({"v": 1, "cmd": "spec", "seq": True})],
        lambda: [j({"v": 1, "cmd": "render", "seq": 1, "index": 10})],
        lambda: [j({"v": 1, "cmd": "reset", "seq": 1, "seed": "zero"})],
        lambda: [j([1, 2, 3])],
        lambda: [j({"pad": "x" * 70_000})],
        lambda: [j({"v": 1, "cmd": "spec", "seq": 1}), b"\x01\x02"],
        lambda: [j({"v": 1, "cmd": "step", "seq": 1, "arrays": [{"name": "actions", "dtype": "int64", "shape": [-2]}]}), b""],
        lambda: [j({"v": 1, "cmd": "step", "seq": 1, "arrays": "actions"}), good],
    ]


def test_thousands_of_malformed_messages_each_get_an_error_and_serving_goes_on(bridge):
    server = bridge("CartPole-v1", 2)
    socket = zmq.Context.instance().socket(zmq.REQ)
    socket.connect(server.endpoint)
    rng = np.random.default_rng(5)
    kinds = malformed_messages(rng)
    for i in range(2000):
        socket.send_multipart(kinds[i % len(kinds)]())
        assert socket.poll(3000), f"no reply to malformed message {i} (kind {i % len(kinds)})"
        header, arrays = wire.decode(socket.recv_multipart())
        assert isinstance(header.get("error"), str) and not arrays, f"kind {i % len(kinds)} got {header}"
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    remote.reset(seed=0)
    assert remote.step(np.array([0, 1])).rewards.tolist() == [1.0, 1.0]
    assert server.process.poll() is None


def test_killed_server_is_a_clear_error_within_the_timeout_and_a_restarted_one_is_picked_up(bridge):
    server = bridge("CartPole-v1")
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=300, retries=2)
    remote.reset(seed=0)
    server.kill()
    start = time.monotonic()
    with pytest.raises(ServerUnreachable, match=server.endpoint):
        remote.step(np.array([1]))
    assert time.monotonic() - start < 2.0  # three attempts of 300 ms
    bridge("CartPole-v1", port=server.port)
    remote.reset(seed=0)
    assert remote.step(np.array([0])).observations.shape == (1, 4)


def test_curve_encryption_serves_a_client_with_the_server_key_only(bridge, tmp_path):
    public, secret = zmq.curve_keypair()
    (tmp_path / "server.key").write_bytes(secret)
    server = bridge("CartPole-v1", 1, "--curve-secret-key", str(tmp_path / "server.key"))
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000, curve_server_key=public.decode())
    assert remote.reset(seed=0).shape == (1, 4)
    with pytest.raises(ServerUnreachable):
        RemoteVectorEnv(server.endpoint, timeout_ms=300, retries=0)  # plaintext client: no handshake, no reply


def test_swift_server_and_python_bridge_publish_the_same_cartpole_spec(bridge, reverie_server):
    swift = RemoteVectorEnv(reverie_server("CartPole-v1", 3).endpoint, timeout_ms=3000)
    python = RemoteVectorEnv(bridge("CartPole-v1", 3).endpoint, timeout_ms=3000)
    for key in ("num_envs", "env_id", "action_space", "autoreset", "render"):
        assert swift.spec[key] == python.spec[key], key
    so, po = swift.observation_space, python.observation_space
    assert (so["type"], so["dtype"], so["shape"]) == (po["type"], po["dtype"], po["shape"])
    for bound in ("low", "high"):
        assert [str(x) if isinstance(x, str) else pytest.approx(x) for x in so[bound]] == po[bound]
    # Same dynamics from the same state is the golden-trajectory test; here the step shapes agree.
    swift.reset(seed=0), python.reset(seed=0)
    a, b = swift.step(np.array([0, 1, 0])), python.step(np.array([0, 1, 0]))
    assert a.observations.shape == b.observations.shape and a.rewards.dtype == b.rewards.dtype


def test_an_int16_box_is_carried_exactly_in_int32(bridge):
    server = bridge("toy_envs:IntGrid-v0", 2)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    assert remote.observation_space["dtype"] == "int32" and remote.observation_space["low"] == -32000.0
    first = remote.reset(seed=0)
    assert first.dtype == np.int32 and first.tolist() == [[-1000, 0, 1000]] * 2
    step = remote.step(np.zeros(2, np.int64))
    assert step.observations.tolist() == [[-2000, 0, 2000]] * 2
    remote.close()


def test_flatten_serves_a_dict_observation_as_one_box(bridge):
    server = bridge("toy_envs:DictObservation-v0", 1, "--flatten")
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    # Gymnasium flattens a Dict by its sorted keys: goal (Discrete(4), one-hot), then position.
    assert remote.observation_space["type"] == "box" and remote.observation_space["shape"] == [6]
    assert remote.reset(seed=0).tolist() == [[1, 0, 0, 0, 0.5, -0.5]]
    assert remote.step(np.zeros(1, np.int64)).observations.tolist() == [[0, 1, 0, 0, 0.5, -0.5]]
    remote.close()


def test_frame_skip_then_wrappers_apply_in_the_order_given(bridge):
    # Counter observes its step count and rewards the action: a skip of 3 takes three steps and
    # sums three rewards of 1; then ×2 and +1 in the order given make (3 × 2) + 1, not (3 + 1) × 2.
    server = bridge("toy_envs:Counter-v0", 2, "--frame-skip", "3",
                    "--wrapper", "toy_envs:double_rewards", "--wrapper", "toy_envs:add_one_to_rewards")
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    remote.reset(seed=0)
    step = remote.step(np.ones(2, np.int64))
    assert step.observations.tolist() == [[3.0], [3.0]] and step.rewards.tolist() == [7.0, 7.0]
    remote.close()


def test_async_envs_step_as_gymnasium_in_process_and_at_the_same_time(bridge):
    server = bridge("CartPole-v1", 4, "--async")
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=5000)
    assert steps_like_gymnasium(remote) > 10
    remote.close()
    # Four envs whose step sleeps 0.4 s: in worker processes a step of all four takes about one sleep.
    slow = bridge("toy_envs:Counter-v0", 4, "--async", "--kwargs", '{"delay": 0.4}')
    remote = RemoteVectorEnv(slow.endpoint, timeout_ms=10000)
    remote.reset(seed=0)
    start = time.monotonic()
    remote.step(np.ones(4, np.int64))
    assert time.monotonic() - start < 1.2, "the four envs stepped one after another (1.6 s)"
    remote.close()


def test_async_workers_end_with_a_killed_server(bridge):
    server = bridge("CartPole-v1", 3, "--async")
    workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True,
                                               text=True).stdout.split()]
    assert len(workers) == 3
    server.kill()  # SIGKILL: no close, no goodbye

    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split()[2] != "Z"
        except OSError:
            return False
    assert wait_until(lambda: not any(alive(pid) for pid in workers), seconds=10), "the workers outlived their server"


def test_an_env_module_is_imported_from_the_working_directory(bridge, tmp_path):
    (tmp_path / "my_maze.py").write_text(
        "import gymnasium as gym\n"
        "gym.register('MyMaze-v0', entry_point='gymnasium.envs.classic_control:CartPoleEnv')\n")
    server = bridge("my_maze:MyMaze-v0", 1, cwd=tmp_path)
    remote = RemoteVectorEnv(server.endpoint, timeout_ms=3000)
    assert remote.reset(seed=0).shape == (1, 4)
    remote.close()


@pytest.mark.parametrize("extra, says", [
    (["no_such_module:Maze-v0"], "cannot import 'no_such_module' for Maze-v0"),
    (["CartPole-v1", "--wrapper", "no_such_wrappers:shape"], "cannot import 'no_such_wrappers' for --wrapper"),
    (["CartPole-v1", "--wrapper", "toy_envs:no_such_function"], "toy_envs has no function 'no_such_function'"),
])
def test_a_module_that_cannot_be_imported_is_one_line(extra, says):
    result = subprocess.run([sys.executable, str(ENVS / "gymnasium_server.py"), *extra],
                            env={"PYTHONPATH": f"{ENVS}:{ENVS / 'tests'}", "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and says in result.stderr and "Traceback" not in result.stderr, result.stderr
