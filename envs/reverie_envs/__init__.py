"""The Python side of Reverie (``pip install ./envs``):

- ``RemoteVectorEnv``: a client for any server speaking envs/PROTOCOL.md
  (``reverie serve``, the Gymnasium bridge, a server in another language);
- ``ReverieVectorEnv`` and ``ReverieEnv``: the same as Gymnasium's
  ``VectorEnv`` and ``Env``, for CleanRL, Stable-Baselines3 or RLlib code;
- ``gymnasium_server``: the bridge serving any Gymnasium env
  (``python -m reverie_envs.gymnasium_server CartPole-v1 --num-envs 8``);
- ``load_safetensors`` and ``load_policy``: Reverie's checkpoints and
  exported policies (`reverie export`) in numpy;
- ``wire``: the protocol's message encoding, shared by both sides.
"""
from .client import HandshakeFailed, RemoteVectorEnv, ServerError, ServerRestarted, ServerUnreachable, VectorStep
from .gymnasium_envs import ReverieEnv, ReverieVectorEnv, space_from_wire
from .policy import Policy, load_policy, load_safetensors

__all__ = ["RemoteVectorEnv", "VectorStep", "ServerUnreachable", "HandshakeFailed", "ServerError", "ServerRestarted",
           "ReverieEnv", "ReverieVectorEnv", "space_from_wire", "Policy", "load_policy", "load_safetensors"]
