// Helpers for the kernel tests: seeded random tensors and tolerance checks against the reference.
// Stage: kernels (tests).

import NNetKernels

/// A small deterministic generator (SplitMix64), so every failure reproduces.
struct TestRandom {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [low, high).
    mutating func float(_ low: Float = -1, _ high: Float = 1) -> Float {
        low + (high - low) * Float(next() >> 40) / Float(1 << 24)
    }

    mutating func floats(_ count: Int, _ low: Float = -1, _ high: Float = 1) -> [Float] {
        (0..<count).map { _ in float(low, high) }
    }
}

/// The largest |actual - expected| / (absolute + relative·|expected|) over all elements; ≤ 1 passes.
func worstError(_ actual: [Float], _ expected: [Float], absolute: Float, relative: Float) -> Float {
    precondition(actual.count == expected.count)
    var worst: Float = 0
    for (x, y) in zip(actual, expected) {
        if x.isNaN || y.isNaN { if x.isNaN != y.isNaN { return .infinity }; continue }
        if x == y { continue }
        worst = max(worst, abs(x - y) / (absolute + relative * abs(y)))
    }
    return worst
}

/// The shapes every elementwise kernel runs on: all SIMD tail lengths around 16 and 32, plus
/// long and odd ones.
let elementCounts = [1, 15, 16, 17, 31, 33, 257, 1000]

/// (rows, columns) pairs for row-wise kernels.
let rowShapes: [RowShape] = [RowShape(1, 1), RowShape(1, 15), RowShape(3, 16), RowShape(2, 17), RowShape(5, 31),
                             RowShape(4, 33), RowShape(3, 257), RowShape(17, 10), RowShape(32, 64), RowShape(7, 100)]

struct RowShape: Sendable, CustomStringConvertible {
    let rows: Int, columns: Int
    init(_ rows: Int, _ columns: Int) { self.rows = rows; self.columns = columns }
    var count: Int { rows * columns }
    var description: String { "\(rows)x\(columns)" }
}

/// Calls `body` with a pointer to the array's elements, or nil for a nil array.
func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress!) }
}
