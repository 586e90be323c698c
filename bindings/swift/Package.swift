// swift-tools-version:5.9
// Ferry for Swift (iOS and macOS). Build the native part first on a Mac:
//   bash bindings/swift/build-xcframework.sh
// which generates Sources/ from the library and writes
// build/FerryFFI.xcframework.
import PackageDescription

let package = Package(
    name: "Ferry",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Ferry", targets: ["Ferry"]),
    ],
    targets: [
        .binaryTarget(name: "FerryFFI", path: "build/FerryFFI.xcframework"),
        .target(name: "Ferry", dependencies: ["FerryFFI"], path: "Sources/Ferry"),
        .testTarget(name: "FerryTests", dependencies: ["Ferry"], path: "Tests/FerryTests"),
    ]
)
