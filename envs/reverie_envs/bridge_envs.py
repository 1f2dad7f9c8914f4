"""The environments behind the Gymnasium bridge: how one is made (the id's
module imported, wrappers applied) and where it steps — in the server's own
process, or in a worker process of its own (``--async``), so that N slow
environments step at the same time, as Gymnasium's ``AsyncVectorEnv``.

Every env is driven through the same four calls: ``send_step(action)`` then
``receive_step()`` (a step with same-step autoreset), ``reset(seed)``,
``render()`` and ``close()``. The server sends all N steps before receiving
any, which is what lets worker processes overlap.
"""
import importlib
import importlib.util
import multiprocessing
import os
import sys

import gymnasium as gym


class MissingPackage(Exception):
    """A module the env or a wrapper needs cannot be imported; the message says which and how to get it."""


def import_module(name, purpose):
    """Imports ``name`` as a user's script would: the working directory first, then PYTHONPATH."""
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise MissingPackage(f"cannot import {name!r} for {purpose}: {error} (modules are looked up in the working "
                             f"directory {cwd} and on PYTHONPATH)") from None


def wrapper_function(spec):
    """``module:function`` → the function, which takes an env and returns it wrapped."""
    module, _, name = spec.partition(":")
    if not module or not name:
        raise MissingPackage(f"--wrapper {spec!r}: expected module:function, e.g. my_wrappers:add_time_limit")
    function = getattr(import_module(module, f"--wrapper {spec}"), name, None)
    if not callable(function):
        raise MissingPackage(f"--wrapper {spec!r}: {module} has no function {name!r}")
    return function


class FrameSkip(gym.Wrapper):
    """Repeats each action ``skip`` times and sums the rewards, stopping early
    where the episode ends (the frame skip of Gymnasium's AtariPreprocessing,
    without its max-pooling, for any env)."""

    def __init__(self, env, skip):
        super().__init__(env)
        self.skip = skip

    def step(self, action):
        total = 0.0
        for _ in range(self.skip):
            observation, reward, terminated, truncated, info = self.env.step(action)
            total += float(reward)
            if terminated or truncated:
                break
        return observation, total, terminated, truncated, info


class EnvRecipe:
    """How to make one env: ``gym.make(env_id, **kwargs)``, then the frame
    skip, the user's wrappers in order, and Gymnasium's FlattenObservation
    last when ``flatten`` is asked for and the observation space is a Dict or
    Tuple. Picklable, so worker processes make their own."""

    def __init__(self, env_id, kwargs, render, wrappers=(), frame_skip=1, flatten=False):
        self.env_id, self.kwargs, self.render = env_id, dict(kwargs), render
        self.wrappers, self.frame_skip, self.flatten = tuple(wrappers), frame_skip, flatten

    def make(self):
        env = gym.make(self.env_id, render_mode="rgb_array", **self.kwargs) if self.render \
            else gym.make(self.env_id, **self.kwargs)
        if self.frame_skip > 1:
            env = FrameSkip(env, self.frame_skip)
        for spec in self.wrappers:
            env = wrapper_function(spec)(env)
        if self.flatten and isinstance(env.observation_space, (gym.spaces.Dict, gym.spaces.Tuple)):
            env = gym.wrappers.FlattenObservation(env)
        return env


def step_with_autoreset(env, action):
    """One step; where the episode ends, the last observation goes out as the
    final one and the env resets (same-step autoreset, envs/PROTOCOL.md)."""
    observation, reward, terminated, truncated, info = env.step(action)
    final = None
    if terminated or truncated:
        final = observation
        observation, info = env.reset()
    return observation, float(reward), bool(terminated), bool(truncated), info, final


class InProcessEnv:
    """An env stepped in the server's own process."""

    def __init__(self, recipe):
        self.env = recipe.make()
        self.observation_space, self.action_space = self.env.observation_space, self.env.action_space
        self.metadata = self.env.metadata
        self.result = None

    def send_step(self, action):
        self.result = step_with_autoreset(self.env, action)

    def receive_step(self):
        return self.result

    def reset(self, seed):
        return self.env.reset(seed=seed)

    def render(self):
        return self.env.render()

    def close(self):
        self.env.close()


