// The seeded generator's bulk normal draws: standard normal moments, both values of a pair used,
// the same stream for the same seed. Stage: runtime (tests).

import Foundation
import Testing
import NNetRuntime

@Suite("Random")
struct RandomTests {
    @Test func fillNormalDrawsStandardNormals() {
        var generator = SeededGenerator(seed: 42)
        let count = 200_001  // odd: the last pair's twin is dropped
        var values = [Float](repeating: .nan, count: count)
        values.withUnsafeMutableBufferPointer { generator.fillNormal($0.baseAddress!, count: count) }
        #expect(values.allSatisfy { $0.isFinite })
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count)
        let beyondTwo = Double(values.filter { abs($0) > 2 }.count) / Double(count)
        // Standard errors: mean 0.0022, variance 0.0032, tail share 0.0005 (true value 0.0455).
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.015 && abs(beyondTwo - 0.0455) < 0.003,
                "mean \(mean), variance \(variance), P(|z| > 2) \(beyondTwo)")
        var again = SeededGenerator(seed: 42)
        var replay = [Float](repeating: 0, count: 10)
        replay.withUnsafeMutableBufferPointer { again.fillNormal($0.baseAddress!, count: 10) }
        #expect(replay == Array(values.prefix(10)))
    }

    @Test("the pool-split fillNormal gives the same values and leaves the same stream", arguments: [1, 2047, 2560, 12_801])
    func parallelFillNormalMatchesTheSerialOne(count: Int) {
        var serial = SeededGenerator(seed: 9), split = SeededGenerator(seed: 9)
        var expected = [Float](repeating: .nan, count: count), values = [Float](repeating: .nan, count: count)
        var draws = [UInt64](repeating: 0, count: count + 1)
        expected.withUnsafeMutableBufferPointer { serial.fillNormal($0.baseAddress!, count: count) }
        values.withUnsafeMutableBufferPointer { buffer in
            draws.withUnsafeMutableBufferPointer { split.fillNormal(buffer.baseAddress!, count: count, draws: $0.baseAddress!) }
        }
        #expect(values == expected)
        #expect(split.next() == serial.next())
    }

    /// Seeds' noise must not change between builds (a GAN's trajectory, and the quality figures
    /// measured on it, follow every bit): the pairs are radius·cos and radius·sin of separate
    /// libm calls, whichever function computes them.
    @Test("normal pairs are radius times the cosine and the sine of libm's separate calls")
    func fillNormalKeepsTheBoxMullerBits() {
        let count = 1_000_000
        var generator = SeededGenerator(seed: 5), raw = SeededGenerator(seed: 5)
        var values = [Float](repeating: .nan, count: count)
        values.withUnsafeMutableBufferPointer { generator.fillNormal($0.baseAddress!, count: count) }
        var mismatches = 0
        for pair in 0..<(count / 2) {
            let u1 = max(Double(raw.next() >> 11) * 0x1p-53, Double.leastNormalMagnitude)
            let u2 = Double(raw.next() >> 11) * 0x1p-53
            let radius = (-2 * log(u1)).squareRoot(), angle = 2 * Double.pi * u2
            if values[2 * pair] != Float(radius * cos(angle)) || values[2 * pair + 1] != Float(radius * sin(angle)) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }
}
