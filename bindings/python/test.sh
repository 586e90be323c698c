#!/usr/bin/env bash
# The Python bindings: builds the package with maturin (uniffi mode) into a
# virtualenv outside the repository and runs pytest. Ends with
# "python: N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
VENV="$CACHE/python-venv"

if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.9,<2" "pytest>=8"
# A debug build: the same profile as every other test suite, so the
# dependencies are already built.
(cd "$ROOT/bindings/python" && VIRTUAL_ENV="$VENV" "$VENV/bin/maturin" develop --profile dev) >&2
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
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
