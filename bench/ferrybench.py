"""What the benchmark scripts share: where things are, and starting `ferry`.

`ferry` processes run on loopback with relays disabled and print JSON
Lines. With FERRY_BENCH_LOG=1, each process's stderr (and RUST_LOG) goes to
`<data dir>.log`.
"""

import os
import subprocess

HOME = os.environ.get("HOME", "/root")
CACHE = os.path.join(HOME, ".cache", "ferry")
FERRY = os.environ.get("FERRY_BIN", os.path.join(CACHE, "target", "release", "ferry"))
MIB = 1024 * 1024
LOG = bool(os.environ.get("FERRY_BENCH_LOG"))
ENV = dict(os.environ, FERRY_RELAY="disabled", FERRY_BIND="127.0.0.1:0")
if not LOG:
    ENV.pop("RUST_LOG", None)


def ferry(data_dir, *args, **kw):
    """Starts `ferry --json --data-dir DATA_DIR ARGS…` with stdout piped."""
    err = open(data_dir + ".log", "a") if LOG else subprocess.DEVNULL
    return subprocess.Popen([FERRY, "--json", "--data-dir", data_dir, *args], env=ENV,
                            stdout=subprocess.PIPE, stderr=err, text=True, **kw)
