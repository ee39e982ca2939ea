// Naive oracles for batch and layer normalisation and the per-channel scale, in Double.
// Stage: kernels. Tensors are (rows, columns), normalised channels as columns.

extension Reference {
    /// Per column: mean and biased variance over the rows; y = (x - mean)/√(var + ε); running
    /// statistics move by (1 - momentum) towards the batch's.
    public static func batchNormTraining(_ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
                                         momentum: Float, runningMean: UnsafeMutablePointer<Float>,
                                         runningVariance: UnsafeMutablePointer<Float>,
                                         output y: UnsafeMutablePointer<Float>,
                                         mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
        for j in 0..<columns {
            var sum: Double = 0
            for r in 0..<rows { sum += Double(x[r * columns + j]) }
            let m = sum / Double(rows)
            var squares: Double = 0
            for r in 0..<rows { squares += (Double(x[r * columns + j]) - m) * (Double(x[r * columns + j]) - m) }
            let variance = squares / Double(rows)
            mean[j] = Float(m)
            inverseStd[j] = Float(1 / (variance + Double(epsilon)).squareRoot())
            runningMean[j] = Float(Double(momentum) * Double(runningMean[j]) + (1 - Double(momentum)) * m)
            runningVariance[j] = Float(Double(momentum) * Double(runningVariance[j]) + (1 - Double(momentum)) * variance)
            for r in 0..<rows { y[r * columns + j] = Float((Double(x[r * columns + j]) - m) * Double(inverseStd[j])) }
        }
    }

    /// y = (x - runningMean)/√(runningVariance + ε), recording the mean and invStd used.
    public static func batchNormInference(_ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
                                          runningMean: UnsafePointer<Float>, runningVariance: UnsafePointer<Float>,
                                          output y: UnsafeMutablePointer<Float>,
                                          mean: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
        for j in 0..<columns {
            mean[j] = runningMean[j]
            inverseStd[j] = Float(1 / (Double(runningVariance[j]) + Double(epsilon)).squareRoot())
            for r in 0..<rows {
                y[r * columns + j] = Float((Double(x[r * columns + j]) - Double(mean[j])) * Double(inverseStd[j]))
            }
        }
    }

    /// Training: dx = invStd·(dy - mean(dy) - x̂·mean(dy·x̂)) over the rows; inference: invStd·dy.
    /// `sums` is unused (the fast kernel's scratch).
    public static func batchNormBackward(output xHat: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                                         rows: Int, columns: Int, inverseStd: UnsafePointer<Float>, training: Bool,
                                         result dx: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>) {
        for j in 0..<columns {
            var meanGradient: Double = 0, meanProduct: Double = 0
            if training {
                for r in 0..<rows {
                    meanGradient += Double(dy[r * columns + j])
                    meanProduct += Double(dy[r * columns + j]) * Double(xHat[r * columns + j])
                }
                meanGradient /= Double(rows)
                meanProduct /= Double(rows)
            }
            for r in 0..<rows {
                let i = r * columns + j
                dx[i] = Float(Double(inverseStd[j]) * (Double(dy[i]) - meanGradient - Double(xHat[i]) * meanProduct))
            }
        }
    }

    /// Per row: y = (x - mean)/√(var + ε) over the row; invStd per row.
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, columns: Int, epsilon: Float,
                                 output y: UnsafeMutablePointer<Float>, inverseStd: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            var sum: Double = 0
            for j in 0..<columns { sum += Double(x[r * columns + j]) }
            let m = sum / Double(columns)
            var squares: Double = 0
            for j in 0..<columns { squares += (Double(x[r * columns + j]) - m) * (Double(x[r * columns + j]) - m) }
            let invStd = 1 / (squares / Double(columns) + Double(epsilon)).squareRoot()
            inverseStd[r] = Float(invStd)
            for j in 0..<columns { y[r * columns + j] = Float((Double(x[r * columns + j]) - m) * invStd) }
        }
    }

    /// Per row: dx = invStd·(dy - mean(dy) - x̂·mean(dy·x̂)).
    public static func layerNormBackward(output xHat: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                                         rows: Int, columns: Int, inverseStd: UnsafePointer<Float>,
                                         result dx: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            var meanGradient: Double = 0, meanProduct: Double = 0
            for j in 0..<columns {
                meanGradient += Double(dy[r * columns + j])
                meanProduct += Double(dy[r * columns + j]) * Double(xHat[r * columns + j])
            }
            meanGradient /= Double(columns)
            meanProduct /= Double(columns)
            for j in 0..<columns {
                let i = r * columns + j
                dx[i] = Float(Double(inverseStd[r]) * (Double(dy[i]) - meanGradient - Double(xHat[i]) * meanProduct))
            }
        }
    }

    /// y[r, j] = x[r, j]·scale[j].
    public static func scaleColumns(_ x: UnsafePointer<Float>, by scale: UnsafePointer<Float>, rows: Int, columns: Int,
                                    output y: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            for j in 0..<columns { y[r * columns + j] = x[r * columns + j] * scale[j] }
        }
    }

    /// dscale[j] = Σ_r x[r, j]·dy[r, j].
    public static func scaleColumnsGradient(_ x: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>, rows: Int,
                                            columns: Int, result dscale: UnsafeMutablePointer<Float>) {
        for j in 0..<columns {
            var sum: Double = 0
            for r in 0..<rows { sum += Double(x[r * columns + j]) * Double(dy[r * columns + j]) }
            dscale[j] = Float(sum)
        }
    }
}
