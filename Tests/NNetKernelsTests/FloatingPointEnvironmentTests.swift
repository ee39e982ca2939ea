// Subnormals are flushed to zero on the calling thread and on every pool worker, so a kernel
// gives the same bits whichever thread computes it. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Floating-point environment")
struct FloatingPointEnvironmentTests {
    @Test func callerAndWorkersFlushSubnormals() {
        FloatingPointEnvironment.flushSubnormalsOnThisThread()
        #expect(FloatingPointEnvironment.flushesSubnormals)
        let pool = ThreadPool(threadCount: 2)
        var flushed = [Bool](repeating: false, count: 64)
        flushed.withUnsafeMutableBufferPointer { results in
            let base = results.baseAddress!
            pool.parallelFor(64) { index in
                // Slow enough per index that both threads take part.
                var spin = 0
                for i in 0..<20_000 { spin &+= i }
                base[index] = FloatingPointEnvironment.flushesSubnormals && spin > 0
            }
        }
        #expect(flushed.allSatisfy { $0 })
    }
}
