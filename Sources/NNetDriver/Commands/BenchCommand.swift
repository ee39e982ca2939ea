// `nnet bench gemm`, `nnet bench cores` and `nnet bench FILE`: throughput figures for docs/performance.md.
// Stage: driver.

import Foundation
import NNetKernels
import NNetSyntax

enum BenchCommand {
    static func gemm(_ options: GEMMBenchOptions, console: Console) -> ExitCode {
        let threadCounts = options.threads.map { [$0] } ?? [1, ProcessInfo.processInfo.activeProcessorCount]
        let shapes = options.sizes.map { GEMMBenchShape(m: $0, n: $0, k: $0) } + options.shapes
            + (options.seedShapes ? seedShapes : [])
        for shape in shapes {
            for threads in Set(threadCounts).sorted() {
                let gflops = GEMMBenchmark.run(m: shape.m, n: shape.n, k: shape.k, threads: threads, transA: shape.transA,
                                               transB: shape.transB, iterations: shape.m * shape.n * shape.k >= 1 << 30 ? 5 : 20)
                if options.json {
                    console.line("{\"m\":\(shape.m),\"n\":\(shape.n),\"k\":\(shape.k),\"transA\":\(shape.transA),"
                                 + "\"transB\":\(shape.transB),\"threads\":\(threads),\"gflops\":\(String(format: "%.2f", gflops))}")
                } else {
                    console.line("sgemm \(shape) threads \(threads): \(String(format: "%.1f", gflops)) GFLOP/s")
                }
            }
        }
        return .success
    }

    /// The cache-line round trip between two threads, which tells the 2-vCPU machines' fast mode
    /// (55-90 ns) from their slow one (330-450 ns, 2-thread epochs ~2x slower).
    static func cores(json: Bool, console: Console) -> ExitCode {
        let nanoseconds = CoreLatencyBenchmark.roundTripNanoseconds()
        if json {
            console.line("{\"round_trip_ns\":\(String(format: "%.1f", nanoseconds))}")
        } else {
            console.line("cache-line round trip between two threads: \(String(format: "%.1f", nanoseconds)) ns")
        }
        return .success
    }

    /// The seed models' dense layers, forward (X·W), weight gradient (Xᵀ·dY) and input gradient
    /// (dY·Wᵀ): the same list as Benchmarks/peers/gemm_numpy.py's SEED.
    static let seedShapes = [
        GEMMBenchShape(m: 32, n: 32, k: 784),
        GEMMBenchShape(m: 128, n: 512, k: 784),
        GEMMBenchShape(m: 128, n: 256, k: 512),
        GEMMBenchShape(m: 784, n: 32, k: 32, transA: true),
        GEMMBenchShape(m: 784, n: 512, k: 128, transA: true),
        GEMMBenchShape(m: 512, n: 256, k: 128, transA: true),
        GEMMBenchShape(m: 32, n: 784, k: 32, transB: true),
        GEMMBenchShape(m: 128, n: 784, k: 512, transB: true),
        GEMMBenchShape(m: 128, n: 512, k: 256, transB: true),
    ]

    /// Runs a program and reports its wall time (training epochs report their own times).
    static func file(_ options: BenchFileOptions, console: Console) -> ExitCode {
        if let threads = options.threads { Engine.configureThreads(threads) }
        guard let source = Driver.readSource(options.file, console: console) else { return .inputNotFound }
        let start = DispatchTime.now().uptimeNanoseconds
        let interpreter = Interpreter(options: InterpreterOptions(), console: console)
        let outcome = interpreter.execute(source)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if options.json {
            console.line("{\"file\":\"\(options.file)\",\"seconds\":\(String(format: "%.4f", seconds))}")
        } else {
            console.line("\(options.file): \(String(format: "%.3f", seconds)) s")
        }
        return outcome.exitCode
    }
}

/// Process-wide engine settings.
enum Engine {
    static func configureThreads(_ count: Int) {
        ThreadPool.shared = ThreadPool(threadCount: count)
    }
}
