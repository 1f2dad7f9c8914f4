#!/usr/bin/env python3
"""Serve any Gymnasium environment over ZeroMQ with the Reverie protocol
(envs/PROTOCOL.md): the bridge of the ``reverie_envs`` package, run from a
clone without installing it (installed: ``python -m reverie_envs.gymnasium_server``
or ``reverie-gymnasium-server``). ``--help`` lists its options.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from reverie_envs.gymnasium_server import main  # noqa: E402

if __name__ == "__main__":
    main()
