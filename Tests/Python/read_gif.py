"""Decodes a GIF with Pillow and prints one JSON object: its size, frame
count, per-frame delay and every frame's RGB bytes as hex (used by
Tests/ReverieTrainingTests to check the GIFs Reverie writes)."""
import json
import sys

from PIL import Image, ImageSequence


def main(path):
    image = Image.open(path)
    frames = [frame.convert("RGB").tobytes().hex() for frame in ImageSequence.Iterator(image)]
    print(json.dumps({"width": image.width, "height": image.height, "frames": frames,
                      "duration_ms": image.info.get("duration"), "loop": image.info.get("loop")}))


if __name__ == "__main__":
    main(sys.argv[1])
