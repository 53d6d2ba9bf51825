#!/usr/bin/env bash
# Builds what ios-shim/Package.swift needs, on macOS with Xcode and rustup:
#   Frameworks/PostureAgentFFI.xcframework   the ffi staticlib for iPhone
#                                            (aarch64-apple-ios) and the
#                                            simulator (aarch64 + x86_64, one
#                                            lipo'd slice), with the uniffi
#                                            C headers and one module.modulemap
#   Sources/PostureAgent/*.swift             the generated Swift bindings
# Neither is committed. Built without the `http` feature: on iOS the host's
# URLSessionTransport sends the requests (system trust store, proxies,
# per-app VPN, ATS), so reqwest, hyper and rustls are not linked.
# Usage: ios-shim/build-xcframework.sh
set -euo pipefail
shim="$(cd "$(dirname "$0")" && pwd)"
cd "$shim/.."

[ "$(uname -s)" = Darwin ] || { echo "build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }
export IPHONEOS_DEPLOYMENT_TARGET=15.0
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
lib=libposture_agent_ffi.a
# Wherever cargo builds (CARGO_TARGET_DIR, a cargo config, or target/).
cargo_target="$(scripts/target-dir)"

echo "== Swift bindings (scripts/bindings, same features as the iOS build)"
scripts/bindings --release --no-default-features

for target in "${targets[@]}"; do
    echo "== cargo build --target $target"
    cargo build --locked -p posture-agent-ffi --release --no-default-features --target "$target"
    if [[ ! -f "$cargo_target/$target/release/$lib" ]]; then
        echo "build-xcframework.sh: $cargo_target/$target/release/$lib is missing after the build (cargo's target directory: CARGO_TARGET_DIR or build.target-dir)" >&2
        exit 1
    fi
done

stage="$shim/.build/xcframework"
rm -rf "$stage"
mkdir -p "$stage/headers" "$stage/sim"
# One library per platform in an XCFramework: the two simulator
# architectures go into one fat archive.
lipo -create "$cargo_target/aarch64-apple-ios-sim/release/$lib" "$cargo_target/x86_64-apple-ios/release/$lib" \
    -output "$stage/sim/$lib"
cp build/bindings/swift/*.h "$stage/headers/"
# Both generated modulemaps (PostureAgentFFI, PostureAgentCoreFFI) in the one
# module.modulemap that Xcode and SwiftPM look for.
cat build/bindings/swift/*.modulemap >"$stage/headers/module.modulemap"

rm -rf "$shim/Frameworks/PostureAgentFFI.xcframework"
mkdir -p "$shim/Frameworks"
xcodebuild -create-xcframework \
    -library "$cargo_target/aarch64-apple-ios/release/$lib" -headers "$stage/headers" \
    -library "$stage/sim/$lib" -headers "$stage/headers" \
    -output "$shim/Frameworks/PostureAgentFFI.xcframework"

rm -rf "$shim/Sources/PostureAgent"
mkdir -p "$shim/Sources/PostureAgent"
cp build/bindings/swift/PostureAgent.swift build/bindings/swift/PostureAgentCore.swift "$shim/Sources/PostureAgent/"

# The required-reason APIs the library links, to hold against
# PrivacyInfo.xcprivacy (file timestamps, disk space, boot time, defaults).
echo "== required-reason symbols in the device library (compare with PrivacyInfo.xcprivacy)"
nm -u "$cargo_target/aarch64-apple-ios/release/$lib" 2>/dev/null |
    grep -E '^_(f?stat(at|fs|vfs)?|lstat|getattrlist|statv?fs|mach_absolute_time|NSUserDefaults)(\$|$)' |
    sort -u || echo "(none)"

echo "== done: $shim/Frameworks/PostureAgentFFI.xcframework, $shim/Sources/PostureAgent/"
