// Column sums, argmax/accuracy, sum and dot against the reference. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Reductions")
struct ReductionTests {
    /// One column (a one-unit layer's bias gradient) takes its own path: 1000 and 17 rows.
    static let shapes = rowShapes + [RowShape(129, 70), RowShape(300, 128), RowShape(1000, 1), RowShape(17, 1)]

    /// A matrix of `shape` and a row of starting sums (for `accumulate`), drawn from `seed`.
    static func columnSumInputs(_ shape: RowShape, seed: UInt64) -> (x: [Float], start: [Float]) {
        var random = TestRandom(seed: seed)
        let x = random.floats(shape.count)
        return (x, random.floats(shape.columns))
    }

    /// Float sums in row order: error ≤ rows·u·Σ|x| ≤ rows²·6e-8 for |x| ≤ 1; 1e-7·rows² bounds it.
    @Test("columnSums matches the reference", arguments: shapes, [false, true])
    func columnSums(shape: RowShape, accumulate: Bool) {
        let (x, start) = Self.columnSumInputs(shape, seed: 31)
        var fast = start, slow = start
        Kernels.columnSums(x, rows: shape.rows, columns: shape.columns, output: &fast, accumulate: accumulate)
        Reference.columnSums(x, rows: shape.rows, columns: shape.columns, output: &slow, accumulate: accumulate)
        let bound = 1e-7 * Float(shape.rows * shape.rows) + 1e-7
        #expect(worstError(fast, slow, absolute: bound, relative: 0) <= 1, "\(shape)")
    }

    /// Split over the pool by 64-column blocks, the sums are those of one thread bit for bit
    /// (a pool of 3 so that the blocks split unevenly; 65 columns leave one column to a part).
    @Test("columnSumsInParallel equals columnSums bit for bit",
          arguments: [RowShape(128, 784), RowShape(600, 65), RowShape(300, 200), RowShape(4096, 1)], [false, true])
    func parallelColumnSums(shape: RowShape, accumulate: Bool) {
        let (x, start) = Self.columnSumInputs(shape, seed: 33)
        var serial = start, split = start
        Kernels.columnSums(x, rows: shape.rows, columns: shape.columns, output: &serial, accumulate: accumulate)
        Kernels.columnSumsInParallel(x, rows: shape.rows, columns: shape.columns, output: &split, accumulate: accumulate,
                                     pool: ThreadPool(threadCount: 3))
        #expect(split == serial, "\(shape)")
    }

    @Test("argmax and correctPredictions match the reference", arguments: shapes)
    func argmax(shape: RowShape) {
        var random = TestRandom(seed: 32)
        // Few distinct values, so ties (first index wins) are common.
        let scores = random.floats(shape.count).map { ($0 * 4).rounded() }
        let labels = (0..<shape.rows).map { _ in Float(Int(random.next() % UInt64(shape.columns))) }
        for row in 0..<shape.rows {
            scores.withUnsafeBufferPointer { p in
                let rowPointer = p.baseAddress! + row * shape.columns
                #expect(Kernels.argmax(rowPointer, count: shape.columns) == Reference.argmax(rowPointer, count: shape.columns))
            }
        }
        #expect(Kernels.correctPredictions(scores, labels: labels, rows: shape.rows, columns: shape.columns)
                == Reference.correctPredictions(scores, labels: labels, rows: shape.rows, columns: shape.columns))
    }

    @Test("argmax skips NaN like the reference")
    func argmaxNaN() {
        let x: [Float] = [1, .nan, 3, 2]
        #expect(Kernels.argmax(x, count: 4) == Reference.argmax(x, count: 4))
        #expect(Kernels.argmax(x, count: 0) == 0)
    }

    @Test("sum and dot", arguments: elementCounts)
    func sumAndDot(count: Int) {
        var random = TestRandom(seed: 33)
        let x = random.floats(count), y = random.floats(count)
        let sum = x.reduce(0.0) { $0 + Double($1) }
        let dot = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(Double(Kernels.sum(x, count: count)) - sum) <= 1e-6 * Double(count))
        #expect(abs(Double(Kernels.dot(x, y, count: count)) - dot) <= 1e-6 * Double(count))
    }
}
