// Choosing between the pool and the caller alone by timing: the first calls measure both, the
// cheaper wins, the other is timed again every probeInterval calls, and a change of the machine's
// mode moves the choice. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("PoolOrCaller")
struct PoolOrCallerTests {
    /// Runs `calls` calls whose time is `pool` or `caller` nanoseconds by where they ran;
    /// returns where each ran.
    static func choices(_ placement: inout PoolOrCaller, calls: Int, pool: UInt64, caller: UInt64) -> [Bool] {
        (0..<calls).map { _ in
            let onPool = placement.usesPool()
            placement.record(nanoseconds: onPool ? pool : caller)
            return onPool
        }
    }

    @Test func measuresBothThenKeepsTheCheaperAndProbesTheOther() {
        var placement = PoolOrCaller()
        let interval = PoolOrCaller.probeInterval
        let first = Self.choices(&placement, calls: 2, pool: 100, caller: 200)
        #expect(first == [true, false])
        let next = Self.choices(&placement, calls: 3 * interval, pool: 100, caller: 200)
        // Call n (1-based, counting the first two) probes the caller when n is a multiple of the interval.
        let callers = next.indices.filter { !next[$0] }.map { $0 + 3 }
        #expect(callers == [interval, 2 * interval, 3 * interval])
    }

    @Test func followsAChangeOfMode() {
        var placement = PoolOrCaller()
        let interval = PoolOrCaller.probeInterval
        _ = Self.choices(&placement, calls: 40, pool: 100, caller: 200)
        // The pool becomes 5x slower (the slow mode): the caller takes over within two calls,
        // and the pool only runs its probes, one per interval.
        let slow = Self.choices(&placement, calls: 8 * interval, pool: 500, caller: 200)
        #expect(slow.dropFirst(2).filter { $0 }.count == 8)
        // And back: the pool's probes bring its estimate under the caller's after four of them;
        // from then on the caller only runs its probes.
        let fast = Self.choices(&placement, calls: 8 * interval, pool: 100, caller: 200)
        #expect(fast.suffix(4 * interval).filter { !$0 }.count == 4)
    }

    @Test func runTimesThePassAndSaysWhereItRuns() {
        var placement = PoolOrCaller()
        var places: [Bool] = []
        for _ in 0..<4 { placement.run { places.append($0) } }
        #expect(places.prefix(2) == [true, false])
        #expect(places.count == 4)
    }
}
