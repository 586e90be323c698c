#!/usr/bin/env python3
"""Collections benchmark, two paired devices on loopback, relays disabled.

1. Initial sync: a collection of FILES files (MIB MiB in all) is created on
   one device; a second device accepts it and runs `ferry listen`. Timed
   from starting both listeners to the last file complete in the new
   member's folder. Reference: a one-shot `ferry send` / `ferry receive` of
   the same folder.
2. Propagation: with both listening, CHANGES small files are written one
   after another on the first device; each is timed from its write to its
   appearance (complete) in the other folder. p50 and p95.
3. Memory: resident set size of each device's idle `ferry listen`
   holding the collection, after the sync and the changes settled.
4. Restarts: both listeners are stopped, each side changes a file, and
   both start again at once, RESTARTS times; timed from the start to both
   changes complete on the other side.
5. Disk: what each device's data dir takes (allocated blocks, as `du`
   counts) after the create and after the first sync, against the folder's
   size: the folder is the only copy of the content.

Usage: bench/collections.py [--files N] [--mib N] [--changes N] [--restarts N] [--dir DIR] [--keep]
Needs a release build: cargo build --release -p ferry-cli
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from ferrybench import (CACHE, FERRY, MIB, drain, du, du_parts, ferry, make_tree, pair, propagate, rss_mib,
                        run, tree_files, wait_tree)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--restarts", type=int, default=10)
    ap.add_argument("--dir", default=os.path.join(CACHE, "bench-collections"))
    ap.add_argument("--keep", action="store_true", help="leave the devices' data dirs and folders in DIR")
    args = ap.parse_args()
    if not os.access(FERRY, os.X_OK):
        sys.exit(f"missing {FERRY}: cargo build --release -p ferry-cli")
    shutil.rmtree(args.dir, ignore_errors=True)
    os.makedirs(args.dir)
    src = os.path.join(args.dir, "src")
    total = make_tree(src, args.files, args.mib * MIB)
    laptop, desktop = os.path.join(args.dir, "laptop"), os.path.join(args.dir, "desktop")
    pair(laptop, desktop)

    # Reference: one-shot send of the same folder.
    sender = ferry(os.path.join(args.dir, "sender"), "send", src, "--once")
    ticket = json.loads(sender.stdout.readline())["ticket"]
    out = os.path.join(args.dir, "received")
    t0 = time.perf_counter()
    run(os.path.join(args.dir, "receiver"), "receive", ticket, "--out", out)
    send_secs = time.perf_counter() - t0
    sender.wait()

    t0 = time.perf_counter()
    run(laptop, "collection", "create", "bench", "--dir", src)
    create_secs = time.perf_counter() - t0
    created_du = du(laptop)
    # The desktop listens and accepts the invitation at once.
    shared = os.path.join(args.dir, "shared")
    b = ferry(desktop, "listen", "--accept", "trusted", "--out", os.path.join(args.dir, "inbox-b"),
              "--collections-dir", shared)
    json.loads(b.stdout.readline())
    drain(b)
    run(laptop, "collection", "invite", "bench", "Desktop")
    mirror = os.path.join(shared, "bench")
    subprocess.run(["sync"], check=False)
    expected = tree_files(src)

    t0 = time.perf_counter()
    a = ferry(laptop, "listen", "--out", os.path.join(args.dir, "inbox-a"))
    drain(a)
    done = wait_tree(mirror, expected, 1800)
    sync_secs = done - t0
    time.sleep(3)
    synced_du = (du(laptop), du(desktop))
    synced_parts = (du_parts(laptop), du_parts(desktop))

    # Propagation of single small changes.
    lat = propagate(src, mirror, args.changes, timeout=30)

    time.sleep(5)
    idle_rss = (rss_mib(a.pid), rss_mib(b.pid))

    # Restarts: both stop, both change a file, both start at once.
    listen_b = ["listen", "--accept", "trusted", "--out", os.path.join(args.dir, "inbox-b"),
                "--collections-dir", shared]
    listen_a = ["listen", "--out", os.path.join(args.dir, "inbox-a")]
    converge = []
    for r in range(args.restarts):
        for p in (a, b):
            p.terminate()
            p.wait()
        mine, theirs = f"restart-a-{r}.txt".encode(), f"restart-b-{r}.txt".encode()
        with open(os.path.join(src, mine.decode()), "wb") as f:
            f.write(mine)
        with open(os.path.join(mirror, theirs.decode()), "wb") as f:
            f.write(theirs)
        t = time.perf_counter()
        a, b = ferry(laptop, *listen_a), ferry(desktop, *listen_b)
        drain(a)
        drain(b)
        want = ((os.path.join(mirror, mine.decode()), mine), (os.path.join(src, theirs.decode()), theirs))
        while True:
            try:
                if all(open(path, "rb").read() == body for path, body in want):
                    break
            except OSError:
                pass
            if time.perf_counter() - t > 120:
                sys.exit(f"restart {r}: the members did not converge in 120 s")
            time.sleep(0.01)
        converge.append(time.perf_counter() - t)
    for p in (a, b):
        p.terminate()
        p.wait()

    lat.sort()
    p50 = statistics.median(lat)
    p95 = lat[int(len(lat) * 0.95) - 1]
    print(f"initial sync: {args.files} files, {total / MIB:.0f} MiB")
    print(f"  collection create (import): {create_secs:.1f} s")
    print(f"  new member filled up:       {sync_secs:.1f} s ({total / MIB / sync_secs:.0f} MiB/s)")
    print(f"  ferry send/receive (ref.):  {send_secs:.1f} s")
    print(f"propagation of one small change, {args.changes} changes: "
          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
    print(f"idle node holding the collection: RSS {idle_rss[0]:.0f} MiB (creator), "
          f"{idle_rss[1]:.0f} MiB (member)")
    if converge:
        converge.sort()
        print(f"both restarted at once, {len(converge)} times, to converged: "
              f"p50 {statistics.median(converge):.1f} s, max {converge[-1]:.1f} s")
    pct = lambda n: f"{n / MIB:.1f} MiB ({100 * n / total:.2f} % of the folder)"
    print(f"data dir, creator after create: {pct(created_du)}")
    print(f"data dir after the first sync:  creator {pct(synced_du[0])}, member {pct(synced_du[1])}")
    print(f"  creator (MiB): {synced_parts[0]}")
    print(f"  member (MiB):  {synced_parts[1]}")
    if not args.keep:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()
