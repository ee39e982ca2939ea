// `nnet bench gemm` and `nnet bench FILE`: throughput figures for docs/performance.md.
// Stage: driver.

import Foundation
import NNetKernels
import NNetSyntax

enum BenchCommand {
    static func gemm(_ options: GEMMBenchOptions, console: Console) -> ExitCode {
        let threadCounts = options.threads.map { [$0] } ?? [1, ProcessInfo.processInfo.activeProcessorCount]
        for size in options.sizes {
            for threads in Set(threadCounts).sorted() {
                let gflops = GEMMBenchmark.run(m: size, n: size, k: size, threads: threads, transA: false, transB: false,
                                               iterations: size >= 1024 ? 5 : 20)
                if options.json {
                    console.line("{\"m\":\(size),\"n\":\(size),\"k\":\(size),\"threads\":\(threads),\"gflops\":\(String(format: "%.2f", gflops))}")
                } else {
                    console.line("sgemm \(size)x\(size)x\(size) threads \(threads): \(String(format: "%.1f", gflops)) GFLOP/s")
                }
            }
        }
        return .success
    }

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