def _worker(recipe, connection, parent):
    """A worker process's loop: one env, driven by (command, argument) messages;
    each reply is ("ok", value) or ("error", text). It ends with its server:
    on ``close``, or once the server process is gone (killed, it sends
    nothing, and workers forked later hold copies of this pipe's other end)."""
    try:
        env = recipe.make()
        connection.send(("ok", (env.observation_space, env.action_space, env.metadata)))
    except Exception as error:
        connection.send(("error", f"{type(error).__name__}: {error}"))
        return
    while True:
        try:
            while not connection.poll(1.0):
                if os.getppid() != parent:
                    return
            command, argument = connection.recv()
        except (EOFError, KeyboardInterrupt):
            break
        try:
            if command == "step":
                value = step_with_autoreset(env, argument)
            elif command == "reset":
                value = env.reset(seed=argument)
            elif command == "render":
                value = env.render()
            else:  # close
                env.close()
                connection.send(("ok", None))
                break
            connection.send(("ok", value))
        except Exception as error:  # the server turns it into an error reply and serves on
            connection.send(("error", f"{type(error).__name__}: {error}"))


class WorkerEnv:
    """An env stepped in a worker process of its own (``--async``)."""

    def __init__(self, recipe, context):
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=_worker, args=(recipe, theirs, os.getpid()), daemon=True)
        self.process.start()
        theirs.close()
        self.observation_space, self.action_space, self.metadata = self._receive()

    def _receive(self):
        try:
            status, value = self.connection.recv()
        except EOFError:
            raise RuntimeError(f"the env's worker process {self.process.pid} has died") from None
        if status == "error":
            raise RuntimeError(value)
        return value

    def send_step(self, action):
        self.connection.send(("step", action))

    def receive_step(self):
        return self._receive()

    def reset(self, seed):
        self.connection.send(("reset", seed))
        return self._receive()

    def render(self):
        self.connection.send(("render", None))
        return self._receive()

    def close(self):
        try:
            self.connection.send(("close", None))
            self._receive()
        except (OSError, RuntimeError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()


def make_envs(env_id, num_envs, kwargs, wrappers=(), frame_skip=1, flatten=False, workers=False):
    """N envs of ``env_id`` (``module:Env-v0`` imports ``module`` first, Gymnasium's
    convention), each in this process or, with ``workers``, in a process of its own.
    Returns the envs, the id without its module, and whether they render frames."""
    if ":" in env_id:
        module, env_id = env_id.split(":", 1)
        import_module(module, env_id)
    import_env_package(env_id)
    probe = gym.make(env_id, **kwargs)
    render = "rgb_array" in probe.metadata.get("render_modes", [])
    probe.close()
    recipe = EnvRecipe(env_id, kwargs, render, wrappers, frame_skip, flatten)
    for spec in wrappers:
        wrapper_function(spec)  # a missing wrapper is said before any process starts
    if not workers:
        return [InProcessEnv(recipe) for _ in range(num_envs)], env_id, render
    # fork: the workers inherit every module imported so far (the env's own, the wrappers').
    context = multiprocessing.get_context("fork")
    envs = []
    try:
        for _ in range(num_envs):
            envs.append(WorkerEnv(recipe, context))
    except Exception:
        for env in envs:
            env.close()
        raise
    return envs, env_id, render


# Env id prefixes whose package registers them on import: (module, pip package, what it is).
ENV_PACKAGES = {
    "ALE/": ("ale_py", "ale-py", "the Arcade Learning Environment; its wheel ships the Atari ROMs"),
    "MinAtar/": ("minatar", "minatar", "MinAtar's five games"),
}


def import_env_package(env_id):
    """Imports and registers the package behind ``env_id`` (ALE/…, MinAtar/…), or says how to install it."""
    for prefix, (module, package, what) in ENV_PACKAGES.items():
        if not env_id.startswith(prefix):
            continue
        try:
            imported = importlib.import_module(module)
        except ImportError:
            raise MissingPackage(f"{env_id} needs the {package} package ({what}), which is not installed "
                                 f"in {sys.executable}: pip install {package}") from None
        if hasattr(gym, "register_envs"):
            gym.register_envs(imported)  # Gymnasium ≥ 1.0: makes the import's registration explicit
        return
    # The ALE's unprefixed ids (PongNoFrameskip-v4, Breakout-v4, as CleanRL names them) exist once ale_py is imported.
    if env_id not in gym.registry and importlib.util.find_spec("ale_py") is not None:
        imported = importlib.import_module("ale_py")
        if hasattr(gym, "register_envs"):
            gym.register_envs(imported)
