// Batch and layer normalisation (the normalising part: x̂ = (x - mean)/√(var + ε)) and the
// per-channel scale that applies their γ, forward and backward. Stage: kernels. Tensors are
// (rows, columns) with the normalised channels as columns: NHWC images have rows = batch·H·W.
// Column sums over the rows use float blocks added in double (`chunkSum`); the mean is subtracted
// before squaring (two passes), which keeps the variance accurate when |mean| ≫ std.

extension Kernels {
    // MARK: - Batch normalisation

    /// Training mode: per column, the batch mean and (biased) variance over the rows;
    /// y = (x - mean)·invStd with invStd = 1/√(var + ε). Writes mean and invStd (columns each) for
    /// the backward pass and updates the running statistics: r = momentum·r + (1 - momentum)·batch
    /// value (the variance is the biased one, as in Keras).
    public static func batchNormTraining(_ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
                                         momentum: Float, runningMean: UnsafeMutablePointer<Float>,
                                         runningVariance: UnsafeMutablePointer<Float>,
                                         output y: UnsafeMutablePointer<Float>,
                                         mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(max(rows, 1))
        Vector.forEach(columns) { j, lanes in
            let m = chunkSum(rows: rows, columns: columns, start: j) { Vector.load(x + $0, lanes: lanes) } * scale
            let variance = chunkSum(rows: rows, columns: columns, start: j) { offset in
                let d = Vector.load(x + offset, lanes: lanes) - m
                return d * d
            } * scale
            Vector.store(m, mean + j, lanes: lanes)
            let r = Vector.load(runningMean + j, lanes: lanes), v = Vector.load(runningVariance + j, lanes: lanes)
            Vector.store(r * momentum + m * (1 - momentum), runningMean + j, lanes: lanes)
            Vector.store(v * momentum + variance * (1 - momentum), runningVariance + j, lanes: lanes)
            Vector.store(1 / Vector.squareRoot(variance + epsilon), inverseStd + j, lanes: lanes)
        }
        normalizeColumns(x, rows: rows, columns: columns, mean: mean, inverseStd: inverseStd, output: y)
    }

    /// Inference mode: y = (x - runningMean)/√(runningVariance + ε); writes the mean and invStd
    /// used (for a backward pass through an evaluation graph).
    public static func batchNormInference(_ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
                                          runningMean: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
                                          output y: UnsafeMutablePointer<Float>,
                                          mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
        Vector.forEach(columns) { j, lanes in
            Vector.store(Vector.load(runningMean + j, lanes: lanes), mean + j, lanes: lanes)
            let v = Vector.load(runningVariance + j, lanes: lanes, padding: 1)
            Vector.store(1 / Vector.squareRoot(v + epsilon), inverseStd + j, lanes: lanes)
        }
        normalizeColumns(x, rows: rows, columns: columns, mean: mean, inverseStd: inverseStd, output: y)
    }

