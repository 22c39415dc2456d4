// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for the parsers that read untrusted input. Its own package, outside the
/// normal build: `scripts/fuzz.sh` builds it with `-sanitize=fuzzer,address` and runs each target
/// for a bounded time over its seed corpus in `Fuzz/Corpus/<target>/`. See docs/fuzzing.md.
let targets = [
    "FuzzSocketModeEnvelope", "FuzzInteraction", "FuzzCommandsYAML", "FuzzRESP", "FuzzKubeconfig",
    "FuzzAWSXML", "FuzzAWSJSON", "FuzzDuration", "FuzzRotateCommand", "FuzzJSONReader",
]

let package = Package(
    name: "aegis-rotate-fuzz",
    platforms: [.macOS(.v15)],
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(name: "aegis-rotate", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        .target(name: "CFuzzDriver", path: "Sources/CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"], path: "Sources/FuzzSupport"),
    ] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "AegisParsers", package: "aegis-rotate"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Sources/\(name)"
        )
    }
)
