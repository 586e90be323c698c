# Shared by the Kotlin test scripts (source it): builds the native library,
# generates and compiles the Kotlin bindings for the desktop JVM, and runs
# JUnit 5 with one closing "<label>: N passed, N failed" line.
#
# Needs ROOT (the repository) set; sets CACHE, CARGO_TARGET_DIR and the
# toolchain variables of scripts/jvm-tools.sh.

CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
eval "$(bash "$ROOT/scripts/jvm-tools.sh")"
# kotlinc starts much faster without the JIT's top tier. Without it the JVM
# reserves only 48 MB for compiled code, which kotlinc can fill (the build
# then dies with "Out of space in CodeCache"): reserve as much as with it.
export JAVA_OPTS="${JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m}"
LIB_DIR="$CARGO_TARGET_DIR/debug"
KOTLIN_CP="$KOTLIN_LIB/kotlin-stdlib.jar:$KOTLIN_LIB/kotlinx-coroutines-core-jvm.jar:$JNA_JAR"
# What tests compile and run against besides: kotlin.test and JUnit 5.
TEST_CP="$KOTLIN_LIB/kotlin-test.jar:$KOTLIN_LIB/kotlin-test-junit5.jar:$JUNIT_JAR"

# Builds libferry_ffi.so, the ferry binary and the bindgen: the workspace
# as scripts/test.sh builds it (so nothing is built twice with other
# features), then the bindgen on its own, so that its uniffi `cli` feature
# never reaches the library.
build_native() {
    (cd "$ROOT" && cargo build --locked --workspace --exclude ferry-bindgen &&
        cargo build --locked -p ferry-bindgen) >&2
}

# compile_bindings OUT_JAR: generates the Kotlin bindings from the built
# library (never committed: they must match it exactly) and compiles them
# with bindings/kotlin/src/main into OUT_JAR.
compile_bindings() {
    local jar="$1" gen
    gen="$(mktemp -d)"
    "$LIB_DIR/uniffi-bindgen" generate --no-format \
        --library "$LIB_DIR/libferry_ffi.so" --language kotlin \
        --config "$ROOT/bindings/kotlin/uniffi-jvm.toml" --out-dir "$gen" >&2
    "$KOTLINC" -nowarn -jvm-target 17 -cp "$KOTLIN_CP" -d "$jar" \
        "$gen" "$ROOT/bindings/kotlin/src/main/kotlin" >&2
    rm -rf "$gen"
}

# run_junit LABEL CLASSPATH TEST_JAR: runs every test in TEST_JAR and prints
# "LABEL: N passed, N failed"; fails if a test failed or none ran.
run_junit() {
    local label="$1" cp="$2" tests="$3" report passed failed status
    report="$(mktemp -d)"
    set +e
    java -Djna.library.path="$LIB_DIR" -Djava.awt.headless=true \
        -jar "$JUNIT_JAR" --disable-banner --disable-ansi-colors --details=tree \
        -cp "$cp:$tests" --scan-classpath "$tests" --reports-dir "$report"
    status=$?
    set -e
    read -r total skipped failures errors <<<"$(python3 - "$report" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
t = s = f = e = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    for suite in suites:
        t += int(suite.get("tests", 0)); s += int(suite.get("skipped", 0))
        f += int(suite.get("failures", 0)); e += int(suite.get("errors", 0))
print(t, s, f, e)
PY
)"
    rm -rf "$report"
    failed=$((failures + errors))
    passed=$((total - skipped - failed))
    printf '\n%s: %d passed, %d failed\n' "$label" "$passed" "$failed"
    if ((passed == 0)); then
        echo "$label: no test ran" >&2
        return 1
    fi
    ((failed == 0 && status == 0))
}
