// Streaming passes over large buffers (copy, add, finiteness check) split over the thread pool.
// Stage: kernels. Used between a training step's kernels, where they would otherwise run on the
// calling thread alone while the workers wait: a GAN step copies and checks ~1 MB of gradients,
// samples and parameters several times (8% of its time on the caller at 2 threads, measured).
// Each element's result is computed alone, so any split gives the same bits.

extension Kernels {
    /// Elements from which a streaming pass is split over the pool: 32k floats (128 KB) take
    /// ~5-10 µs on one core, against 1-3 µs to hand half to a worker. (From 64k, W6's 128x400
    /// ReLU gradients ran on the calling thread alone while the workers waited.)
    public static let streamingSplitThreshold = 1 << 15

    /// target[0..<count] = source[0..<count] (the ranges must not overlap).
    public static func copy(_ source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
        forEachStreamingPart(count, CopyPart(source: source, target: target))
    }

    /// y += x elementwise, split over the pool when large.
    public static func addInParallel(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        forEachStreamingPart(count, AddPart(x: x, y: y))
    }

    /// dx = dy * f'(y) elementwise (`activationBackward`), split over the pool when large: a
    /// generator's output sigmoid (128x784 in W5) ran on the calling thread alone, 1.3% of its time.
    public static func activationBackwardInParallel(_ activation: ActivationKind, output y: UnsafePointer<Float>,
                                                    gradient dy: UnsafePointer<Float>,
                                                    result dx: UnsafeMutablePointer<Float>, count: Int) {
        forEachStreamingPart(count, ActivationBackwardPart(activation: activation, y: y, dy: dy, dx: dx))
    }

    /// Whether every x[i] is finite (no NaN, no ±∞), split over the pool when large.
    public static func allFiniteInParallel(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        let pool = ThreadPool.shared
        let parts = streamingParts(count, pool: pool)
        if parts == 1 { return allFinite(x, count: count) }
        return withUnsafeTemporaryAllocation(of: Bool.self, capacity: parts) { results in
            pool.parallelFor(parts, StreamingParts(count: count, parts: parts,
                                                   body: FinitePart(x: x, results: results.baseAddress!)))
            return !results.contains(false)
        }
    }

    /// How many parts a pass over `count` floats is split into: one per thread from the
    /// threshold on, else 1.
    public static func streamingParts(_ count: Int, pool: ThreadPool) -> Int {
        count >= streamingSplitThreshold ? pool.threadCount : 1
    }

    static func forEachStreamingPart<Body: StreamingBody>(_ count: Int, _ body: Body) {
        let pool = ThreadPool.shared
        let parts = streamingParts(count, pool: pool)
        if parts == 1 {
            body.run(part: 0, 0..<count)
            return
        }
        pool.parallelFor(parts, StreamingParts(count: count, parts: parts, body: body))
    }
}

/// A pass over a range of elements (part `part` of a split; the range may be empty).
protocol StreamingBody {
    func run(part: Int, _ elements: Range<Int>)
}

/// Part p of `parts` runs `body` on its share of `count` elements, in whole 16-float vectors.
struct StreamingParts<Body: StreamingBody>: ParallelTask {
    let count: Int, parts: Int
    let body: Body
    func run(_ part: Int) {
        let vectors = (count + 15) / 16
        let first = min(count, part * vectors / parts * 16), end = min(count, (part + 1) * vectors / parts * 16)
        body.run(part: part, first..<max(first, end))
    }
}

struct CopyPart: StreamingBody {
    let source: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>
    func run(part: Int, _ elements: Range<Int>) {
        (target + elements.lowerBound).update(from: source + elements.lowerBound, count: elements.count)
    }
}

struct ActivationBackwardPart: StreamingBody {
    let activation: ActivationKind
    let y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    func run(part: Int, _ elements: Range<Int>) {
        let first = elements.lowerBound
        Kernels.activationBackward(activation, output: y + first, gradient: dy + first, result: dx + first,
                                   count: elements.count)
    }
}

struct AddPart: StreamingBody {
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    func run(part: Int, _ elements: Range<Int>) {
        Kernels.add(x + elements.lowerBound, into: y + elements.lowerBound, count: elements.count)
    }
}

/// Writes whether its range is finite into results[part].
struct FinitePart: StreamingBody {
    let x: UnsafePointer<Float>, results: UnsafeMutablePointer<Bool>
    func run(part: Int, _ elements: Range<Int>) {
        results[part] = Kernels.allFinite(x + elements.lowerBound, count: elements.count)
    }
}
