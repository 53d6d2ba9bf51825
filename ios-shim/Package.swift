// swift-tools-version:5.9
// The iOS shim: Swift over the Rust core (an XCFramework of the ffi
// staticlib) and its generated uniffi bindings. Build the framework and the
// bindings first: ./build-xcframework.sh (macOS with Xcode and rustup).
import PackageDescription

let package = Package(
    name: "PostureAgentIOS",
    // iOS 15: async/await, CryptoKit's SecureEnclave and BGTaskScheduler
    // without availability checks.
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "PostureAgentIOS", targets: ["PostureAgentIOS"]),
    ],
    targets: [
        // The Rust core for device and simulator, with the C headers of the
        // uniffi scaffolding (modules PostureAgentFFI and PostureAgentCoreFFI).
        .binaryTarget(name: "PostureAgentFFI", path: "Frameworks/PostureAgentFFI.xcframework"),
        // The generated bindings (PostureAgent.swift, PostureAgentCore.swift),
        // copied here by build-xcframework.sh and never committed.
        .target(name: "PostureAgent", dependencies: ["PostureAgentFFI"], path: "Sources/PostureAgent"),
        // What an app uses: the probe, the signer, the transport, the facade.
        .target(
            name: "PostureAgentIOS",
            dependencies: ["PostureAgent"],
            resources: [.copy("PrivacyInfo.xcprivacy")],
            linkerSettings: [.linkedFramework("Security"), .linkedFramework("LocalAuthentication"), .linkedFramework("DeviceCheck")]
        ),
        .testTarget(name: "PostureAgentIOSTests", dependencies: ["PostureAgentIOS"]),
    ]
)
