// Chooses, by timing, whether a memory-bound pass runs split over the thread pool or on the
// calling thread alone. Stage: kernels.
//
// On the 2-vCPU machines a streaming pass that the pool halves in one period takes 3-7x longer
// split than alone in another (the "slow mode" of docs/performance.md, in which a cache line
// takes 200-450 ns instead of 55-100 to travel between the vCPUs). W6's Adam update of 650k
// parameters, per optimizer call: split 104-130 µs in the fast mode, 450-850 µs in the slow one;
// on the calling thread alone 200-220 µs in both. The GEMMs, which reuse what they load, are
// hardly affected. The modes change every few seconds to minutes, so the choice is remade from
// measurements as the run goes. The pass's results do not depend on the choice (each element is
// computed alone), so neither does anything the run computes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Running estimates of a pass's time split over the pool and on the caller alone; each call
/// takes the cheaper, and every `probeInterval` calls the other one is timed again.
public struct PoolOrCaller: Sendable {
    /// Estimated nanoseconds per call split over the pool, and on the caller alone; nil until measured.
    private var poolEstimate: Double?, callerEstimate: Double?
    private var calls = 0
    /// Whether the call in progress (between `usesPool` and `record`) runs on the pool.
    private var current = true
    /// Calls between two timings of the way not taken: a slow probe costs at most one pass
    /// every 32 (under 1% of W6's epoch in the slow mode), and a change of mode is noticed
    /// within about a second.
    public static let probeInterval = 32
    /// Weight of a new measurement in the running estimate: a single slow call (an interrupt, a
    /// page fault) moves it a third of the way.
    static let weight = 1.0 / 3

    public init() {}

    /// Whether the next call should run split over the pool. Call `record` after it.
    public mutating func usesPool() -> Bool {
        calls += 1
        switch (poolEstimate, callerEstimate) {
        case (nil, _): current = true
        case (_, nil): current = false
        case (let pool?, let caller?):
            let preferred = pool <= caller
            current = calls % PoolOrCaller.probeInterval == 0 ? !preferred : preferred
        }
        return current
    }

    /// Records how long the call `usesPool` chose took.
    public mutating func record(nanoseconds: UInt64) {
        let measured = Double(nanoseconds)
        func updated(_ estimate: Double?) -> Double { estimate.map { $0 + PoolOrCaller.weight * (measured - $0) } ?? measured }
        if current { poolEstimate = updated(poolEstimate) } else { callerEstimate = updated(callerEstimate) }
    }

    /// Runs `pass` split over the pool (`true`) or on the caller alone (`false`), as the
    /// measurements so far say is faster, and times it.
    public mutating func run(_ pass: (_ onPool: Bool) -> Void) {
        let onPool = usesPool()
        let start = PoolOrCaller.now()
        pass(onPool)
        record(nanoseconds: PoolOrCaller.now() &- start)
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
