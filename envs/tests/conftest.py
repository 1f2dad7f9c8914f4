"""Fixtures for the bridge tests: real server processes on free loopback ports."""
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ENVS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ENVS))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process (the Gymnasium bridge, or `reverie serve`), killed at teardown."""

    def __init__(self, command, port, cwd=None):
        self.port, self.endpoint = port, f"tcp://127.0.0.1:{port}"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ENVS), str(ENVS / "tests")]))
        self.process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, cwd=cwd)
        # Wait for the "serving … on …" line, so tests start against a bound socket. Packages may print
        # first (ale-py's banner); a server that exits first has closed the pipe.
        self.stderr_lines = []
        for line in self.process.stderr:
            self.stderr_lines.append(line)
            if line.startswith("serving"):
                break
        else:
            raise RuntimeError(f"server did not start: {''.join(self.stderr_lines)}")
        # Read the rest as it comes: tests check warnings, and a full pipe would block a chatty server.
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stderr(self):
        for line in self.process.stderr:
            self.stderr_lines.append(line)

    def stderr(self):
        return "".join(self.stderr_lines)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def bridge():
    """``bridge(env_id, num_envs=1, *extra)`` starts envs/gymnasium_server.py (a ``--bind`` in
    ``extra`` overrides the loopback one; ``endpoint`` stays the loopback address)."""
    servers = []

    def start(env_id, num_envs=1, *extra, port=None, cwd=None):
        port = port or free_port()
        command = [sys.executable, str(ENVS / "gymnasium_server.py"), env_id, "--num-envs", str(num_envs),
                   "--bind", f"tcp://127.0.0.1:{port}", *extra]
        servers.append(Server(command, port, cwd=cwd))
        return servers[-1]

    yield start
    for s in servers:
        s.kill()


def reverie_executable():
    """The `reverie` binary scripts/test built (release), or $REVERIE_BIN."""
    root = ENVS.parent
    for candidate in (os.environ.get("REVERIE_BIN"), root / ".build/release/reverie", root / ".build/debug/reverie"):
        if candidate and Path(candidate).exists():
            return str(candidate)
    return None


@pytest.fixture
def reverie_server():
    servers = []

    def start(env_id, num_envs=1, *extra):
        executable = reverie_executable()
        if executable is None:
            pytest.fail("no reverie binary: run `swift build -c release` first (scripts/test does)")
        port = free_port()
        servers.append(Server([executable, "serve", env_id, "--num-envs", str(num_envs),
                               "--bind", f"tcp://127.0.0.1:{port}", *extra], port))
        return servers[-1]

    yield start
    for s in servers:
        s.kill()


def wait_until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
