"""Runs a command with its stderr on a new pseudo-terminal (stdout on a
pipe) and prints, as JSON, its exit status and everything written to the
terminal. Used by TrainCommandTests to see the progress line as a user at a
terminal sees it.

    python run_on_terminal.py [--timeout SECONDS] COMMAND [ARG ...]
"""
import json
import os
import subprocess
import sys
import threading


def main():
    args = sys.argv[1:]
    timeout = 600.0
    if args[:1] == ["--timeout"]:
        timeout, args = float(args[1]), args[2:]
    master, slave = os.openpty()
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)  # the child's copy is the only one left: reading ends (EIO) when it exits
    stdout = []
    drain = threading.Thread(target=lambda: stdout.append(process.stdout.read()))
    drain.start()
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        status = process.wait()
    drain.join()
    os.close(master)
    json.dump({"status": status, "terminal": b"".join(chunks).decode("utf-8", "replace"),
               "stdout": b"".join(stdout).decode("utf-8", "replace")}, sys.stdout)


if __name__ == "__main__":
    main()
