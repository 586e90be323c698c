#!/usr/bin/env bash
# The Python bindings: generates the `ferry` package from the library the
# workspace build made (as `pip install ./bindings/python` packages it with
# maturin: the uniffi module, libferry_ffi.so and an __init__ that imports
# it), then runs pytest in a virtualenv outside the repository. Ends with
# "python: N passed, N failed".
#
# Not maturin here: it builds ferry-ffi on its own, with other features
# than the workspace build, which compiles the whole iroh stack a second
# time (about ten minutes on two cores).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
VENV="$CACHE/python-venv"
LIB_DIR="$CARGO_TARGET_DIR/debug"

if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "pytest>=8"
# A package installed by an earlier maturin run would shadow the fresh one.
"$VENV/bin/pip" uninstall --quiet --disable-pip-version-check -y ferry >/dev/null 2>&1 || true
# The workspace as scripts/test.sh builds it (nothing is built twice with
# other features), then the bindgen on its own, so that its uniffi `cli`
# feature never reaches the library.
(cd "$ROOT" && cargo build --locked --workspace --exclude ferry-bindgen &&
    cargo build --locked -p ferry-bindgen) >&2
PKG="$(mktemp -d)"
trap 'rm -rf "$PKG"' EXIT
mkdir "$PKG/ferry"
# Generated from the very library the tests load: never committed.
"$LIB_DIR/uniffi-bindgen" generate --no-format \
    --library "$LIB_DIR/libferry_ffi.so" --language python --out-dir "$PKG/ferry" >&2
cp "$LIB_DIR/libferry_ffi.so" "$PKG/ferry/"
# Two uniffi modules: ferry_ffi (the node) and ferry_core (core's event
# types); the package exports both, as maturin's __init__ does.
printf 'from .ferry_core import *  # NOQA\nfrom .ferry_ffi import *  # NOQA\n' >"$PKG/ferry/__init__.py"
export PYTHONPATH="$PKG${PYTHONPATH:+:$PYTHONPATH}"
report="$PKG/report.xml"
set +e
(cd "$ROOT/bindings/python" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$report" tests)
status=$?
set -e
read -r total failed <<<"$(python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
t = sum(int(s.get("tests", 0)) for s in suites)
s = sum(int(s.get("skipped", 0)) for s in suites)
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
print(t - s, f)
PY
)"
passed=$((total - failed))
printf '\npython: %d passed, %d failed\n' "$passed" "$failed"
((passed > 0 && status == 0))
