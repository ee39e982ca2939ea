// Loss functions: each returns the batch-mean loss and (optionally) writes its gradient.
// Stage: kernels. SIMD16 with the polynomial exp/log; loss sums accumulate in double like the
// reference, so only the ≤ 2 ulp per-element error of exp/log remains.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// Mean squared error over all elements: mean((p - t)²). dp = 2(p - t)/count.
    public static func meanSquaredError(prediction p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                        count: Int, gradient dp: UnsafeMutablePointer<Float>?) -> Float {
        Float(chunkedSum(count, SquaredErrorChunk(p: p, t: t, dp: dp, factor: 2 / Float(count))) / Double(count))
    }

    /// Binary cross-entropy on logits z with targets t in [0, 1], mean over all elements:
    /// max(z,0) - z·t + log(1 + e^-|z|). Stable for any z. dz = (sigmoid(z) - t)/count;
    /// `probabilities`, when given, receives sigmoid(z) (the model's output, computed on the way).
    public static func sigmoidCrossEntropy(logits z: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                           count: Int, gradient dz: UnsafeMutablePointer<Float>?,
                                           probabilities: UnsafeMutablePointer<Float>? = nil) -> Float {
        let chunk = SigmoidCrossEntropyChunk(z: z, t: t, dz: dz, probabilities: probabilities, inverseCount: 1 / Float(count))
        return Float(chunkedSum(count, chunk) / Double(count))
    }

    /// Binary cross-entropy on probabilities p (clipped to [1e-7, 1 - 1e-7]), mean over all elements.
    public static func binaryCrossEntropy(probabilities p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                          count: Int, gradient dp: UnsafeMutablePointer<Float>?) -> Float {
        Float(chunkedSum(count, BinaryCrossEntropyChunk(p: p, t: t, dp: dp, inverseCount: 1 / Float(count))) / Double(count))
    }

    /// Softmax cross-entropy on logits z(rows, columns) with target distributions t (one-hot or
    /// soft), mean over rows. Writes the softmax into `probabilities`; dz = (softmax(z) - t)/rows.
    public static func softmaxCrossEntropy(logits z: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                           rows: Int, columns: Int,
                                           probabilities: UnsafeMutablePointer<Float>,
                                           gradient dz: UnsafeMutablePointer<Float>?) -> Float {
        softmax(z, rows: rows, columns: columns, output: probabilities)
        return crossEntropy(probabilities: UnsafePointer(probabilities), target: t, count: rows * columns,
                            rows: rows, floor: .leastNormalMagnitude, ceiling: .infinity,
                            gradient: dz, softmaxGradient: true)
    }

    /// Softmax cross-entropy with integer class labels (stored as Float), mean over rows.
    public static func sparseSoftmaxCrossEntropy(logits z: UnsafePointer<Float>, labels: UnsafePointer<Float>,
                                                 rows: Int, columns: Int,
                                                 probabilities: UnsafeMutablePointer<Float>,
                                                 gradient dz: UnsafeMutablePointer<Float>?) -> Float {
        softmax(z, rows: rows, columns: columns, output: probabilities)
        var sum: Double = 0
        let inverseRows = 1 / Float(rows)
        for i in 0..<rows {
            let label = Int(labels[i])
            let row = probabilities + i * columns
            sum -= Double(logf(max(row[label], Float.leastNormalMagnitude)))
            if let dz {
                let gradientRow = dz + i * columns
                Vector.forEach(columns) { j, lanes in
                    Vector.store(Vector.load(row + j, lanes: lanes) * inverseRows, gradientRow + j, lanes: lanes)
                }
                gradientRow[label] = (row[label] - 1) * inverseRows
            }
        }
        return Float(sum / Double(rows))
    }

    /// Cross-entropy of probabilities p (clipped at 1e-7) against distributions t, mean over rows.
    public static func categoricalCrossEntropy(probabilities p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                               rows: Int, columns: Int,
                                               gradient dp: UnsafeMutablePointer<Float>?) -> Float {
        crossEntropy(probabilities: p, target: t, count: rows * columns, rows: rows, floor: 1e-7, ceiling: 1,
                     gradient: dp, softmaxGradient: false)
    }

    /// -Σ t·log(clamp(q, floor, ceiling)) / rows. Gradient (over `rows`): softmax form (q - t), or
    /// the probability form -t/q with q clamped.
    @inline(__always)
    static func crossEntropy(probabilities p: UnsafePointer<Float>, target t: UnsafePointer<Float>, count: Int,
                             rows: Int, floor: Float, ceiling: Float,
                             gradient: UnsafeMutablePointer<Float>?, softmaxGradient: Bool) -> Float {
        var total = SIMD8<Double>()
        let inverseRows = 1 / Float(rows)
        Vector.forEach(count) { i, lanes in
            let probability = Vector.load(p + i, lanes: lanes, padding: 1)
            let q = Vector.clamp(probability, floor, ceiling)
            let target = Vector.load(t + i, lanes: lanes)
            Vector.accumulate(target * Vector.log(q), into: &total)   // padding: t = 0
            if let gradient {
                let g = softmaxGradient ? (probability - target) * inverseRows : -target / q * inverseRows
                Vector.store(g, gradient + i, lanes: lanes)
            }
        }
        return Float(-total.sum() / Double(rows))
    }
}

extension Vector {
    /// The first `lanes` lanes of v, the rest 0.
    @inline(__always) static func load(_ v: F, lanes: Int) -> F {
        var result = F()
        for i in 0..<lanes { result[i] = v[i] }
        return result
    }
}

// MARK: - Elementwise losses in chunks

