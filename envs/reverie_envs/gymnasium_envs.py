"""Environments served over Reverie's protocol as Gymnasium environments, so
that CleanRL, Stable-Baselines3 or RLlib code steps any env a Reverie server
or the Gymnasium bridge serves — the built-in ones included
(``reverie serve CartPole-v1 --num-envs 8``):

    from reverie_envs import ReverieEnv, ReverieVectorEnv
    envs = ReverieVectorEnv("tcp://127.0.0.1:5555")   # gymnasium.vector.VectorEnv, same-step autoreset
    env = ReverieEnv("tcp://127.0.0.1:5556")          # gymnasium.Env over a server of one env

Neither asks the server to close when closed: it serves on for other clients.
"""
import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from .client import RemoteVectorEnv


def bound(value, shape):
    """A Box bound of the protocol (one number or a flat list; infinities as strings) as an array."""
    flat = np.asarray([float(v) for v in (value if isinstance(value, list) else [value])], np.float64)
    return np.broadcast_to(flat, (int(np.prod(shape)),)).reshape(shape) if flat.size == 1 else flat.reshape(shape)


def space_from_wire(space):
    """The Gymnasium space of a protocol space object (envs/PROTOCOL.md, "Spaces")."""
    kind = space["type"]
    if kind == "box":
        shape = tuple(space["shape"])
        dtype = np.dtype(bool if space["dtype"] == "bool" else space["dtype"])
        return gymnasium.spaces.Box(bound(space["low"], shape).astype(dtype), bound(space["high"], shape).astype(dtype),
                                    shape, dtype)
    if kind == "discrete":
        return gymnasium.spaces.Discrete(space["n"], start=space.get("start", 0))
    if kind == "multi_discrete":
        return gymnasium.spaces.MultiDiscrete(space["nvec"])
    raise ValueError(f"space type {kind!r} has no Gymnasium counterpart here")


class ReverieVectorEnv(VectorEnv):
    """One server's N envs as a Gymnasium vector env. The server resets an
    ended episode in the same step (Gymnasium's ``AutoresetMode.SAME_STEP``):
    the next episode's first observation is returned, and the ended one's last
    is in ``infos["final_obs"]`` (masked by ``infos["_final_obs"]``). Numeric
    infos the server sends (ALE's ``lives``) are ``infos[key]``. Reverie seeds
    env i with seed + i."""

    def __init__(self, endpoint, timeout_ms=5000, retries=2, curve_server_key=None, curve_client_key=None):
        self.client = RemoteVectorEnv(endpoint, timeout_ms, retries, curve_server_key, curve_client_key)
        self.num_envs = self.client.num_envs
        self.single_observation_space = space_from_wire(self.client.observation_space)
        self.single_action_space = space_from_wire(self.client.action_space)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        fps = self.client.spec.get("metadata", {}).get("render_fps")
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP, **({"render_fps": fps} if fps else {})}
        self.render_mode = "rgb_array" if self.client.spec.get("render") else None

    def reset(self, *, seed=None, options=None):
        if isinstance(seed, (list, tuple)):
            if list(seed) != list(range(seed[0], seed[0] + self.num_envs)):
                raise ValueError("a served vector env seeds env i with seed + i: give one int (or [s, s + 1, …])")
            seed = seed[0]
        observations = self.client.reset(seed=seed)
        return observations, self._numeric_infos(self.client.infos)

    def step(self, actions):
        step = self.client.step(np.asarray(actions))
        infos = self._numeric_infos(step.infos)
        if step.final_observations:
            final = np.empty(self.num_envs, dtype=object)
            for i, observation in step.final_observations.items():
                final[i] = observation
            infos["final_obs"] = final
            infos["_final_obs"] = np.array([i in step.final_observations for i in range(self.num_envs)])
        return step.observations, step.rewards, step.terminated, step.truncated, infos

    def render(self):
        if self.render_mode is None:
            return None
        return tuple(self.client.render(i) for i in range(self.num_envs))

    def close_extras(self, **kwargs):
        self.client.disconnect()

    def _numeric_infos(self, infos):
        out = {}
        for key, values in infos.items():
            out[key] = values
            out["_" + key] = np.ones(self.num_envs, dtype=bool)
        return out


class ReverieEnv(gymnasium.Env):
    """A server of one env as a Gymnasium env (``reverie serve ENV --num-envs 1``,
    or the bridge's default). The server resets an ended episode itself; its
    next episode's first observation is what the following ``reset()`` returns
    (a seeded ``reset`` asks the server anew)."""

    def __init__(self, endpoint, timeout_ms=5000, retries=2, curve_server_key=None, curve_client_key=None):
        self.client = RemoteVectorEnv(endpoint, timeout_ms, retries, curve_server_key, curve_client_key)
        if self.client.num_envs != 1:
            raise ValueError(f"{endpoint} serves {self.client.num_envs} envs; ReverieEnv steps one "
                             "(use ReverieVectorEnv, or serve with --num-envs 1)")
        self.observation_space = space_from_wire(self.client.observation_space)
        self.action_space = space_from_wire(self.client.action_space)
        fps = self.client.spec.get("metadata", {}).get("render_fps")
        self.metadata = {"render_modes": ["rgb_array"] if self.client.spec.get("render") else [],
                         **({"render_fps": fps} if fps else {})}
        self.render_mode = None
        self._next = None  # the next episode's first observation, after the server's autoreset

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if seed is None and self._next is not None:
            observation, self._next = self._next, None
            return observation, {}
        self._next = None
        return self.client.reset(seed=seed)[0], {key: values[0] for key, values in self.client.infos.items()}

    def step(self, action):
        step = self.client.step(np.asarray([action]))
        terminated, truncated = bool(step.terminated[0]), bool(step.truncated[0])
        observation = step.observations[0]
        if terminated or truncated:
            self._next, observation = observation, step.final_observations[0]
        return observation, float(step.rewards[0]), terminated, truncated, {key: values[0] for key, values in step.infos.items()}

    def render(self):
        return self.client.render(0)

    def close(self):
        self.client.disconnect()
