"""Decodes a PNG with Pillow and prints one JSON object: its size, mode and
RGB bytes as hex (used by Tests/ReverieTrainingTests to check the PNGs
Reverie writes)."""
import json
import sys

from PIL import Image


def main(path):
    image = Image.open(path)
    image.load()
    print(json.dumps({"width": image.width, "height": image.height, "mode": image.mode,
                      "pixels": image.convert("RGB").tobytes().hex()}))


if __name__ == "__main__":
    main(sys.argv[1])
