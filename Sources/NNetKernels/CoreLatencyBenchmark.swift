// Cache-line round trip between two threads for `nnet bench cores`. Stage: kernels; used by the
// driver only.
//
// On the 2-vCPU virtual machines this project is measured on, the time for a cache line to go
// from one vCPU to the other and back changes while a process runs: 55-90 ns most of the time,
// 330-450 ns for stretches of tens of seconds (the hypervisor then places the vCPUs on core
// complexes that share no cache). Every 2-thread training epoch is ~2x slower in the slow mode,
// the peers' too, so benchmark runs record the mode (Benchmarks/run_peers.sh).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

public enum CoreLatencyBenchmark {
    /// Median nanoseconds for one cache line to go from this thread to another thread and back,
    /// over `samples` samples of `roundTrips` round trips. The operating system places the two
    /// threads (run the process on two CPUs, e.g. `taskset -c 0,1`, to choose which).
    public static func roundTripNanoseconds(roundTrips: Int = 100_000, samples: Int = 5) -> Double {
        var results: [Double] = []
        for _ in 0..<max(1, samples) {
            let line = SharedLine()
            let context = Unmanaged.passRetained(PongStart(line: line, roundTrips: roundTrips)).toOpaque()
            var thread = pthread_t()
            guard pthread_create(&thread, nil, { context in
                let start = Unmanaged<PongStart>.fromOpaque(context!).takeRetainedValue()
                start.line.answer(roundTrips: start.roundTrips)
                return nil
            }, context) == 0 else {
                Unmanaged<PongStart>.fromOpaque(context).release()
                return .nan
            }
            let begin = PoolState.nanoseconds()
            line.ask(roundTrips: roundTrips)
            let end = PoolState.nanoseconds()
            pthread_join(thread, nil)
            results.append(Double(end - begin) / Double(roundTrips))
        }
        return results.sorted()[results.count / 2]
    }
}

/// One atomic word on a cache line of its own: the asker writes odd values, the answerer even.
private final class SharedLine: @unchecked Sendable {
    private let leading: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
    let word = Atomic<Int>(0)
    private let trailing: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)

    func ask(roundTrips: Int) {
        for i in 0..<roundTrips {
            word.store(2 * i + 1, ordering: .releasing)
            wait(for: 2 * i + 2)
        }
    }

    func answer(roundTrips: Int) {
        for i in 0..<roundTrips {
            wait(for: 2 * i + 1)
            word.store(2 * i + 2, ordering: .releasing)
        }
    }

    /// Spins until the word holds `value`, yielding the CPU every 1024 spins (~10-20 µs): when
    /// both threads share one CPU (the other busy, as in a parallel test run) the partner then
    /// runs at once instead of after the spinner's time slice, which made a round trip take
    /// milliseconds.
    private func wait(for value: Int) {
        var spins = 0
        while word.load(ordering: .acquiring) != value {
            spinPause()
            spins &+= 1
            if spins & 1023 == 0 { sched_yield() }
        }
    }
}

private final class PongStart {
    let line: SharedLine
    let roundTrips: Int
    init(line: SharedLine, roundTrips: Int) {
        self.line = line
        self.roundTrips = roundTrips
    }
}
