// Reductions: column sums (bias gradients), argmax and accuracy counting, sum and dot.
// Stage: kernels. Explicit SIMD accumulators, since swiftc never vectorises a reduction itself.

extension Kernels {
    /// sums(columns) = sum over rows of x(rows, columns) (+ sums if `accumulate`): bias gradients.
    /// Blocks of 64 columns are held in 4 SIMD16 accumulators while every row streams past, in row
    /// order, so each sum is the same float sequence as a scalar loop (error ≤ rows·ulp·|sum|); a
    /// single column is summed in 16 interleaved partials instead.
    public static func columnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                                  output sums: UnsafeMutablePointer<Float>, accumulate: Bool) {
        columnSums(x, rows: rows, columns: columns, stride: columns, output: sums, accumulate: accumulate)
    }

    /// `columnSums` split over the pool by blocks of 64 columns from `streamingSplitThreshold`
    /// elements on (W6's 128x784 and 128x400 bias gradients ran on the calling thread alone while
    /// the workers waited). Each column is summed by one thread in row order, so the sums are
    /// the same bits as `columnSums`'.
    public static func columnSumsInParallel(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                                            output sums: UnsafeMutablePointer<Float>, accumulate: Bool,
                                            pool: ThreadPool = .shared) {
        let blocks = (columns + 63) / 64
        let parts = min(blocks, streamingParts(rows * columns, pool: pool))
        if parts <= 1 {
            columnSums(x, rows: rows, columns: columns, stride: columns, output: sums, accumulate: accumulate)
            return
        }
        pool.parallelFor(parts, ColumnSumParts(x: x, sums: sums, rows: rows, columns: columns, blocks: blocks,
                                               parts: parts, accumulate: accumulate))
    }

    /// Sums of `columns` columns of x, whose rows are `stride` floats apart.
    static func columnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int,
                           output sums: UnsafeMutablePointer<Float>, accumulate: Bool) {
        if columns == 1 && stride == 1 {
            // One column (a one-unit layer's bias): a contiguous sum in 16 lane-wise partials.
            var partials = SIMD16<Float>()
            Vector.forEach(rows) { i, lanes in partials += Vector.load(x + i, lanes: lanes) }
            sums[0] = (accumulate ? sums[0] : 0) + partials.sum()
            return
        }
        var j = 0
        while j + 64 <= columns {
            var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
            if accumulate {
                s0 = Vector.load(sums + j); s1 = Vector.load(sums + j + 16)
                s2 = Vector.load(sums + j + 32); s3 = Vector.load(sums + j + 48)
            }
            var row = x + j
            for _ in 0..<rows {
                s0 += Vector.load(row); s1 += Vector.load(row + 16)
                s2 += Vector.load(row + 32); s3 += Vector.load(row + 48)
                row += stride
            }
            Vector.store(s0, sums + j); Vector.store(s1, sums + j + 16)
            Vector.store(s2, sums + j + 32); Vector.store(s3, sums + j + 48)
            j += 64
        }
        Vector.forEach(columns - j) { offset, lanes in
            let column = j + offset
            var s = accumulate ? Vector.load(sums + column, lanes: lanes) : SIMD16<Float>()
            var row = x + column
            for _ in 0..<rows {
                s += Vector.load(row, lanes: lanes)
                row += stride
            }
            Vector.store(s, sums + column, lanes: lanes)
        }
    }

    /// Index of the first maximum of x[0..<count] (0 when count is 0; NaNs are never a maximum
    /// unless at index 0, as in the reference). Scalar: outputs have a handful of classes, and a
    /// vector max-then-search would not keep these NaN and tie semantics for less work.
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        var bestValue = count > 0 ? x[0] : 0
        var j = 1
        while j < count {
            if x[j] > bestValue { best = j; bestValue = x[j] }
            j += 1
        }
        return best
    }

    /// Number of rows whose argmax equals the label (labels stored as Float class indices).
    public static func correctPredictions(_ scores: UnsafePointer<Float>, labels: UnsafePointer<Float>,
                                          rows: Int, columns: Int) -> Int {
        var correct = 0
        for i in 0..<rows where argmax(scores + i * columns, count: columns) == Int(labels[i]) {
            correct += 1
        }
        return correct
    }

    /// Σ x[i], accumulated in double (four 8-lane accumulators), rounded once.
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var total = SIMD8<Double>()
        Vector.forEach(count) { i, lanes in Vector.accumulate(Vector.load(x + i, lanes: lanes), into: &total) }
        return Float(total.sum())
    }

    /// Σ x[i]·y[i] with four independent SIMD16 float accumulators (FMA latency hidden).
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
        var i = 0
        while i + 64 <= count {
            s0 = s0.addingProduct(Vector.load(x + i), Vector.load(y + i))
            s1 = s1.addingProduct(Vector.load(x + i + 16), Vector.load(y + i + 16))
            s2 = s2.addingProduct(Vector.load(x + i + 32), Vector.load(y + i + 32))
            s3 = s3.addingProduct(Vector.load(x + i + 48), Vector.load(y + i + 48))
            i += 64
        }
        Vector.forEach(count - i) { offset, lanes in
            s0 = s0.addingProduct(Vector.load(x + i + offset, lanes: lanes), Vector.load(y + i + offset, lanes: lanes))
        }
        return ((s0 + s1) + (s2 + s3)).sum()
    }
}

/// Part p of `parts` sums the columns of blocks p·blocks/parts ..< (p+1)·blocks/parts (64 each).
struct ColumnSumParts: ParallelTask {
    let x: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>
    let rows: Int, columns: Int, blocks: Int, parts: Int
    let accumulate: Bool

    func run(_ part: Int) {
        let first = part * blocks / parts * 64, end = min(columns, (part + 1) * blocks / parts * 64)
        guard first < end else { return }
        Kernels.columnSums(x + first, rows: rows, columns: end - first, stride: columns, output: sums + first,
                           accumulate: accumulate)
    }
}
