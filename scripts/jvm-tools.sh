#!/usr/bin/env bash
# Installs the JVM toolchain for the Kotlin bindings and the Android app's
# logic module, then prints shell assignments for it (eval the output):
#   KOTLINC   kotlinc from the npm package kotlin-compiler (JVM; bundles
#             kotlinx-coroutines-core-jvm and kotlin-test)
#   KOTLIN_LIB  the folder of its jars
#   JNA_JAR JUNIT_JAR ZXING_JAR  Debian's libjna-java, junit5, libzxing-core-java
# Everything lands under $FERRY_CACHE (default ~/.cache/ferry), nothing in
# the repository.
set -euo pipefail

CACHE="${FERRY_CACHE:-${HOME:-/root}/.cache/ferry}"
KOTLIN_VERSION="2.4.20"
KOTLIN_HOME="$CACHE/tools/kotlin-$KOTLIN_VERSION"

need=()
[[ -f /usr/share/java/jna.jar ]] || need+=(libjna-java)
[[ -f /usr/share/java/junit-platform-console-standalone.jar ]] || need+=(junit5)
dpkg -s libzxing-core-java >/dev/null 2>&1 || need+=(libzxing-core-java)
command -v javac >/dev/null || need+=(openjdk-17-jdk-headless)
command -v npm >/dev/null || need+=(npm)
if ((${#need[@]})); then
    echo "installing ${need[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

if [[ ! -x "$KOTLIN_HOME/bin/kotlinc" ]]; then
    echo "fetching kotlin-compiler $KOTLIN_VERSION from npm" >&2
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "kotlin-compiler@$KOTLIN_VERSION" >/dev/null && tar xzf kotlin-compiler-*.tgz)
    mkdir -p "$(dirname "$KOTLIN_HOME")"
    rm -rf "$KOTLIN_HOME"
    mv "$tmp/package" "$KOTLIN_HOME"
    rm -rf "$tmp"
    chmod +x "$KOTLIN_HOME"/bin/*
fi

# Debian names ZXing's core jar plainly core.jar.
zxing="$(dpkg -L libzxing-core-java | grep -m1 '/core\.jar$')"
printf 'KOTLINC=%q\n' "$KOTLIN_HOME/bin/kotlinc"
printf 'KOTLIN_LIB=%q\n' "$KOTLIN_HOME/lib"
printf 'JNA_JAR=%q\n' /usr/share/java/jna.jar
printf 'JUNIT_JAR=%q\n' /usr/share/java/junit-platform-console-standalone.jar
printf 'ZXING_JAR=%q\n' "$zxing"
