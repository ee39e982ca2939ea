// The finiteness scan, sum of squares and clamp behind NaN detection and gradient clipping,
// against scalar loops on sizes that exercise every SIMD tail. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Clipping")
struct ClippingTests {
    static let sizes = [1, 15, 16, 17, 31, 33, 257]

    @Test("allFinite finds one non-finite value anywhere", arguments: sizes)
    func allFinite(size: Int) {
        var random = TestRandom(seed: 41)
        let values = random.floats(size, -1e30, 1e30)
        #expect(Kernels.allFinite(values, count: size))
        #expect(Kernels.firstNonFinite(values, count: size) == nil)
        for bad: Float in [.nan, .infinity, -.infinity] {
            for position in [0, size / 2, size - 1] {
                var copy = values
                copy[position] = bad
                #expect(!Kernels.allFinite(copy, count: size), "\(bad) at \(position) of \(size)")
                #expect(Kernels.firstNonFinite(copy, count: size) == position)
            }
        }
        // Values past `count` are not read.
        var longer = values + [.nan]
        #expect(Kernels.allFinite(&longer, count: size))
    }

    /// Double accumulation of widened floats: exact to double rounding, and no overflow for
    /// elements near Float.greatestFiniteMagnitude (whose squares overflow float).
    @Test("sumOfSquares matches a double loop", arguments: sizes)
    func sumOfSquares(size: Int) {
        var random = TestRandom(seed: 42)
        let values = random.floats(size)
        let expected = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(Kernels.sumOfSquares(values, count: size) - expected) <= 1e-12 * Double(size))
        let huge = [Float](repeating: 3e38, count: size)
        #expect(Kernels.sumOfSquares(huge, count: size) == Double(size) * Double(Float(3e38)) * Double(Float(3e38)))
    }

    @Test("clamp matches min(max(x, low), high)", arguments: sizes)
    func clamp(size: Int) {
        var random = TestRandom(seed: 43)
        var values = random.floats(size, -3, 3)
        let expected = values.map { min(max($0, -0.5), 0.5) }
        Kernels.clamp(&values, low: -0.5, high: 0.5, count: size)
        #expect(values == expected)
    }
}
