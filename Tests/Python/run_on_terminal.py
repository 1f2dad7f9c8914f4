"""Runs a command with its stderr on a new pseudo-terminal (stdout on a
pipe) and prints, as JSON, its exit status and everything written to the
terminal. Used by TrainCommandTests to see the progress line as a user at a
terminal sees it.

    python run_on_terminal.py COMMAND [ARG ...]
"""
import json
import os
import subprocess
import sys


def main():
    master, slave = os.openpty()
    process = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)  # the child's copy is the only one left: reading ends (EIO) when it exits
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.stdout.read()
    status = process.wait()
    os.close(master)
    json.dump({"status": status, "terminal": b"".join(chunks).decode("utf-8", "replace"),
               "stdout": stdout.decode("utf-8", "replace")}, sys.stdout)


if __name__ == "__main__":
    main()
