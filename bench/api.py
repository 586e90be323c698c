#!/usr/bin/env python3
"""Local API benchmark: how fast a running node answers scripts and the CLI.

Starts `ferry listen` on a fresh data dir (relays disabled, loopback) and
measures:
- the latency of one JSON-RPC call (`devices.list`) over HTTP and over the
  Unix socket, each on one kept-alive connection;
- the calls per second 50 concurrent HTTP clients get (`node.settings`);
- the wall time of `ferry devices` going through the running node, against
  the same command on a data dir no node owns (which starts its own);
- the latency of `node.info` from the token holder, each call on a new
  connection (as the CLI makes them) and on one kept-alive connection,
  while another client holds N idle and N slowloris connections (headers
  sent a byte at a time, never finished) and reopens each one the server
  closes, against the same without them. `ferry listen` runs with 1024
  open files at most (what a desktop session gives a process), unless
  --nofile says otherwise.

Usage: bench/api.py [--calls N] [--runs N] [--flood N] [--nofile N] [--dir DIR]
Needs a release build: cargo build --release -p ferry-cli
(or FERRY_BIN=path/to/ferry for another build).
"""

import argparse
import asyncio
import concurrent.futures
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from ferrybench import ENV, FERRY, ferry


class UnixConnection(http.client.HTTPConnection):
    """HTTP over the node's Unix socket."""

    def __init__(self, path, timeout=None):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.socket_path)


def call(conn, token, method, params=None):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}})
    conn.request("POST", "/rpc", body, {"Authorization": f"Bearer {token}",
                                         "Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    if "error" in answer:
        sys.exit(f"{method} failed: {answer['error']}")
    return answer["result"]


def latencies(conn, token, calls, method="devices.list"):
    call(conn, token, method)  # connect and warm up
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        call(conn, token, method)
        out.append((time.perf_counter() - start) * 1000)
    out.sort()
    return out


def show(label, ms, unanswered=0):
    if unanswered:
        print(f"{label:<46} {unanswered} of {unanswered + len(ms)} calls got no answer")
        if not ms:
            return
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{label:<46} p50 {p50:6.3f} ms   p99 {p99:6.3f} ms   ({len(ms)} calls)")


def fresh_latencies(connect, token, calls):
    """Each call on a new connection, as the CLI and ApiClient make them.
    A call that fails or times out is counted as unanswered."""
    out, unanswered = [], 0
    for _ in range(calls):
        start = time.perf_counter()
        try:
            conn = connect()
            call(conn, token, "node.info")
            conn.close()
        except (OSError, http.client.HTTPException):
            unanswered += 1
            continue
        out.append((time.perf_counter() - start) * 1000)
    out.sort()
    return out, unanswered


class Flood:
    """Holds `idle` connections that send nothing and `slow` ones that send
    a request's headers a byte every 200 ms, never finishing; each one the
    server closes is reopened after 200 ms. Runs in its own thread."""

    HEAD = b"POST /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Never-Ends: "

    def __init__(self, host, port, idle, slow):
        self.host, self.port, self.idle, self.slow = host, port, idle, slow
        self.opened = 0
        self.closed_by_server = 0
        self.loop = asyncio.new_event_loop()
        self.stopping = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.thread.start()
        # Until every connection was opened (or tried) once.
        deadline = time.time() + 60
        while self.opened < self.idle + self.slow and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(1)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(timeout=30)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._main())

    async def _main(self):
        self.stopping = asyncio.Event()
        tasks = [asyncio.ensure_future(self._hold(i >= self.idle))
                 for i in range(self.idle + self.slow)]
        await self.stopping.wait()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _hold(self, slow):
        while True:
            try:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), 3)
            except (OSError, asyncio.TimeoutError):
                self.opened += 1
                await asyncio.sleep(0.2)
                continue
            self.opened += 1
            sent = 0
            try:
                while True:
                    if slow:
                        try:
                            if await asyncio.wait_for(reader.read(512), 0.2) == b"":
                                break
                        except asyncio.TimeoutError:
                            byte = self.HEAD[sent:sent + 1] or b"a"
                            sent += 1
                            writer.write(byte)
                            await writer.drain()
                    elif await reader.read(512) == b"":
                        break
            except OSError:
                pass
            self.closed_by_server += 1
            writer.close()
            await asyncio.sleep(0.2)


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
    parser.add_argument("--flood", type=int, default=2000,
                        help="idle connections, and as many slowloris ones")
    parser.add_argument("--nofile", type=int, default=1024,
                        help="the open files `ferry listen` may have")
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if not os.path.exists(FERRY):
        sys.exit(f"no ferry at {FERRY}: cargo build --release -p ferry-cli, or set FERRY_BIN")
    root = args.dir or tempfile.mkdtemp(prefix="ferry-api-bench-")
    owned, alone = os.path.join(root, "owned"), os.path.join(root, "alone")

    # The open files a desktop session gives a process by default.
    nofile = args.nofile
    listen = ferry(owned, "listen", "--accept", "never", "--out", root,
                   preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE,
                                                         (nofile, nofile)))
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

        calls = max(200, args.calls // 4)

        def holder(label):
            # A call that takes over 5 s counts as unanswered.
            show(f"{label}: HTTP, new conn.", *fresh_latencies(
                lambda: http.client.HTTPConnection(host, int(port), timeout=5), token, calls))
            show(f"{label}: socket, new conn.", *fresh_latencies(
                lambda: UnixConnection(endpoint["socket"], 5), token, calls))
            try:
                show(f"{label}: HTTP, kept alive", latencies(
                    http.client.HTTPConnection(host, int(port), timeout=5), token, calls,
                    "node.info"))
            except (OSError, http.client.HTTPException) as e:
                print(f"{label}: HTTP, kept alive: no answer ({e})")

        holder("node.info alone")
        with Flood(host, int(port), args.flood, args.flood) as flood:
            holder(f"node.info, {args.flood}+{args.flood} held")
            print(f"attack: {flood.opened} connections opened, "
                  f"{flood.closed_by_server} closed by the server")
    finally:
        listen.send_signal(signal.SIGINT)
        listen.wait(timeout=30)
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
