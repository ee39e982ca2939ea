// The cache-line round trip probe of `nnet bench cores` completes and reports a plausible time.
// Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("CoreLatencyBenchmark")
struct CoreLatencyBenchmarkTests {
    @Test("a round trip takes between a nanosecond and a millisecond")
    func plausibleRoundTrip() {
        // Even two threads sharing one CPU finish: the waiting side spins with the pause hint and
        // is preempted at the end of its time slice, so the bound is generous.
        let nanoseconds = CoreLatencyBenchmark.roundTripNanoseconds(roundTrips: 1_000, samples: 1)
        #expect(nanoseconds.isFinite)
        #expect(nanoseconds > 1 && nanoseconds < 1_000_000)
    }
}
