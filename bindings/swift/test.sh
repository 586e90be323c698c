#!/usr/bin/env bash
# What can be checked of the Swift package on Linux: the bindings generate
# from the built library, and the sources, header and module map agree on
# the module names the package uses. (Compiling them needs a Mac.)
# Ends with "swift: N passed, N failed".
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
bash "$HERE/generate.sh" "" "$out"

passed=0 failed=0
check() {
    if grep -q -- "$2" "$out/$1"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); echo "swift: $1 lacks $2" >&2
    fi
}
check Sources/Ferry/Ferry.swift "import FerryFFI"
check Sources/Ferry/Ferry.swift "open class FerryNode"
check Sources/Ferry/Ferry.swift "public static func start(config: FerryConfig)"
check Sources/Ferry/Ferry.swift "enum FerryError: Swift.Error"
check Sources/Ferry/Ferry.swift "public protocol EventListener"
# Core's event types: their own file in the same Swift target, used by
# the listener as they are.
check Sources/Ferry/FerryCore.swift "public enum Event"
check Sources/Ferry/Ferry.swift "func onEvent(event: Event)"
check Sources/FerryFFI/FerryFFI.h "uniffi_ferry_ffi_checksum_constructor_ferrynode_start"
check Sources/FerryFFI/module.modulemap "module FerryFFI"
check Sources/FerryFFI/module.modulemap 'header "FerryFFI.h"'
grep -q 'name: "FerryFFI"' "$HERE/Package.swift" && passed=$((passed + 1)) || failed=$((failed + 1))
printf '\nswift: %d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
