#!/usr/bin/env bash
# Installs everything the test suites need, then runs them all:
# formatting, lints, unit tests and the multi-node tests.
#
# Needs: the Rust toolchain (with rustfmt and clippy) and root for the
# full-disk test (it mounts a small tmpfs) and the LAN test (it creates
# network namespaces). Caches builds under
# ~/.cache/ferry, outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
SENDME_VERSION="0.37.1"
TOOLS="$CACHE/tools"

step() { printf '\n== %s\n' "$*"; }

step "system tools"
# mount for the full-disk test, ip (iproute2) for the LAN test in network
# namespaces.
missing=()
for pair in mount:mount umount:mount ip:iproute2; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if ((${#missing[@]})); then
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "sendme $SENDME_VERSION (interop peer)"
if ! "$TOOLS/bin/sendme" --version 2>/dev/null | grep -q "$SENDME_VERSION"; then
    CARGO_TARGET_DIR="$CACHE/sendme-target" \
        cargo install sendme --version "$SENDME_VERSION" --locked --root "$TOOLS"
fi
export SENDME_BIN="$TOOLS/bin/sendme"
"$SENDME_BIN" --version

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --locked

step "test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --locked 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary: "tests: N passed, N failed".
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i
            if ($(i+1) ~ /^failed/) f += $i
        }
     }
     END { printf "\ntests: %d passed, %d failed\n", p, f; exit (p == 0) }' "$log" || {
    echo "no test ran" >&2
    exit 1
}
exit "$status"
