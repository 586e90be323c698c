#!/usr/bin/env python3
"""Ferry's collections side by side with Syncthing, two devices on loopback.

The same generated folder (FILES files, MIB MiB in all) is kept in sync by:
- Ferry: `collection create` on one device, a second device accepts it
  (relays disabled, 127.0.0.1 only);
- Syncthing (Debian's package, installed if missing): two instances on
  127.0.0.1 with global and local discovery, relays, NAT traversal and
  usage reporting off, the file watcher on, once with its default watcher
  delay (10 s) and once with 1 s.

For each, in the same order:
1. Index: the first device takes the folder in (`collection create`; for
   Syncthing the first full scan of the folder, until it is idle).
2. First sync: from sharing the folder with the second device (both
   running) to the last file complete in its folder.
3. Propagation: COUNT small files written one after another on the first
   device, each timed from its write to its appearance (complete) on the
   second. p50 and p95.
4. Disk: each device's state (Ferry's data dir, Syncthing's home with its
   index database) against the folder's size, after the first sync.
5. Memory: resident set size of each device's idle processes (Syncthing's
   monitor and syncing process together), after the changes settled.

Usage: bench/vs_syncthing.py [--files N] [--mib N] [--changes N] [--only ferry|syncthing]
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
import urllib.request
import xml.etree.ElementTree as ET

from ferrybench import CACHE, FERRY, MIB, drain, du, ferry, make_tree, pair, propagate, rss_mib, run, tree_files, wait_tree

API_KEY = "ferry-bench-key"


def ensure_syncthing():
    if shutil.which("syncthing"):
        return
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "syncthing"],
                   check=True, env=env)


def tree_rss_mib(pid):
    """RSS of a process and its descendants (Syncthing runs a monitor
    process and the one that syncs)."""
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            total += rss_mib(p)
            # Children are listed under the thread that started them.
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return total


def percentile(values, q):
    values = sorted(values)
    return values[max(0, int(round(len(values) * q)) - 1)]


class Syncthing:
    """One Syncthing instance on 127.0.0.1, driven through its REST API."""

    def __init__(self, home, gui_port, port):
        self.home, self.gui, self.port = home, f"127.0.0.1:{gui_port}", port
        subprocess.run(["syncthing", "generate", f"--home={home}", "--no-default-folder",
                        "--skip-port-probing"], check=True, capture_output=True)
        path = os.path.join(home, "config.xml")
        tree = ET.parse(path)
        root = tree.getroot()
        for folder in root.findall("folder"):
            root.remove(folder)
        gui = root.find("gui")
        gui.set("tls", "false")
        gui.find("address").text = self.gui
        (gui.find("apikey") if gui.find("apikey") is not None else ET.SubElement(gui, "apikey")).text = API_KEY
        options = root.find("options")
        for tag, value in {
            "listenAddress": f"tcp://127.0.0.1:{port}",
            "globalAnnounceEnabled": "false",
            "localAnnounceEnabled": "false",
            "relaysEnabled": "false",
            "natEnabled": "false",
            "urAccepted": "-1",
            "autoUpgradeIntervalH": "0",
            "crashReportingEnabled": "false",
            "startBrowser": "false",
        }.items():
            for old in options.findall(tag):
                options.remove(old)
            ET.SubElement(options, tag).text = value
        tree.write(path)
        env = dict(os.environ, STNORESTART="1", STNOUPGRADE="1", STNODEFAULTFOLDER="1")
        self.proc = subprocess.Popen(
            ["syncthing", "serve", f"--home={home}", "--no-browser", "--no-restart", "--no-upgrade",
             "--no-default-folder"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            try:
                self.id = self.get("/rest/system/status")["myID"]
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    sys.exit("syncthing did not start")
                time.sleep(0.2)

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://{self.gui}{path}", data=data, method=method,
                                     headers={"X-API-Key": API_KEY, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text.strip() else None

    def get(self, path):
        return self.request("GET", path)

    def add_device(self, other):
        self.request("POST", "/rest/config/devices", {
            "deviceID": other.id, "name": other.id[:7],
            "addresses": [f"tcp://127.0.0.1:{other.port}"], "autoAcceptFolders": False,
        })

    def add_folder(self, path, others, delay):
        self.request("POST", "/rest/config/folders", {
            "id": "bench", "label": "bench", "path": path, "type": "sendreceive",
            "devices": [{"deviceID": self.id}, *({"deviceID": o.id} for o in others)],
            "fsWatcherEnabled": True, "fsWatcherDelayS": delay, "rescanIntervalS": 3600,
        })

    def idle_with(self, files):
        status = self.get("/rest/db/status?folder=bench")
        return status.get("state") == "idle" and status.get("localFiles") == files

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def measure_syncthing(args, src, total, delay):
    root = os.path.join(args.dir, f"syncthing-{delay}s")
    expected = tree_files(src)
    a = Syncthing(os.path.join(root, "a"), 28384, 22101)
    b = Syncthing(os.path.join(root, "b"), 28385, 22102)
    try:
        a.add_device(b)
        b.add_device(a)
        t0 = time.perf_counter()
        a.add_folder(src, [b], delay)
        wait_for(lambda: a.idle_with(args.files), 3600, "the first scan")
        index_secs = time.perf_counter() - t0
        mirror = os.path.join(root, "mirror")
        os.makedirs(mirror)
        t0 = time.perf_counter()
        b.add_folder(mirror, [a], delay)
        sync_secs = wait_tree(mirror, expected, 3600) - t0
        wait_for(lambda: b.idle_with(args.files), 600, "the mirror settled")
        disk = (du(a.home), du(b.home))
        lat = propagate(src, mirror, args.changes, timeout=60)
        time.sleep(5)
        rss = (tree_rss_mib(a.proc.pid), tree_rss_mib(b.proc.pid))
    finally:
        a.stop()
        b.stop()
    for name in os.listdir(src):
        if name.startswith("change-"):
            os.remove(os.path.join(src, name))
    shutil.rmtree(os.path.join(src, ".stfolder"), ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)
    return dict(tool=f"Syncthing, {delay} s watcher delay", index=index_secs, sync=sync_secs, lat=lat,
                disk=disk, rss=rss)


def measure_ferry(args, src, total):
    root = os.path.join(args.dir, "ferry")
    expected = tree_files(src)
    laptop, desktop = os.path.join(root, "laptop"), os.path.join(root, "desktop")
    pair(laptop, desktop)
    t0 = time.perf_counter()
    run(laptop, "collection", "create", "bench", "--dir", src)
    index_secs = time.perf_counter() - t0
    a = ferry(laptop, "listen", "--out", os.path.join(root, "inbox-a"))
    drain(a)
    shared = os.path.join(root, "shared")
    b = ferry(desktop, "listen", "--accept", "trusted", "--out", os.path.join(root, "inbox-b"),
              "--collections-dir", shared)
    drain(b)
    try:
        time.sleep(1)
        mirror = os.path.join(shared, "bench")
        t0 = time.perf_counter()
        run(laptop, "collection", "invite", "bench", "Desktop")
        sync_secs = wait_tree(mirror, expected, 3600) - t0
        time.sleep(3)
        disk = (du(laptop), du(desktop))
        lat = propagate(src, mirror, args.changes, timeout=60)
        time.sleep(5)
        rss = (tree_rss_mib(a.pid), tree_rss_mib(b.pid))
    finally:
        for p in (a, b):
            p.terminate()
            p.wait()
    for name in os.listdir(src):
        if name.startswith("change-"):
            os.remove(os.path.join(src, name))
    shutil.rmtree(root, ignore_errors=True)
    return dict(tool="Ferry", index=index_secs, sync=sync_secs, lat=lat, disk=disk, rss=rss)


def wait_for(check, timeout, what):
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            sys.exit(f"timed out waiting for {what}")
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--only", choices=["ferry", "syncthing"])
    ap.add_argument("--delays", default="10,1", help="Syncthing watcher delays to run, in seconds")
    ap.add_argument("--dir", default=os.path.join(CACHE, "bench-vs-syncthing"))
    args = ap.parse_args()
    if args.only != "syncthing" and not os.access(FERRY, os.X_OK):
        sys.exit(f"missing {FERRY}: cargo build --release -p ferry-cli")
    if args.only != "ferry":
        ensure_syncthing()
    shutil.rmtree(args.dir, ignore_errors=True)
    src = os.path.join(args.dir, "src")
    total = make_tree(src, args.files, args.mib * MIB)
    subprocess.run(["sync"], check=False)
    results = []
    if args.only != "syncthing":
        results.append(measure_ferry(args, src, total))
    if args.only != "ferry":
        for delay in (int(d) for d in args.delays.split(",")):
            results.append(measure_syncthing(args, src, total, delay))
    shutil.rmtree(args.dir, ignore_errors=True)

    print(f"{args.files} files, {total / MIB:.0f} MiB; {args.changes} changes")
    print("| | index | first sync | change p50 | change p95 | state / folder (creator, member) "
          "| idle RSS (creator, member) |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        lat = r["lat"]
        disk = ", ".join(f"{100 * d / total:.2f} %" for d in r["disk"])
        rss = ", ".join(f"{m:.0f} MiB" for m in r["rss"])
        print(f"| {r['tool']} | {r['index']:.1f} s | {r['sync']:.1f} s "
              f"| {statistics.median(lat) * 1000:.0f} ms | {percentile(lat, 0.95) * 1000:.0f} ms "
              f"| {disk} | {rss} |")


if __name__ == "__main__":
    main()
