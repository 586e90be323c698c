#!/usr/bin/env python3
"""End-to-end transfer benchmark: ferry against sendme, on loopback.

For each case, a fresh sender and receiver (fresh data dirs, fresh target
folder) run as separate processes. Time runs from the moment the sender
is started to the moment the receiver exits with every file on disk, so it
includes hashing/importing on the sender. Peak RSS of each process comes
from wait4(2).

Cases:
  a    one 1 GiB file
  a256 one 256 MiB file (receiver memory must not grow with file size)
  b    10,000 files of 4 KiB in 20 folders

Usage: bench/bench.py [--runs N] [--cases a,a256,b] [--dir DIR]
Needs: a release build of ferry (cargo build --release -p ferry-cli) and
sendme 0.37 (scripts/test.sh installs it under ~/.cache/ferry/tools).
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

from ferrybench import CACHE, FERRY, MIB
SENDME = os.environ.get("SENDME_BIN", os.path.join(CACHE, "tools", "bin", "sendme"))
LOOPBACK_SENDME = ["--relay", "disabled", "--magic-ipv4-addr", "127.0.0.1:0", "--no-progress"]


def make_data(root):
    """Creates the inputs once; returns {case: (path, files, bytes)}."""
    os.makedirs(root, exist_ok=True)
    cases = {}
    for name, size in (("a", 1024 * MIB), ("a256", 256 * MIB)):
        path = os.path.join(root, f"case-{name}", f"big-{name}.bin")
        if not os.path.exists(path) or os.path.getsize(path) != size:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                left = size
                while left:
                    chunk = min(left, 16 * MIB)
                    f.write(os.urandom(chunk))
                    left -= chunk
        cases[name] = (path, 1, size)
    many = os.path.join(root, "case-b", "many")
    marker = os.path.join(root, "case-b", ".complete")
    if not os.path.exists(marker):
        shutil.rmtree(many, ignore_errors=True)
        for d in range(20):
            folder = os.path.join(many, f"folder-{d:02}")
            os.makedirs(folder)
            for i in range(500):
                with open(os.path.join(folder, f"file-{i:04}.dat"), "wb") as f:
                    f.write(os.urandom(4096))
        open(marker, "w").close()
    cases["b"] = (many, 10_000, 10_000 * 4096)
    return cases


def wait_rss(proc):
    """Waits for a child; returns (exit status, peak RSS in MiB)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024