    /// y[r, j] = (x[r, j] - mean[j])·invStd[j].
    static func normalizeColumns(_ x: UnsafePointer<Float>, rows: Int, columns: Int, mean: UnsafePointer<Float>,
                                 inverseStd: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xRow = x + r * columns, yRow = y + r * columns
            Vector.forEach(columns) { j, lanes in
                let v = (Vector.load(xRow + j, lanes: lanes) - Vector.load(mean + j, lanes: lanes))
                    * Vector.load(inverseStd + j, lanes: lanes)
                Vector.store(v, yRow + j, lanes: lanes)
            }
        }
    }

    /// Backward of batch normalisation from its output x̂ and dy. Training mode (batch
    /// statistics): dx = invStd·(dy - mean(dy) - x̂·mean(dy·x̂)), means over the rows;
    /// inference mode (fixed statistics): dx = invStd·dy. `sums` holds 2·columns floats of scratch.
    public static func batchNormBackward(output xHat: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                                         rows: Int, columns: Int, inverseStd: UnsafePointer<Float>, training: Bool,
                                         result dx: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
        let meanGradient = sums, meanProduct = sums + columns
        if training {
            let scale = 1 / Float(max(rows, 1))
            Vector.forEach(columns) { j, lanes in
                let s = chunkSum(rows: rows, columns: columns, start: j) { Vector.load(dy + $0, lanes: lanes) }
                let p = chunkSum(rows: rows, columns: columns, start: j) {
                    Vector.load(dy + $0, lanes: lanes) * Vector.load(xHat + $0, lanes: lanes)
                }
                Vector.store(s * scale, meanGradient + j, lanes: lanes)
                Vector.store(p * scale, meanProduct + j, lanes: lanes)
            }
        } else {
            sums.update(repeating: 0, count: 2 * columns)
        }
        for r in 0..<rows {
            let offset = r * columns
            Vector.forEach(columns) { j, lanes in
                let g = Vector.load(dy + offset + j, lanes: lanes) - Vector.load(meanGradient + j, lanes: lanes)
                let v = g - Vector.load(xHat + offset + j, lanes: lanes) * Vector.load(meanProduct + j, lanes: lanes)
                Vector.store(v * Vector.load(inverseStd + j, lanes: lanes), dx + offset + j, lanes: lanes)
            }
        }
    }

    // MARK: - Layer normalisation

    /// Per row: y = (x - mean)/√(var + ε) over its columns; writes each row's invStd.
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
                                 output y: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(max(columns, 1))
        for r in 0..<rows {
            let xRow = x + r * columns, yRow = y + r * columns
            var sum = SIMD16<Float>()
            Vector.forEach(columns) { j, lanes in sum += Vector.load(xRow + j, lanes: lanes) }
            let mean = sum.sum() * scale
            var squares = SIMD16<Float>()
            Vector.forEach(columns) { j, lanes in
                let d = (Vector.load(xRow + j, lanes: lanes) - mean).replacing(with: 0, where: laneMask(lanes))
                squares = squares.addingProduct(d, d)
            }
            let invStd = 1 / (squares.sum() * scale + epsilon).squareRoot()
            inverseStd[r] = invStd
            Vector.forEach(columns) { j, lanes in
                Vector.store((Vector.load(xRow + j, lanes: lanes) - mean) * invStd, yRow + j, lanes: lanes)
            }
        }
    }

    /// Per row: dx = invStd·(dy - mean(dy) - x̂·mean(dy·x̂)), means over the row's columns.
    public static func layerNormBackward(output xHat: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                                         rows: Int, columns: Int, inverseStd: UnsafePointer<Float>,
                                         result dx: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(max(columns, 1))
        for r in 0..<rows {
            let offset = r * columns
            var s = SIMD16<Float>(), p = SIMD16<Float>()
            Vector.forEach(columns) { j, lanes in
                let g = Vector.load(dy + offset + j, lanes: lanes)
                s += g
                p = p.addingProduct(g, Vector.load(xHat + offset + j, lanes: lanes))
            }
            let meanGradient = s.sum() * scale, meanProduct = p.sum() * scale
            let invStd = inverseStd[r]
            Vector.forEach(columns) { j, lanes in
                let v = Vector.load(dy + offset + j, lanes: lanes) - meanGradient
                    - Vector.load(xHat + offset + j, lanes: lanes) * meanProduct
                Vector.store(v * invStd, dx + offset + j, lanes: lanes)
            }
        }
    }

    /// Lanes at or past `lanes` (the padded tail of a vector loop).
    @inline(__always) static func laneMask(_ lanes: Int) -> SIMDMask<SIMD16<Int32>> {
        SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) .>= SIMD16<Int32>(repeating: Int32(lanes))
    }

    // MARK: - Per-channel scale (γ)

    /// y[r, j] = x[r, j]·scale[j]. x and y may alias.
    public static func scaleColumns(_ x: UnsafePointer<Float>, by scale: UnsafePointer<Float>, rows: Int, columns: Int,
                                    output y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let xRow = x + r * columns, yRow = y + r * columns
            Vector.forEach(columns) { j, lanes in
                Vector.store(Vector.load(xRow + j, lanes: lanes) * Vector.load(scale + j, lanes: lanes), yRow + j, lanes: lanes)
            }
        }
    }

    /// dscale[j] = Σ_r x[r, j]·dy[r, j]: the gradient of `scaleColumns` with respect to the scale.
    public static func scaleColumnsGradient(_ x: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, rows: Int,
                                            columns: Int, result dscale: UnsafeMutablePointer<Float>) {
        Vector.forEach(columns) { j, lanes in
            let sum = chunkSum(rows: rows, columns: columns, start: j) {
                Vector.load(x + $0, lanes: lanes) * Vector.load(dy + $0, lanes: lanes)
            }
            Vector.store(sum, dscale + j, lanes: lanes)
        }
    }

    /// Σ over the rows of term(row·columns + j) for the 16 columns starting at j. Float partial
    /// sums of 64 rows go into double accumulators: the rows are batch·height·width (tens of
    /// thousands), and batch normalisation's gradients cancel to near zero, so a plain float
    /// running sum (error growing with the row count) put a conv bias gradient behind batch_norm
    /// 2e-5 (relative) off the Double reference; with this it is within the 1e-5 the fused-vs-
    /// reference test allows.
    @inline(__always)
    static func chunkSum(rows: Int, columns: Int, start j: Int, _ term: (Int) -> SIMD16<Float>) -> SIMD16<Float> {
        var low = SIMD8<Double>(), high = SIMD8<Double>()
        var row = 0
        while row < rows {
            let end = min(row + 64, rows)
            var partial = SIMD16<Float>()
            var offset = row * columns + j
            while row < end {
                partial += term(offset)
                offset += columns
                row += 1
            }
            low += SIMD8<Double>(partial.lowHalf)
            high += SIMD8<Double>(partial.highHalf)
        }
        return SIMD16<Float>(lowHalf: SIMD8<Float>(low), highHalf: SIMD8<Float>(high))
    }
}
