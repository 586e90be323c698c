#!/usr/bin/env bash
# Builds build/FerryFFI.xcframework for the Swift package (macOS with Xcode
# and rustup only):
#   rustup target add aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios \
#       aarch64-apple-darwin x86_64-apple-darwin
#   bash bindings/swift/build-xcframework.sh
# Then `swift build` / `swift test` in bindings/swift, or add the package
# to an Xcode project.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
[[ "$(uname)" == Darwin ]] || { echo "the XCFramework is built on macOS (xcodebuild, lipo)" >&2; exit 2; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILE="${PROFILE:-release}"
T="$CARGO_TARGET_DIR"

for target in aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios aarch64-apple-darwin x86_64-apple-darwin; do
    (cd "$ROOT" && cargo build --locked -p ferry-ffi --profile "$PROFILE" --target "$target")
done

dir="$PROFILE"; [[ "$PROFILE" == dev ]] && dir=debug
# The Swift sources, header and module map, from the macOS library.
bash "$HERE/generate.sh" "$T/aarch64-apple-darwin/$dir/libferry_ffi.a" "$HERE"

build="$HERE/build"
rm -rf "$build"
mkdir -p "$build/headers" "$build/ios-sim" "$build/macos"
cp "$HERE"/Sources/FerryFFI/*.h "$HERE/Sources/FerryFFI/module.modulemap" "$build/headers/"
lipo -create "$T/aarch64-apple-ios-sim/$dir/libferry_ffi.a" "$T/x86_64-apple-ios/$dir/libferry_ffi.a" \
    -output "$build/ios-sim/libferry_ffi.a"
lipo -create "$T/aarch64-apple-darwin/$dir/libferry_ffi.a" "$T/x86_64-apple-darwin/$dir/libferry_ffi.a" \
    -output "$build/macos/libferry_ffi.a"
xcodebuild -create-xcframework \
    -library "$T/aarch64-apple-ios/$dir/libferry_ffi.a" -headers "$build/headers" \
    -library "$build/ios-sim/libferry_ffi.a" -headers "$build/headers" \
    -library "$build/macos/libferry_ffi.a" -headers "$build/headers" \
    -output "$build/FerryFFI.xcframework"
echo "built $build/FerryFFI.xcframework"
