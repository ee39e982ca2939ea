// Seeded, platform-independent random numbers: initialisation, shuffling, dropout, noise.
// Stage: runtime. xoshiro256** seeded through SplitMix64, so a seed gives the same stream everywhere.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var mixer = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(&mixer), splitMix(&mixer), splitMix(&mixer), splitMix(&mixer))
    }

    /// The raw state, for checkpoints.
    public var stateWords: [UInt64] {
        get { [state.0, state.1, state.2, state.3] }
        set { state = (newValue[0], newValue[1], newValue[2], newValue[3]) }
    }

    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    @inline(__always) private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func nextFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float { low + (high - low) * nextFloat() }

    /// Standard normal by Box-Muller (one value per call; the pair's twin is discarded so the
    /// stream position depends only on the number of calls).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, Double.leastNormalMagnitude)
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float(sqrt(-2 * log(u1)) * cos(2 * Double.pi * u2))
    }

    /// `count` standard normals into `buffer`, both values of each Box-Muller pair (half the
    /// logarithms, square roots and draws of `normal()` per value: GAN noise is 12,800 values a step).
    public mutating func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            let u1 = max(Double(next() >> 11) * 0x1p-53, Double.leastNormalMagnitude)
            let u2 = Double(next() >> 11) * 0x1p-53
            let radius = sqrt(-2 * log(u1)), angle = 2 * Double.pi * u2
            buffer[i] = Float(radius * cos(angle))
            if i + 1 < count { buffer[i + 1] = Float(radius * sin(angle)) }
            i += 2
        }
    }

    /// Uniform integer in 0..<bound.
    public mutating func nextIndex(below bound: Int) -> Int { Int(next(upperBound: UInt64(bound))) }

    /// Fisher-Yates shuffle driven by this generator.
    public mutating func shuffle(_ indices: inout [Int]) {
        guard indices.count > 1 else { return }
        for i in stride(from: indices.count - 1, to: 0, by: -1) {
            indices.swapAt(i, nextIndex(below: i + 1))
        }
    }
}
