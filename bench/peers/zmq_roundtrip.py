"""Peer for `reverie bench zmq`: the pyzmq REQ/REP round-trip rate over TCP
loopback, with messages shaped like one CartPole step of the protocol
(a ~60-byte JSON header and an 8-byte action; a ~150-byte header and five
small arrays back). The REP side runs in a second process and only echoes
prepared frames, so this is the floor any Python env server pays per step.
Prints one JSON object: round trips per second, median of `repeats` runs.
"""
import json
import multiprocessing
import sys
import time

import zmq

REQUEST = [b'{"v":1,"cmd":"step","seq":1,"arrays":[{"name":"actions","dtype":"int64","shape":[1]}]}', bytes(8)]
REPLY = [b'{"v":1,"seq":1,"final_indices":[],"arrays":[{"name":"observations","dtype":"float32","shape":[1,4]},'
         b'{"name":"rewards","dtype":"float32","shape":[1]},{"name":"terminated","dtype":"bool","shape":[1]},'
         b'{"name":"truncated","dtype":"bool","shape":[1]},{"name":"final_observations","dtype":"float32","shape":[0,4]}]}',
         bytes(16), bytes(4), bytes(1), bytes(1), b""]


def serve(endpoint):
    socket = zmq.Context().socket(zmq.REP)
    socket.bind(endpoint)
    while True:
        if socket.recv_multipart()[0] == b"stop":
            socket.send(b"")
            return
        socket.send_multipart(REPLY)


def roundtrips(socket, count):
    start = time.perf_counter()
    for _ in range(count):
        socket.send_multipart(REQUEST)
        socket.recv_multipart()
    return count / (time.perf_counter() - start)


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    endpoint = sys.argv[3] if len(sys.argv) > 3 else "tcp://127.0.0.1:5599"
    server = multiprocessing.Process(target=serve, args=(endpoint,), daemon=True)
    server.start()
    socket = zmq.Context().socket(zmq.REQ)
    socket.connect(endpoint)
    roundtrips(socket, 1000)  # connect and warm up
    rates = sorted(roundtrips(socket, count) for _ in range(repeats))
    socket.send(b"stop")
    socket.recv()
    server.join()
    print(json.dumps({"peer_name": f"pyzmq {zmq.__version__} REQ/REP (libzmq {zmq.zmq_version()})",
                      "roundtrips_per_s": rates[len(rates) // 2]}))
