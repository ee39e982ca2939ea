// Scans and clipping for training you can trust: is a tensor finite, its sum of squares (for
// global-norm gradient clipping), clamping to a range. Stage: kernels. Streaming SIMD16 loops.

extension Kernels {
    /// Whether every x[i] is finite (no NaN, no ±infinity).
    /// x - x is 0 for a finite x and NaN otherwise, and NaN survives addition, so one vector
    /// subtract and add per 16 floats suffice; no branch in the loop.
    public static func allFinite(_ x: UnsafePointer<Float>, count: Int) -> Bool {
        var accumulator = SIMD16<Float>()
        Vector.forEach(count) { i, lanes in
            let v = Vector.load(x + i, lanes: lanes)
            accumulator += v - v
        }
        return accumulator == SIMD16<Float>()
    }

    /// Index of the first x[i] that is NaN or infinite, or nil (a scalar scan for diagnostics).
    public static func firstNonFinite(_ x: UnsafePointer<Float>, count: Int) -> Int? {
        for i in 0..<count where !x[i].isFinite { return i }
        return nil
    }

    /// Σ x[i]², accumulated in double from widened inputs, so gradients up to float's maximum
    /// neither overflow nor lose the small terms.
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        var total = SIMD8<Double>()
        Vector.forEach(count) { i, lanes in
            let v = Vector.load(x + i, lanes: lanes)
            let low = SIMD8<Double>(v.lowHalf), high = SIMD8<Double>(v.highHalf)
            total = total.addingProduct(low, low).addingProduct(high, high)
        }
        return total.sum()
    }

    /// x[i] = min(max(x[i], low), high), in place.
    public static func clamp(_ x: UnsafeMutablePointer<Float>, low: Float, high: Float, count: Int) {
        Vector.forEach(count) { i, lanes in
            Vector.store(Vector.clamp(Vector.load(x + i, lanes: lanes), low, high), x + i, lanes: lanes)
        }
    }
}
