#!/usr/bin/env bash
# Generates the Swift bindings from the built ferry_ffi library:
#   Sources/Ferry/Ferry.swift            the Swift API
#   Sources/Ferry/FerryCore.swift        core's event types it uses
#   Sources/FerryFFI/FerryFFI.h          the C headers they call (and
#   Sources/FerryFFI/FerryCoreFFI.h      FerryCoreFFI.h)
#   Sources/FerryFFI/module.modulemap    the FerryFFI module
# Usage: generate.sh [LIBRARY] [OUT_DIR]; defaults: the debug build of
# ferry-ffi and this folder. The generated files are not committed: they
# must match the library they were generated from.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"

lib="${1:-}"
out="${2:-$HERE}"
if [[ -z "$lib" ]]; then
    (cd "$ROOT" && cargo build --locked --workspace --exclude ferry-bindgen) >&2
    lib="$CARGO_TARGET_DIR/debug/libferry_ffi.so"
    [[ -f "$lib" ]] || lib="$CARGO_TARGET_DIR/debug/libferry_ffi.dylib"
fi
(cd "$ROOT" && cargo build --locked -p ferry-bindgen) >&2
bindgen="$CARGO_TARGET_DIR/debug/uniffi-bindgen-swift"

mkdir -p "$out/Sources/Ferry" "$out/Sources/FerryFFI"
"$bindgen" --swift-sources "$lib" "$out/Sources/Ferry"
"$bindgen" --headers "$lib" "$out/Sources/FerryFFI"
"$bindgen" --modulemap --module-name FerryFFI \
    --modulemap-filename module.modulemap "$lib" "$out/Sources/FerryFFI"
echo "Swift bindings in $out/Sources" >&2