def run_ferry(src, work):
    env = dict(os.environ, FERRY_RELAY="disabled", FERRY_BIND="127.0.0.1:0")
    env.pop("RUST_LOG", None)
    out = os.path.join(work, "out")
    t0 = time.perf_counter()
    sender = subprocess.Popen(
        [FERRY, "--json", "--data-dir", os.path.join(work, "s"), "send", src, "--once"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    ticket = json.loads(sender.stdout.readline())["ticket"]
    receiver = subprocess.Popen(
        [FERRY, "--json", "--data-dir", os.path.join(work, "r"), "receive", ticket, "--out", out],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    rcode, rrss = wait_rss(receiver)
    elapsed = time.perf_counter() - t0
    scode, srss = wait_rss(sender)
    if rcode != 0 or scode != 0:
        raise RuntimeError(f"ferry failed: receiver {rcode}, sender {scode}")
    return elapsed, srss, rrss, out


def run_sendme(src, work):
    out = os.path.join(work, "out")
    os.makedirs(out)
    t0 = time.perf_counter()
    sender = subprocess.Popen(
        [SENDME, "send", src, *LOOPBACK_SENDME, "--ticket-type", "addresses"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        cwd=work, text=True)
    ticket = None
    for line in sender.stdout:
        m = re.search(r"\b(blob[a-z0-9]+)", line)
        if m:
            ticket = m.group(1)
            break
    if ticket is None:
        raise RuntimeError("sendme printed no ticket")
    receiver = subprocess.Popen(
        [SENDME, "receive", ticket, *LOOPBACK_SENDME],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=out)
    rcode, rrss = wait_rss(receiver)
    elapsed = time.perf_counter() - t0
    sender.send_signal(signal.SIGINT)
    try:
        _, srss = wait_rss(sender)
    except ChildProcessError:
        srss = float("nan")
    if rcode != 0:
        raise RuntimeError(f"sendme receive failed: {rcode}")
    return elapsed, srss, rrss, out


def disk_counters():
    """Sum of completed reads, writes and discards and in-flight I/Os of all
    block devices (from /proc/diskstats); None where that is not readable."""
    try:
        with open("/proc/diskstats") as f:
            rows = [line.split() for line in f]
    except OSError:
        return None
    total = []
    for row in rows:
        if row[2].startswith(("loop", "ram", "zram")):
            continue
        fields = [int(x) for x in row[3:]]
        # reads, writes, in flight, discards (newer kernels)
        total.append((fields[0], fields[4], fields[8], fields[14] if len(fields) > 14 else 0))
    return tuple(map(sum, zip(*total))) if total else None


def settle(min_secs, quiet_secs=3.0, max_secs=120.0):
    """Flushes and waits until the disks have done no I/O for quiet_secs
    (discard and journal work after deleting 10,000 files can keep a disk
    busy for many seconds), at least min_secs and at most max_secs."""
    subprocess.run(["sync"])
    start = time.monotonic()
    last, quiet_since = disk_counters(), time.monotonic()
    while True:
        time.sleep(0.25)
        now = time.monotonic()
        cur = disk_counters()
        if cur is None:
            time.sleep(max(0.0, min_secs - (now - start)))
            return
        if cur != last or cur[2] != 0:
            last, quiet_since = cur, now
        if now - start >= max_secs:
            return
        if now - start >= min_secs and now - quiet_since >= quiet_secs:
            return


# How long ext4 avoids reusing a freed inode (60 s, or 360 s while its inode
# table block is dirty), plus a margin.
INODE_QUARANTINE = 400.0


def cleanup(bench_dir):
    """Removes all run outputs and notes when, for wait_for_freed_inodes."""
    work = os.path.join(bench_dir, "work")
    if os.path.exists(work):
        shutil.rmtree(work, ignore_errors=True)
        with open(os.path.join(bench_dir, ".last-cleanup"), "w") as f:
            f.write(f"{time.time()}\n")


def wait_for_freed_inodes(bench_dir):
    """Waits until outputs deleted by an earlier run no longer slow down
    creating files (see INODE_QUARANTINE)."""
    try:
        with open(os.path.join(bench_dir, ".last-cleanup")) as f:
            since = time.time() - float(f.read())
    except (OSError, ValueError):
        return
    if since < INODE_QUARANTINE:
        left = INODE_QUARANTINE - since
        print(f"# waiting {left:.0f} s: an earlier run freed many inodes, and creating "
              "files next to recently freed inodes is slow on ext4 without a journal",
              file=sys.stderr, flush=True)
        time.sleep(left)


def tree_size(path):
    total = files = 0
    for root, _, names in os.walk(path):
        if os.path.basename(root).startswith((".ferry-partial", ".sendme")):
            continue
        for n in names:
            if n.startswith(".sendme"):
                continue
            total += os.path.getsize(os.path.join(root, n))
            files += 1
    return files, total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cases", default="a,a256,b")
    ap.add_argument("--dir", default=os.path.join(CACHE, "bench"))
    ap.add_argument("--settle", type=float, default=2.0,
                    help="least seconds to wait after each run's cleanup; the wait goes on "
                         "until the disks have been idle for 3 s")
    args = ap.parse_args()
    for tool in (FERRY, SENDME):
        if not os.access(tool, os.X_OK):
            sys.exit(f"missing {tool}: build ferry with `cargo build --release -p ferry-cli` "
                     "and install sendme with scripts/test.sh")
    cases = make_data(os.path.join(args.dir, "data"))
    cleanup(args.dir)
    wait_for_freed_inodes(args.dir)
    settle(args.settle)
    print(f"# machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.platform()}")
    print(f"# runs per case: {args.runs} (median shown)\n")
    print("| case | tool | seconds | MiB/s | sender peak RSS MiB | receiver peak RSS MiB | all runs (s) |")
    print("|---|---|---:|---:|---:|---:|---|")
    summary = {}
    for case in args.cases.split(","):
        src, files, size = cases[case]
        tools = (("ferry", run_ferry), ("sendme", run_sendme))
        results = {name: [] for name, _ in tools}
        # Interleave the tools so slow phases of the machine hit both alike.
        for i in range(args.runs):
            for name, fn in tools:
                work = os.path.join(args.dir, "work", f"{case}-{name}-{i}")
                shutil.rmtree(work, ignore_errors=True)
                os.makedirs(work)
                elapsed, srss, rrss, out = fn(src, work)
                got_files, got_bytes = tree_size(out)
                if (got_files, got_bytes) != (files, size):
                    raise RuntimeError(f"{name} {case}: got {got_files} files / {got_bytes} B")
                results[name].append((elapsed, srss, rrss))
                settle(args.settle)
        # Outputs are removed only once the case is done: on ext4 without a
        # journal, creating a file skips every inode freed in the last 1-6
        # minutes one by one, so deleting 10,000 files right before a run
        # makes that run's file creation quadratic (seconds, for either tool).
        cleanup(args.dir)
        settle(args.settle)
        for name, _ in tools:
            runs = results[name]
            secs = statistics.median(r[0] for r in runs)
            srss = max(r[1] for r in runs)
            rrss = max(r[2] for r in runs)
            summary[(case, name)] = secs
            all_secs = ", ".join(f"{r[0]:.2f}" for r in runs)
            print(f"| {case} | {name} | {secs:.2f} | {size / MIB / secs:.0f} | {srss:.0f} | {rrss:.0f} | {all_secs} |",
                  flush=True)
    print()
    for case in args.cases.split(","):
        if (case, "ferry") in summary and (case, "sendme") in summary:
            ratio = summary[(case, "sendme")] / summary[(case, "ferry")]
            print(f"case {case}: ferry is {ratio:.2f}x as fast as sendme")


if __name__ == "__main__":
    main()
