#!/usr/bin/env bash
# The Android app's logic module (pure Kotlin, no Android imports) on the
# desktop JVM against the real core: compiles the bindings, the module and
# its JUnit 5 tests with kotlinc and runs them, including the phone-to-laptop
# test against a real `ferry` process. Ends with "android-logic: N passed,
# N failed".
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
source "$ROOT/scripts/kotlin-lib.sh"

build_native
export FERRY_BIN="$CARGO_TARGET_DIR/debug/ferry"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
compile_bindings "$work/ferry.jar"
logic="$ROOT/mobile/android/logic/src"
"$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_CP:$work/ferry.jar:$ZXING_JAR" \
    -d "$work/logic.jar" "$logic/main/kotlin"
"$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_CP:$work/ferry.jar:$ZXING_JAR:$work/logic.jar:$TEST_CP" \
    -d "$work/tests.jar" "$logic/test/kotlin"
run_junit android-logic "$KOTLIN_CP:$TEST_CP:$work/ferry.jar:$ZXING_JAR:$work/logic.jar" "$work/tests.jar"
