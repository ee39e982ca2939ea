// Row-wise softmax and its Jacobian-vector product. Stage: kernels.
// Max, exp-and-sum and scale passes over each row, 16 lanes at a time with the polynomial exp.

extension Kernels {
    /// Row-wise softmax of x(rows, columns) into y (may alias x); subtracts the row max for
    /// stability. Sums in float over 16 lanes (relative error ~1e-7·log2(columns)); exp ≤ 2 ulp.
    public static func softmax(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                               output y: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            softmaxRow(x + row * columns, columns: columns, output: y + row * columns)
        }
    }

    /// One row of `softmax`.
    @inline(__always)
    static func softmaxRow(_ x: UnsafePointer<Float>, columns: Int, output y: UnsafeMutablePointer<Float>) {
        var maxima = SIMD16<Float>(repeating: -.infinity)
        Vector.forEach(columns) { j, lanes in
            maxima = Vector.maximum(maxima, Vector.load(x + j, lanes: lanes, padding: -.infinity))
        }
        let maximum = SIMD16<Float>(repeating: maxima.max())
        var sums = SIMD16<Float>()
        Vector.forEach(columns) { j, lanes in
            // Padding lanes are -inf - max = -inf, whose exp is exactly 0.
            let e = Vector.exp(Vector.load(x + j, lanes: lanes, padding: -.infinity) - maximum)
            sums += e
            Vector.store(e, y + j, lanes: lanes)
        }
        let inverse = 1 / sums.sum()
        Vector.forEach(columns) { j, lanes in
            Vector.store(Vector.load(y + j, lanes: lanes) * inverse, y + j, lanes: lanes)
        }
    }

    /// dx = y * (dy - sum_j(dy * y)) row-wise: the softmax Jacobian-vector product. dx may alias dy.
    public static func softmaxBackward(output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                                       rows: Int, columns: Int, result dx: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            let yRow = y + row * columns, dyRow = dy + row * columns, dxRow = dx + row * columns
            var dots = SIMD16<Float>()
            Vector.forEach(columns) { j, lanes in
                dots = dots.addingProduct(Vector.load(dyRow + j, lanes: lanes), Vector.load(yRow + j, lanes: lanes))
            }
            let dot = SIMD16<Float>(repeating: dots.sum())
            Vector.forEach(columns) { j, lanes in
                let value = Vector.load(yRow + j, lanes: lanes) * (Vector.load(dyRow + j, lanes: lanes) - dot)
                Vector.store(value, dxRow + j, lanes: lanes)
            }
        }
    }
}
