// Seeded, platform-independent random numbers: initialisation, shuffling, dropout, noise.
// Stage: runtime. xoshiro256** seeded through SplitMix64, so a seed gives the same stream everywhere.

import NNetKernels

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
    /// logarithms, square roots and draws of `normal()` per value: GAN noise is 12,800 values a
    /// step), through the vector Box-Muller of Random+BoxMuller.swift (eight pairs drawn at a time).
    public mutating func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { draws in
            var pair = 0
            while 2 * pair < count {
                let pairs = min(8, (count + 1) / 2 - pair)
                for word in 0..<2 * pairs { draws[word] = next() }
                BoxMuller.normals(from: draws.baseAddress!, pairs: pairs, values: min(16, count - 2 * pair),
                                  into: buffer + 2 * pair)
                pair += pairs
            }
        }
    }

    /// The same values as `fillNormal(_:count:)`, with the Box-Muller transform split over the
    /// thread pool: only the generator's draws are sequential (into `draws`, which holds at
    /// least count + 1 words).
    public mutating func fillNormal(_ buffer: UnsafeMutablePointer<Float>, count: Int,
                                    draws: UnsafeMutablePointer<UInt64>) {
        let pairs = (count + 1) / 2
        for word in 0..<2 * pairs { draws[word] = next() }
        let pool = ThreadPool.shared
        let parts = count >= 2048 ? pool.threadCount : 1
        pool.parallelFor(parts, NormalPairs(draws: draws, buffer: buffer, count: count, pairs: pairs, parts: parts))
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

/// Pairs p·pairs/parts ..< (p+1)·pairs/parts of a `fillNormal(_:count:draws:)`.
private struct NormalPairs: ParallelTask {
    let draws: UnsafePointer<UInt64>, buffer: UnsafeMutablePointer<Float>
    let count: Int, pairs: Int, parts: Int
    func run(_ part: Int) {
        let first = part * pairs / parts, end = (part + 1) * pairs / parts
        BoxMuller.normals(from: draws + 2 * first, pairs: end - first, values: min(2 * (end - first), count - 2 * first),
                          into: buffer + 2 * first)
    }
}
