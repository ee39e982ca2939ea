// swift-tools-version:5.9
// The nnet fuzz harness: a libFuzzer target over the lexer, parser and checker (`nnet check`).
// Kept apart from the main package so that `swift build` there never needs -sanitize=fuzzer.
// Build and run with ./run.sh (see README.md).
import PackageDescription

let package = Package(
    name: "NNetFuzz",
    dependencies: [.package(name: "nnet", path: "..")],
    targets: [
        .executableTarget(name: "NNetFuzz", dependencies: [
            .product(name: "NNetDriver", package: "nnet"),
        ]),
    ]
)
