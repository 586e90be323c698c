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
# Every run builds a fresh clone once: incremental caches would only pile
# up in the shared target dir (gigabytes per clone path).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
SENDME_VERSION="0.37.1"
# The network lab's relay and discovery server: the versions of the iroh
# that Ferry is built on (Cargo.lock).
IROH_SERVERS_VERSION="1.4.1"
TOOLS="$CACHE/tools"

step() { printf '\n== %s\n' "$*"; }

step "system tools"
# mount for the full-disk test, ip (iproute2) for the LAN test in network
# namespaces, strace for the tests of what is synced to disk before a file
# is named; nft (NAT routers) and openssl (the relay's certificate) for the
# network lab.
missing=()
for pair in mount:mount umount:mount ip:iproute2 strace:strace nft:nftables openssl:openssl; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
# The desktop app (Tauri 2) builds against WebKitGTK and GTK.
for pkg in libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "sendme $SENDME_VERSION (interop peer)"
if ! "$TOOLS/bin/sendme" --version 2>/dev/null | grep -q "$SENDME_VERSION"; then
    CARGO_TARGET_DIR="$CACHE/sendme-target" \
        cargo install sendme --version "$SENDME_VERSION" --locked --root "$TOOLS"
fi
export SENDME_BIN="$TOOLS/bin/sendme"
"$SENDME_BIN" --version

step "iroh-relay and iroh-dns-server $IROH_SERVERS_VERSION (network lab)"
for server in "iroh-relay --features server" iroh-dns-server; do
    name="${server%% *}"
    if ! "$TOOLS/bin/$name" --version 2>/dev/null | grep -q "$IROH_SERVERS_VERSION"; then
        # shellcheck disable=SC2086 # the features are separate words
        CARGO_TARGET_DIR="$CACHE/lab-target" \
            cargo install $server --version "$IROH_SERVERS_VERSION" --locked --root "$TOOLS"
    fi
done
export FERRY_LAB_TOOLS="$TOOLS/bin"

step "desktop ui (build)"
# The desktop app embeds the built UI, so it is built before anything
# compiles the app.
(cd desktop/ui && npm ci --no-audit --no-fund --loglevel=error && npm run build)

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
# The bindgen is built on its own (by the binding scripts): its uniffi
# `cli` feature must not reach ferry-ffi.
cargo build --workspace --exclude ferry-bindgen --locked

log="$(mktemp)"
tails="$(mktemp)"
trap 'rm -f "$log" "$tails"' EXIT
failed_suites=()

# suite NAME COMMAND...: runs one suite, keeps its output for the summary;
# a failed suite's last lines are repeated at the very end, where a reader
# of only the end of the run sees why it failed.
suite() {
    local name="$1" out
    shift
    step "$name"
    out="$(mktemp)"
    set +e
    "$@" 2>&1 | tee "$out"
    local status=${PIPESTATUS[0]}
    set -e
    cat "$out" >>"$log"
    if ((status != 0)); then
        failed_suites+=("$name")
        {
            printf '\n== %s failed (exit %d); its last lines:\n' "$name" "$status"
            tail -n 40 "$out"
        } >>"$tails"
    fi
    rm -f "$out"
}

rust_tests() {
    cargo test --workspace --exclude ferry-bindgen --locked
}

suite "rust" rust_tests
suite "kotlin bindings (JVM)" bash bindings/kotlin/test.sh
suite "android app logic (JVM)" bash mobile/android/test.sh
suite "python bindings" bash bindings/python/test.sh
suite "api description (OpenRPC)" bash tests/openrpc/test.sh
suite "swift bindings (generation)" bash bindings/swift/test.sh
suite "desktop ui (unit)" bash desktop/ui/test.sh
suite "desktop (end to end)" bash desktop/e2e/run.sh

# One closing line over every suite: "tests: N passed, N failed", from
# cargo's "test result:" lines and each binding suite's "NAME: N passed,
# N failed" line.
awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i
            if ($(i+1) ~ /^failed/) f += $i
        }
     }
     /^(kotlin|android-logic|python|openrpc|swift|desktop-ui|desktop): [0-9]+ passed, [0-9]+ failed$/ {
        p += $2; f += $4
        line[++n] = $0
     }
     END {
        for (i = 1; i <= n; i++) print line[i]
        printf "\ntests: %d passed, %d failed\n", p, f
        exit (p == 0)
     }' "$log" || {
    echo "no test ran" >&2
    exit 1
}
if ((${#failed_suites[@]})); then
    cat "$tails" >&2
    echo "failed: ${failed_suites[*]}" >&2
    exit 1
fi
