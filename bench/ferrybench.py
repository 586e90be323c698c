"""What the benchmark scripts share: where things are, and starting `ferry`.

`ferry` processes run on loopback with relays disabled and print JSON
Lines. With FERRY_BENCH_LOG=1, each process's stderr (and RUST_LOG) goes to
`<data dir>.log`.
"""

import json
import os
import subprocess
import sys
import threading
import time

HOME = os.environ.get("HOME", "/root")
CACHE = os.path.join(HOME, ".cache", "ferry")
FERRY = os.environ.get("FERRY_BIN", os.path.join(CACHE, "target", "release", "ferry"))
MIB = 1024 * 1024
# What a sync tool keeps in a synced folder besides its content.
HIDDEN = (".ferry", ".stfolder", ".stversions", ".syncthing")
LOG = bool(os.environ.get("FERRY_BENCH_LOG"))
ENV = dict(os.environ, FERRY_RELAY="disabled", FERRY_BIND="127.0.0.1:0")
if not LOG:
    ENV.pop("RUST_LOG", None)


def ferry(data_dir, *args, **kw):
    """Starts `ferry --json --data-dir DATA_DIR ARGS…` with stdout piped."""
    err = open(data_dir + ".log", "a") if LOG else subprocess.DEVNULL
    return subprocess.Popen([FERRY, "--json", "--data-dir", data_dir, *args], env=ENV,
                            stdout=subprocess.PIPE, stderr=err, text=True, **kw)


def run(data_dir, *args):
    proc = ferry(data_dir, *args)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"ferry {' '.join(args)} failed")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def pair(laptop, desktop):
    shower = ferry(laptop, "--name", "Laptop", "pair", "--timeout", "60")
    ticket = json.loads(shower.stdout.readline())["ticket"]
    joiner = ferry(desktop, "--name", "Desktop", "pair", ticket)
    if joiner.wait() != 0 or shower.wait() != 0:
        sys.exit("pairing failed")
    run(desktop, "devices", "set", "Laptop", "--auto-accept", "on")


def make_tree(root, files, total):
    size = total // files
    for i in range(files):
        d = os.path.join(root, f"d{i % 100:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
            f.write(os.urandom(size))
    return size * files


def tree_bytes(root):
    count, total = 0, 0
    for dirpath, dirs, names in os.walk(root):
        # Ferry's staging and history areas, and Syncthing's marker and
        # temp files, are not the folder's content.
        dirs[:] = [d for d in dirs if not d.startswith(HIDDEN)]
        for n in names:
            if n.startswith(HIDDEN):
                continue
            try:
                total += os.path.getsize(os.path.join(dirpath, n))
            except OSError:
                continue
            count += 1
    return count, total


def tree_files(root):
    """{relative path: size} of every file under ROOT, Ferry's and
    Syncthing's own files left out."""
    files = {}
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(HIDDEN)]
        for n in names:
            if not n.startswith(HIDDEN):
                path = os.path.join(dirpath, n)
                files[os.path.relpath(path, root)] = os.lstat(path).st_size
    return files


def wait_tree(root, expected, timeout):
    """Waits until every file of EXPECTED (from `tree_files`) is in ROOT at
    its size; returns when. Looks only at the files not there yet, and
    spaces the looks out (4x the time a look takes) while many are missing:
    watching a large tree must not take the machine's cores from what it
    watches."""
    missing = dict(expected)
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        t = time.perf_counter()
        for rel, size in list(missing.items()):
            try:
                if os.lstat(os.path.join(root, rel)).st_size == size:
                    del missing[rel]
            except OSError:
                pass
        if not missing:
            return time.perf_counter()
        time.sleep(max(0.05, 4 * (time.perf_counter() - t)))
    sys.exit(f"{root} did not fill up in {timeout} s: {len(missing)} files missing")


def drain(proc):
    """Reads a listener's events so that a full pipe never stalls it."""
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()


def du(root):
    total = 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            try:
                total += os.lstat(os.path.join(dirpath, n)).st_blocks * 512
            except OSError:
                pass
    return total


def du_parts(root):
    """The data dir's largest files, for the report."""
    parts = []
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            try:
                parts.append((os.lstat(p).st_blocks * 512, os.path.relpath(p, root)))
            except OSError:
                pass
    parts.sort(reverse=True)
    short = lambda name: name if len(name) <= 24 else name[:20] + "…"
    return ", ".join(f"{short(name)} {size / MIB:.1f}" for size, name in parts[:5] if size >= MIB // 10)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def propagate(src, mirror, count, timeout):
    """Writes COUNT small files into SRC one after another; returns how long
    each took to arrive complete in MIRROR, in seconds."""
    lat = []
    for i in range(count):
        name = f"change-{i:03d}.txt"
        body = f"change {i}\n".encode()
        target = os.path.join(mirror, name)
        t = time.perf_counter()
        with open(os.path.join(src, name), "wb") as f:
            f.write(body)
        while True:
            try:
                with open(target, "rb") as f:
                    if f.read() == body:
                        break
            except OSError:
                pass
            if time.perf_counter() - t > timeout:
                sys.exit(f"{name} did not arrive in {timeout} s")
            time.sleep(0.005)
        lat.append(time.perf_counter() - t)
        time.sleep(0.1)
    return lat
