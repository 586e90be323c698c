#!/usr/bin/env python3
"""Local API benchmark: how fast a running node answers scripts and the CLI.

Starts `ferry listen` on a fresh data dir (relays disabled, loopback) and
measures:
- the latency of one JSON-RPC call (`devices.list`) over HTTP and over the
  Unix socket, each on one kept-alive connection;
- the calls per second 50 concurrent HTTP clients get (`node.settings`);
- the wall time of `ferry devices` going through the running node, against
  the same command on a data dir no node owns (which starts its own).

Usage: bench/api.py [--calls N] [--runs N] [--dir DIR]
Needs a release build: cargo build --release -p ferry-cli
(or FERRY_BIN=path/to/ferry for another build).
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from ferrybench import ENV, FERRY, ferry


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the node's Unix socket."""

    def __init__(self, path):
        super().__init__("localhost")
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


def call(conn, token, method, params=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}})
    conn.request("POST", "/rpc", body, {"Authorization": f"Bearer {token}",
                                         "Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    if "error" in answer:
        sys.exit(f"{method} failed: {answer['error']}")
    return answer["result"]


def latencies(conn, token, calls):
    call(conn, token, "devices.list")  # connect and warm up
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        call(conn, token, "devices.list")
        out.append((time.perf_counter() - start) * 1000)
    out.sort()
    return out


def show(label, ms):
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{label:<28} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   ({len(ms)} calls)")


def timed(data_dir, *args):
    start = time.perf_counter()
    done = subprocess.run([FERRY, "--json", "--data-dir", data_dir, *args], env=ENV,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"ferry {' '.join(args)} failed: {done.stderr}")
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    if not os.path.exists(FERRY):
        sys.exit(f"no ferry at {FERRY}: cargo build --release -p ferry-cli, or set FERRY_BIN")
    root = args.dir or tempfile.mkdtemp(prefix="ferry-api-bench-")
    owned, alone = os.path.join(root, "owned"), os.path.join(root, "alone")

    listen = ferry(owned, "listen", "--accept", "never", "--out", root)
    try:
        for line in listen.stdout:
            if json.loads(line).get("event") == "listening":
                break
        endpoint = json.load(open(os.path.join(owned, "api.json")))
        token = open(os.path.join(owned, "api-token")).read().strip()
        host, port = endpoint["http"].rsplit(":", 1)

        show("HTTP, one connection", latencies(http.client.HTTPConnection(host, int(port)),
                                               token, args.calls))
        show("Unix socket, one connection",
             latencies(UnixConnection(endpoint["socket"]), token, args.calls))

        clients, each = 50, 40

        def client(_):
            conn = http.client.HTTPConnection(host, int(port))
            for _ in range(each):
                call(conn, token, "node.settings")

        start = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(client, range(clients)))
        took = time.perf_counter() - start
        print(f"{clients} clients x {each} calls        {clients * each / took:8.0f} calls/s "
              f"({took:.2f} s)")

        timed(owned, "devices")
        routed = [timed(owned, "devices") for _ in range(args.runs)]
        timed(alone, "devices")
        own = [timed(alone, "devices") for _ in range(args.runs)]
        print(f"ferry devices, routed        median {statistics.median(routed) * 1000:6.0f} ms")
        print(f"ferry devices, own node      median {statistics.median(own) * 1000:6.0f} ms")
    finally:
        listen.send_signal(signal.SIGINT)
        listen.wait(timeout=30)
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
