// GEMM throughput measurement for `nnet bench gemm` (compared against NumPy by
// Benchmarks/peers/gemm_numpy.py). Stage: kernels; used by the driver only.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum GEMMBenchmark {
    /// Median GFLOP/s of `Kernels.gemm` on an (m, k)·(k, n) product with the given transposes,
    /// on a fresh pool of `threads` threads: one warm-up sample, then 7 timed samples of
    /// `iterations` calls each (raised so a sample lasts at least ~20 ms). Operands are random in
    /// [-1, 1], tightly packed (lda = stored row length).
    public static func run(m: Int, n: Int, k: Int, threads: Int, transA: Bool = false, transB: Bool = false,
                           iterations: Int = 10) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: max(1, m * k))
        let b = UnsafeMutablePointer<Float>.allocate(capacity: max(1, k * n))
        let c = UnsafeMutablePointer<Float>.allocate(capacity: max(1, m * n))
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        var state: UInt32 = 12345
        func random() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) * 2 - 1
        }
        for i in 0..<(m * k) { a[i] = random() }
        for i in 0..<(k * n) { b[i] = random() }
        c.initialize(repeating: 0, count: m * n)
        let pool = ThreadPool(threadCount: threads)
        let lda = transA ? m : k, ldb = transB ? k : n
        func sample(_ count: Int) -> Double {
            let start = now()
            for _ in 0..<count {
                Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                             c: c, ldc: n, accumulate: false, bias: nil, activation: .linear, pool: pool)
            }
            return now() - start
        }
        let warmUp = sample(max(1, iterations))
        let perCall = warmUp / Double(max(1, iterations))
        let count = max(iterations, Int(0.02 / max(perCall, 1e-9)))
        var times: [Double] = []
        for _ in 0..<7 { times.append(sample(count) / Double(count)) }
        times.sort()
        return 2 * Double(m) * Double(n) * Double(k) / times[times.count / 2] / 1e9
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