/// A loss over elements `range`: writes their gradient and returns their summed loss (in double).
protocol LossChunk {
    func sum(_ range: Range<Int>) -> Double
}

extension Kernels {
    /// Most elements per chunk of an elementwise loss, which is split over the pool from two chunks'
    /// worth (a VAE's 128 x 784 outputs took 3% of an epoch on the calling thread alone).
    static let lossChunkElements = 16_384
    /// At most this many chunks (their partial sums live on the stack).
    static let maximumLossChunks = 64

    /// Σ over 0..<count of `body`'s losses. The elements are cut into chunks that depend on
    /// `count` only, summed chunk by chunk in order, so the result is the same for any number
    /// of threads; the chunks are spread over the pool.
    static func chunkedSum<Body: LossChunk>(_ count: Int, _ body: Body) -> Double {
        if count < 2 * lossChunkElements { return body.sum(0..<count) }
        // A multiple of 4 chunks, so 2 or 4 threads get equal shares (a VAE's 128 x 784 outputs
        // made 7, split 3 + 4: the calling thread waited a chunk for the worker on every step).
        let chunks = min(maximumLossChunks, ((count + lossChunkElements - 1) / lossChunkElements + 3) / 4 * 4)
        let chunkSize = ((count + chunks - 1) / chunks + 15) / 16 * 16
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks) { partials in
            let pool = ThreadPool.shared
            pool.parallelFor(min(pool.threadCount, chunks),
                             LossChunks(body: body, partials: partials.baseAddress!, count: count, chunks: chunks,
                                        chunkSize: chunkSize, parts: min(pool.threadCount, chunks)))
            var total: Double = 0
            for chunk in 0..<chunks { total += partials[chunk] }
            return total
        }
    }
}

/// Part p of `parts` sums chunks p·chunks/parts ..< (p+1)·chunks/parts into `partials`.
struct LossChunks<Body: LossChunk>: ParallelTask {
    let body: Body
    let partials: UnsafeMutablePointer<Double>
    let count: Int, chunks: Int, chunkSize: Int, parts: Int
    func run(_ part: Int) {
        for chunk in (part * chunks / parts)..<((part + 1) * chunks / parts) {
            let first = min(count, chunk * chunkSize), end = min(count, first + chunkSize)
            partials[chunk] = body.sum(first..<end)
        }
    }
}

struct SquaredErrorChunk: LossChunk {
    let p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>?, factor: Float
    func sum(_ range: Range<Int>) -> Double {
        var total = SIMD8<Double>()
        let p = self.p + range.lowerBound, t = self.t + range.lowerBound, dp = self.dp.map { $0 + range.lowerBound }
        Vector.forEach(range.count) { i, lanes in
            let d = Vector.load(p + i, lanes: lanes) - Vector.load(t + i, lanes: lanes)
            Vector.accumulate(d * d, into: &total)
            if let dp { Vector.store(d * factor, dp + i, lanes: lanes) }
        }
        return total.sum()
    }
}

struct SigmoidCrossEntropyChunk: LossChunk {
    let z: UnsafePointer<Float>, t: UnsafePointer<Float>
    let dz: UnsafeMutablePointer<Float>?, probabilities: UnsafeMutablePointer<Float>?
    let inverseCount: Float
    func sum(_ range: Range<Int>) -> Double {
        var total = SIMD8<Double>()
        let start = range.lowerBound
        let z = self.z + start, t = self.t + start
        let dz = self.dz.map { $0 + start }, probabilities = self.probabilities.map { $0 + start }
        Vector.forEach(range.count) { i, lanes in
            let x = Vector.load(z + i, lanes: lanes), target = Vector.load(t + i, lanes: lanes)
            let negativeMagnitude = x.replacing(with: -x, where: x .> 0)
            let e = Vector.exp(negativeMagnitude)                       // e^-|z| in (0, 1]
            let loss = Vector.maximum(x, SIMD16()) - x * target + Vector.log1p(e)
            // Padding lanes (z = t = 0) would add log 2: zero them.
            Vector.accumulate(lanes == 16 ? loss : Vector.load(loss, lanes: lanes), into: &total)
            if dz != nil || probabilities != nil {
                // sigmoid(z) from the same e: 1/(1+e) for z ≥ 0, e/(1+e) for z < 0.
                let sigmoid = SIMD16<Float>(repeating: 1).replacing(with: e, where: x .< 0) / (1 + e)
                if let dz { Vector.store((sigmoid - target) * inverseCount, dz + i, lanes: lanes) }
                if let probabilities { Vector.store(sigmoid, probabilities + i, lanes: lanes) }
            }
        }
        return total.sum()
    }
}

struct BinaryCrossEntropyChunk: LossChunk {
    let p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>?, inverseCount: Float
    func sum(_ range: Range<Int>) -> Double {
        var total = SIMD8<Double>()
        let epsilon: Float = 1e-7
        let p = self.p + range.lowerBound, t = self.t + range.lowerBound, dp = self.dp.map { $0 + range.lowerBound }
        Vector.forEach(range.count) { i, lanes in
            let q = Vector.clamp(Vector.load(p + i, lanes: lanes, padding: 0.5), epsilon, 1 - epsilon)
            let target = Vector.load(t + i, lanes: lanes)
            let loss = -(target * Vector.log(q) + (1 - target) * Vector.log(1 - q))
            Vector.accumulate(lanes == 16 ? loss : Vector.load(loss, lanes: lanes), into: &total)
            if let dp { Vector.store((q - target) / (q * (1 - q)) * inverseCount, dp + i, lanes: lanes) }
        }
        return total.sum()
    }
}
