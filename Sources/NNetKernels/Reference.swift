// Naive, obviously-correct versions of every kernel. They are the oracle the fast kernels are
// tested against, and the engine's fallback when `--reference` is asked for.
// Stage: kernels. All matrices are row-major; shapes are given as (rows, columns).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Reference {
    // MARK: - Matrix multiply

    /// C = op(A)·op(B) (+ C if `accumulate`). op(A) is (m, k), op(B) is (k, n), C is (m, n).
    /// A is stored (m, k) with row stride lda, or (k, m) when `transA`; likewise B.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(av) * Double(bv)
                }
                c[i * ldc + j] = accumulate ? c[i * ldc + j] + Float(sum) : Float(sum)
            }
        }
    }

    /// C = activation(op(A)·op(B) + bias (+ C if `accumulate`)): a dense layer's forward pass in
    /// one call. bias (n) is broadcast over rows and may be nil.
    public static func gemmBiasActivation(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                          a: UnsafePointer<Float>, lda: Int,
                                          b: UnsafePointer<Float>, ldb: Int,
                                          c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                                          bias: UnsafePointer<Float>?, activation: ActivationKind) {
        gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
             c: c, ldc: ldc, accumulate: accumulate)
        for i in 0..<m {
            for j in 0..<n { c[i * ldc + j] = activation.apply(c[i * ldc + j] + (bias?[j] ?? 0)) }
        }
    }

    // MARK: - Pointwise

    /// y(m, n) = activation(x(m, n) + bias(n)); `bias` may be nil. x and y may alias.
    public static func biasActivation(_ x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                      rows: Int, columns: Int, activation: ActivationKind,
                                      output y: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            for j in 0..<columns {
                let v = x[i * columns + j] + (bias?[j] ?? 0)
                y[i * columns + j] = activation.apply(v)
            }
        }
    }

    /// dx = dy * f'(y), elementwise over `count`. dx may alias dy.
    public static func activationBackward(_ activation: ActivationKind, output y: UnsafePointer<Float>,
                                          gradient dy: UnsafePointer<Float>,
                                          result dx: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { dx[i] = dy[i] * activation.derivative(output: y[i]) }
    }

    /// Row-wise softmax of x(rows, columns) into y; subtracts the row max for stability.
    public static func softmax(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                               output y: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            var maximum = -Float.infinity
            for j in 0..<columns { maximum = max(maximum, x[i * columns + j]) }
            var sum: Double = 0
            for j in 0..<columns {
                let e = expf(x[i * columns + j] - maximum)
                y[i * columns + j] = e
                sum += Double(e)
            }
            let inverse = Float(1 / sum)
            for j in 0..<columns { y[i * columns + j] *= inverse }
        }
    }

    /// dx = y * (dy - sum_j(dy * y)) row-wise: the softmax Jacobian-vector product.
    public static func softmaxBackward(output y: UnsafePointer<Float>, gradient dy: UnsafePointer<Float>,
                                       rows: Int, columns: Int, result dx: UnsafeMutablePointer<Float>) {
        for i in 0..<rows {
            var dot: Double = 0
            for j in 0..<columns { dot += Double(dy[i * columns + j]) * Double(y[i * columns + j]) }
            for j in 0..<columns {
                dx[i * columns + j] = y[i * columns + j] * (dy[i * columns + j] - Float(dot))
            }
        }
    }

    /// sums(columns) = sum over rows of x(rows, columns) (+ sums if `accumulate`): bias gradients.
    public static func columnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int,
                                  output sums: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for j in 0..<columns {
            var sum: Double = 0
            for i in 0..<rows { sum += Double(x[i * columns + j]) }
            sums[j] = accumulate ? sums[j] + Float(sum) : Float(sum)
        }
    }

    /// y = x * mask elementwise (dropout forward and backward; the mask holds 0 or 1/(1-p)).
    public static func multiply(_ x: UnsafePointer<Float>, _ mask: UnsafePointer<Float>,
                                output y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] = x[i] * mask[i] }
    }

    /// y += x elementwise (gradient accumulation where a value feeds several consumers).
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { y[i] += x[i] }
    }

    // MARK: - Losses (each returns the mean loss over the batch and writes its gradient)

    /// Mean squared error over all elements: mean((p - t)²). dp = 2(p - t)/count.
    public static func meanSquaredError(prediction p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                        count: Int, gradient dp: UnsafeMutablePointer<Float>?) -> Float {
        var sum: Double = 0
        for i in 0..<count {
            let d = p[i] - t[i]
            sum += Double(d * d)
            dp?[i] = 2 * d / Float(count)
        }
        return Float(sum / Double(count))
    }

    /// Binary cross-entropy on logits z with targets t in [0, 1], mean over all elements:
    /// max(z,0) - z·t + log(1 + e^-|z|). Stable for any z. dz = (sigmoid(z) - t)/count.
    public static func sigmoidCrossEntropy(logits z: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                           count: Int, gradient dz: UnsafeMutablePointer<Float>?,
                                           probabilities: UnsafeMutablePointer<Float>? = nil) -> Float {
        var sum: Double = 0
        for i in 0..<count {
            let x = z[i]
            sum += Double(max(x, 0) - x * t[i] + log1pf(expf(-abs(x))))
            let sigmoid = 1 / (1 + expf(-x))
            dz?[i] = (sigmoid - t[i]) / Float(count)
            probabilities?[i] = sigmoid
        }
        return Float(sum / Double(count))
    }

    /// Binary cross-entropy on probabilities p (clipped to [1e-7, 1 - 1e-7]), mean over all elements.
    public static func binaryCrossEntropy(probabilities p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                          count: Int, gradient dp: UnsafeMutablePointer<Float>?) -> Float {
        let epsilon: Float = 1e-7
        var sum: Double = 0
        for i in 0..<count {
            let q = min(max(p[i], epsilon), 1 - epsilon)
            sum -= Double(t[i] * logf(q) + (1 - t[i]) * logf(1 - q))
            dp?[i] = (q - t[i]) / (q * (1 - q)) / Float(count)
        }
        return Float(sum / Double(count))
    }

    /// Softmax cross-entropy on logits z(rows, columns) with target distributions t (one-hot or
    /// soft), mean over rows. Writes the softmax into `probabilities`; dz = (softmax(z) - t)/rows.
    public static func softmaxCrossEntropy(logits z: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                           rows: Int, columns: Int,
                                           probabilities: UnsafeMutablePointer<Float>,
                                           gradient dz: UnsafeMutablePointer<Float>?) -> Float {
        softmax(z, rows: rows, columns: columns, output: probabilities)
        var sum: Double = 0
        for i in 0..<rows {
            for j in 0..<columns {
                let q = max(probabilities[i * columns + j], Float.leastNormalMagnitude)
                sum -= Double(t[i * columns + j] * logf(q))
                dz?[i * columns + j] = (probabilities[i * columns + j] - t[i * columns + j]) / Float(rows)
            }
        }
        return Float(sum / Double(rows))
    }

    /// Softmax cross-entropy with integer class labels (stored as Float), mean over rows.
    public static func sparseSoftmaxCrossEntropy(logits z: UnsafePointer<Float>, labels: UnsafePointer<Float>,
                                                 rows: Int, columns: Int,
                                                 probabilities: UnsafeMutablePointer<Float>,
                                                 gradient dz: UnsafeMutablePointer<Float>?) -> Float {
        softmax(z, rows: rows, columns: columns, output: probabilities)
        var sum: Double = 0
        for i in 0..<rows {
            let label = Int(labels[i])
            sum -= Double(logf(max(probabilities[i * columns + label], Float.leastNormalMagnitude)))
            if let dz {
                for j in 0..<columns {
                    dz[i * columns + j] = (probabilities[i * columns + j] - (j == label ? 1 : 0)) / Float(rows)
                }
            }
        }
        return Float(sum / Double(rows))
    }

    /// Cross-entropy of probabilities p (clipped at 1e-7) against distributions t, mean over rows.
    public static func categoricalCrossEntropy(probabilities p: UnsafePointer<Float>, target t: UnsafePointer<Float>,
                                               rows: Int, columns: Int,
                                               gradient dp: UnsafeMutablePointer<Float>?) -> Float {
        let epsilon: Float = 1e-7
        var sum: Double = 0
        for i in 0..<rows * columns {
            let q = min(max(p[i], epsilon), 1)
            sum -= Double(t[i] * logf(q))
            dp?[i] = -t[i] / q / Float(rows)
        }
        return Float(sum / Double(rows))
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

    /// Index of the first maximum of x[0..<count].
    public static func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
        var best = 0
        for j in 1..<max(count, 1) where x[j] > x[best] { best = j }
        return best
    }

    // MARK: - Optimizer updates (one parameter tensor of `count` elements)

    /// w -= lr·g
    public static func sgdUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                 count: Int, learningRate: Float) {
        for i in 0..<count { w[i] -= learningRate * g[i] }
    }

    /// v = μ·v + g; w -= lr·(nesterov ? g + μ·v : v)   (PyTorch's formulation, no dampening)
    public static func momentumUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                      velocity v: UnsafeMutablePointer<Float>, count: Int,
                                      learningRate: Float, momentum: Float, nesterov: Bool) {
        for i in 0..<count {
            v[i] = momentum * v[i] + g[i]
            w[i] -= learningRate * (nesterov ? g[i] + momentum * v[i] : v[i])
        }
    }

    /// Adam (Kingma & Ba) with bias correction at step `step` (1-based):
    /// m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²; w -= lr·m̂/(√v̂ + ε).
    public static func adamUpdate(weights w: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                  firstMoment m: UnsafeMutablePointer<Float>,
                                  secondMoment v: UnsafeMutablePointer<Float>, count: Int,
                                  learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, step: Int) {
        let correction1 = 1 - powf(beta1, Float(step))
        let correction2 = 1 - powf(beta2, Float(step))
        for i in 0..<count {
            m[i] = beta1 * m[i] + (1 - beta1) * g[i]
            v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
            let mHat = m[i] / correction1
            let vHat = v[i] / correction2
            w[i] -= learningRate * mHat / (sqrtf(vHat) + epsilon)
        }
    }
}
