#!/usr/bin/env bash
# The Kotlin bindings on the desktop JVM against the real core: generates
# them from the built library, compiles them and the JUnit 5 tests with
# kotlinc, runs the tests. Ends with "kotlin: N passed, N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/scripts/kotlin-lib.sh"

build_native
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
compile_bindings "$work/ferry.jar"
"$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_CP:$work/ferry.jar:$TEST_CP" \
    -d "$work/tests.jar" "$ROOT/bindings/kotlin/src/test/kotlin"
run_junit kotlin "$KOTLIN_CP:$TEST_CP:$work/ferry.jar" "$work/tests.jar"
