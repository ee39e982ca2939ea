// Splitting a batch's samples over the thread pool, for kernels that treat samples independently
// (pooling, upsampling, col2im). Stage: kernels.

extension Kernels {
    /// Calls `body.run(samples:)` on contiguous ranges of `batch` samples: one per thread when
    /// there is enough work (`work` floats per sample, ≥ 64k floats per part), else one range.
    /// Each range is processed by one thread; nothing is allocated.
    static func forEachSampleRange<Body: SampleRangeTask>(_ batch: Int, work: Int, _ body: Body) {
        let pool = ThreadPool.shared
        let parts = min(batch, pool.threadCount, max(1, batch * work / 65_536))
        if parts <= 1 {
            body.run(samples: 0..<batch)
            return
        }
        pool.parallelFor(parts, SampleRangeParts(body: body, batch: batch, parts: parts))
    }
}

/// Work on a range of a batch's samples, for `forEachSampleRange`.
protocol SampleRangeTask {
    func run(samples: Range<Int>)
}

/// Part p of `parts` runs `body` on samples p·batch/parts ..< (p+1)·batch/parts.
struct SampleRangeParts<Body: SampleRangeTask>: ParallelTask {
    let body: Body
    let batch: Int, parts: Int
    func run(_ part: Int) {
        body.run(samples: (part * batch / parts)..<((part + 1) * batch / parts))
    }
}

/// A per-sample loop body that captures nothing: `context` (a tuple of what the body needs) is
/// passed in, so the closure has no context of its own and handing the loop to the pool
/// allocates nothing. A body that captured a variable would have its context boxed on the heap
/// at every call (the allocation tests train models whose pooling layers are split, to catch it).
struct SampleLoop<Context>: SampleRangeTask {
    let context: Context
    let body: (Context, Int) -> Void
    init(_ context: Context, _ body: @escaping (Context, Int) -> Void) {
        self.context = context
        self.body = body
    }
    func run(samples: Range<Int>) {
        for n in samples { body(context, n) }
    }
}
