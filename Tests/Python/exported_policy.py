"""Acts with a policy written by `reverie export`, in numpy alone, through
reverie_envs.load_policy (imported from the checkout's envs/): reads
observations as JSON on stdin, prints {"actions": …, "values": …}.

    python Tests/Python/exported_policy.py policy.safetensors < observations.json
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "envs"))

from reverie_envs import load_policy  # noqa: E402

policy = load_policy(sys.argv[1])
observations = json.load(sys.stdin)
print(json.dumps({"actions": policy.act(observations).tolist(), "values": policy.value(observations).tolist(),
                  "description": policy.description}))
