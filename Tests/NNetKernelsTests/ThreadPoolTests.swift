// The thread pool: every index runs exactly once, nesting and repeated dispatch are safe.
// Stage: kernels (tests).

import Testing
import NNetKernels
import Synchronization

@Suite("ThreadPool")
struct ThreadPoolTests {
    @Test("parallelFor runs each index exactly once", arguments: [1, 2, 3, 4], [0, 1, 2, 7, 64, 1000])
    func coverage(threads: Int, count: Int) {
        let pool = ThreadPool(threadCount: threads)
        #expect(pool.threadCount == threads)
        var hits = [Int](repeating: 0, count: count)
        hits.withUnsafeMutableBufferPointer { hits in
            pool.parallelFor(count) { hits[$0] += 1 }
        }
        #expect(hits.allSatisfy { $0 == 1 })
    }

    @Test("nested parallelFor runs inline instead of deadlocking")
    func nested() {
        let pool = ThreadPool(threadCount: 2)
        let total = Atomic<Int>(0)
        pool.parallelFor(4) { _ in
            pool.parallelFor(5) { _ in total.add(1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 20)
    }

    @Test("many back-to-back dispatches complete")
    func repeatedDispatch() {
        let pool = ThreadPool(threadCount: 3)
        let total = Atomic<Int>(0)
        for _ in 0..<2000 {
            pool.parallelFor(3) { i in total.add(i + 1, ordering: .relaxed) }
        }
        #expect(total.load(ordering: .relaxed) == 2000 * 6)
    }
}
