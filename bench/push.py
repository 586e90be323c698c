#!/usr/bin/env python3
"""Push benchmark: a 100 MiB push between two paired devices on loopback.

Pairs two fresh data dirs with `ferry pair`, turns auto-accept on, runs
`ferry listen --accept trusted` on the receiving one, then times
`ferry push` runs: from starting the push command to the first byte on
the receiver's disk (its partial file growing), and to the file complete
(the listener's `done` event). Relays are disabled.

Usage: bench/push.py [--runs N] [--mib N] [--dir DIR]
Needs a release build: cargo build --release -p ferry-cli
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

from ferrybench import CACHE, FERRY, MIB, ENV, ferry


def events(proc):
    for line in proc.stdout:
        if line.strip():
            yield json.loads(line)


def pair(laptop, phone):
    shower = ferry(phone, "--name", "Phone", "pair", "--timeout", "60")
    ticket = next(events(shower))["ticket"]
    joiner = ferry(laptop, "--name", "Laptop", "pair", ticket)
    if joiner.wait() != 0 or shower.wait() != 0:
        sys.exit("pairing failed")
    subprocess.run([FERRY, "--data-dir", phone, "devices", "set", "Laptop", "--auto-accept", "on"],
                   env=ENV, check=True, stdout=subprocess.DEVNULL)


def first_byte(partial_dir, stop, found):
    """Polls the receiver's partial folder until a file has bytes."""
    while not stop.is_set():
        try:
            for name in os.listdir(partial_dir):
                if os.path.getsize(os.path.join(partial_dir, name)) > 0:
                    found.append(time.perf_counter())
                    return
        except OSError:
            pass
        time.sleep(0.0005)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mib", type=int, default=100)
    ap.add_argument("--dir", default=os.path.join(CACHE, "bench-push"))
    args = ap.parse_args()
    if not os.access(FERRY, os.X_OK):
        sys.exit(f"missing {FERRY}: cargo build --release -p ferry-cli")
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    src = os.path.join(args.dir, "film.bin")
    with open(src, "wb") as f:
        for _ in range(args.mib):
            f.write(os.urandom(MIB))
    laptop, phone = os.path.join(args.dir, "laptop"), os.path.join(args.dir, "phone")
    out = os.path.join(args.dir, "out")
    pair(laptop, phone)
    listener = ferry(phone, "listen", "--accept", "trusted", "--out", out)
    stream = events(listener)
    for e in stream:
        if e["event"] == "listening":
            break
    rows = []
    for _ in range(args.runs):
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(os.path.join(out, ".ferry-partial"))
        stop, found = threading.Event(), []
        poller = threading.Thread(target=first_byte,
                                  args=(os.path.join(out, ".ferry-partial"), stop, found))
        poller.start()
        t0 = time.perf_counter()
        pusher = ferry(laptop, "push", "Phone", src)
        for e in stream:
            if e["event"] == "done":
                break
        t_done = time.perf_counter()
        stop.set()
        poller.join()
        if pusher.wait() != 0:
            sys.exit("push failed")
        if os.path.getsize(os.path.join(out, "film.bin")) != args.mib * MIB:
            sys.exit("the pushed file is incomplete")
        rows.append((found[0] - t0 if found else float("nan"), t_done - t0))
    listener.terminate()
    listener.wait()
    first = statistics.median(r[0] for r in rows)
    done = statistics.median(r[1] for r in rows)
    print(f"# {args.mib} MiB push on loopback, {args.runs} runs (median)")
    print("| measure | seconds | all runs (s) |")
    print("|---|---:|---|")
    print(f"| push start → first byte on the receiver | {first:.3f} | "
          + ", ".join(f"{r[0]:.3f}" for r in rows) + " |")
    print(f"| push start → done | {done:.3f} | " + ", ".join(f"{r[1]:.3f}" for r in rows) + " |")
    print(f"\nthroughput: {args.mib / done:.0f} MiB/s end to end")


if __name__ == "__main__":
    main()
