#!/usr/bin/env bash
# The API description: starts a real node (`ferry --json listen`), then
# check.mjs takes its rpc.discover document through @open-rpc/client-js,
# validates it against the OpenRPC meta-schema (@open-rpc/meta-schema, with
# ajv), compiles every schema in it, and calls a few methods, checking each
# result against its result schema. Needs the `ferry` binary of the
# workspace build. Ends with "openrpc: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")"
CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
FERRY="$CARGO_TARGET_DIR/debug/ferry"

work="$(mktemp -d)"
node_pid=""
# A run that stops before the checks report counts as one failure.
passed=0
failed=1

finish() {
    local status=$?
    if [[ -n "$node_pid" ]]; then
        kill "$node_pid" 2>/dev/null || true
        wait "$node_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
    printf '\nopenrpc: %d passed, %d failed\n' "$passed" "$failed"
    ((status == 0 && passed > 0 && failed == 0)) || exit 1
}
trap finish EXIT

if [[ ! -x "$FERRY" ]]; then
    echo "no ferry binary at $FERRY: build the workspace first (cargo build --workspace)" >&2
    exit 1
fi

npm ci --no-audit --no-fund --loglevel=error

mkdir "$work/data" "$work/out" "$work/check"
FERRY_DATA_DIR="$work/data" FERRY_RELAY=disabled FERRY_BIND=127.0.0.1:0 \
    "$FERRY" --json listen --out "$work/out" >"$work/node.out" 2>"$work/node.err" &
node_pid=$!

# The `listening` line names the API's HTTP address.
api=""
for _ in $(seq 300); do
    api="$(node -e '
        const fs = require("fs");
        for (const line of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
            try {
                const e = JSON.parse(line);
                if (e.event === "listening" && e.api_http) { console.log(e.api_http); break; }
            } catch {}
        }' "$work/node.out")"
    [[ -n "$api" ]] && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$api" ]]; then
    echo "the node did not report an API address; its output:" >&2
    cat "$work/node.out" "$work/node.err" >&2
    exit 1
fi

set +e
node check.mjs --api "$api" --token-file "$work/data/api-token" \
    --work "$work/check" --report "$work/report"
status=$?
set -e
if [[ -s "$work/report" ]]; then
    read -r passed failed <"$work/report"
fi
((status == 0))
