// swift-tools-version:5.9
// nnet: a declarative language for describing and training neural networks on the CPU.
// The targets follow the pipeline: syntax -> IR -> kernels -> runtime -> driver -> executable.
import PackageDescription
import Foundation

// Release builds compile the numeric code for the CPU they are built on (AVX2/AVX-512 on x86-64,
// NEON on arm64); baseline x86-64 turns SIMD16<Float> into scalar fmaf calls (~100x slower).
// Set NNET_TARGET_CPU (e.g. `x86-64-v2`, `haswell`, `generic`) to build for another CPU;
// see docs/performance.md.
let targetCPU = ProcessInfo.processInfo.environment["NNET_TARGET_CPU"] ?? "native"
let optimized: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", targetCPU, "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "nnet",
    products: [
        .executable(name: "nnet", targets: ["nnet"]),
        .library(name: "NNetDriver", targets: ["NNetDriver"]),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // Test support: counts heap allocations (the steady-state training step must make none).
        .target(name: "CAllocationCounter"),
        .target(name: "NNetSyntax", swiftSettings: optimized),
        .target(name: "NNetKernels", swiftSettings: optimized),
        .target(name: "NNetIR", dependencies: ["NNetSyntax", "NNetKernels"], swiftSettings: optimized),
        .target(name: "NNetPlanner", dependencies: ["NNetIR", "NNetKernels"], swiftSettings: optimized),
        .target(name: "NNetRuntime", dependencies: ["NNetIR", "NNetPlanner", "NNetKernels", "CZlib"], swiftSettings: optimized),
        .target(name: "NNetDriver", dependencies: ["NNetSyntax", "NNetIR", "NNetPlanner", "NNetRuntime"], swiftSettings: optimized),
        .executableTarget(name: "nnet", dependencies: ["NNetDriver"], swiftSettings: optimized),
        .testTarget(name: "NNetSyntaxTests", dependencies: ["NNetSyntax"]),
        .testTarget(name: "NNetKernelsTests", dependencies: ["NNetKernels"]),
        .testTarget(name: "NNetIRTests", dependencies: ["NNetIR", "NNetSyntax"]),
        .testTarget(name: "NNetPlannerTests", dependencies: ["NNetPlanner", "NNetIR", "NNetSyntax"]),
        .testTarget(name: "NNetRuntimeTests",
                    dependencies: ["NNetRuntime", "NNetIR", "NNetKernels", "NNetSyntax", "CAllocationCounter"]),
        .testTarget(name: "NNetDriverTests", dependencies: ["NNetDriver", "NNetSyntax", "NNetRuntime", "NNetPlanner"],
                    exclude: ["Cases"]),
    ]
)
