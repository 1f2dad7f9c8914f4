"""Prints every scalar of a TensorBoard event file as JSON lines, read with
TensorBoard's own loader (used by Tests/ReverieTrainingTests to check the
files Reverie writes): {"step": 256, "tag": "losses/value_loss", "value": 12.9}, and
text summaries as {"step": 0, "tag": "config", "text": "…"}.

    python Tests/Python/read_tensorboard.py runs/…/events.out.tfevents.…
    python Tests/Python/read_tensorboard.py --run runs/…/

With --run, the whole run folder as TensorBoard shows it: every event file in
order, through its EventAccumulator, which drops the events a later file's
SessionLog START (a resumed run) purges.
"""
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader


def main(path):
    versions = 0
    for event in EventFileLoader(path).Load():
        if event.file_version:
            versions += 1
            assert event.file_version == "brain.Event:2", event.file_version
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "text":
                print(json.dumps({"step": event.step, "tag": value.tag, "text": value.tensor.string_val[0].decode()}))
                continue
            # The loader migrates simple_value into a scalar tensor.
            number = value.simple_value if value.HasField("simple_value") else float(value.tensor.float_val[0])
            print(json.dumps({"step": event.step, "tag": value.tag, "value": number}))
    assert versions == 1, f"expected one file_version event, got {versions}"


def run(directory):
    accumulator = EventAccumulator(directory, size_guidance={"scalars": 0})
    accumulator.Reload()
    for tag in accumulator.Tags()["scalars"]:
        for event in accumulator.Scalars(tag):
            print(json.dumps({"step": event.step, "tag": tag, "value": event.value}))
    # Text summaries (the run's config) as TensorBoard's Text tab reads them: string tensors.
    for tag in accumulator.Tags()["tensors"]:
        for event in accumulator.Tensors(tag):
            if event.tensor_proto.string_val:
                print(json.dumps({"step": event.step, "tag": tag, "text": event.tensor_proto.string_val[0].decode()}))


if __name__ == "__main__":
    run(sys.argv[2]) if sys.argv[1] == "--run" else main(sys.argv[1])
