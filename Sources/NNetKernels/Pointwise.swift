// Elementwise kernels: bias + activation and its backward pass, dropout masks, accumulation,
// scale, fill, copy. Stage: kernels. Contiguous SIMD16 loops with a padded-vector tail, so the
// tail computes exactly what the main loop would (no scalar/libm mismatch inside one tensor).

extension Kernels {
    /// y(rows, columns) = activation(x + bias(columns)); `bias` may be nil. x and y may alias.
    /// Sigmoid and tanh use the polynomial `Vector.exp` (≤ 4 ulp from libm).
    public static func biasActivation(_ x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                      rows: Int, columns: Int, activation: ActivationKind,
                                      output y: UnsafeMutablePointer<Float>) {
        guard let bias else {
            Vector.forEach(rows * columns) { i, lanes in
                Vector.store(Vector.activate(Vector.load(x + i, lanes: lanes), activation), y + i, lanes: lanes)
            }
            return
        }
        for row in 0..<rows {
            let xRow = x + row * columns, yRow = y + row * columns
            Vector.forEach(columns) { j, lanes in
                let v = Vector.load(xRow + j, lanes: lanes) + Vector.load(bias + j, lanes: lanes)
                Vector.store(Vector.activate(v, activation), yRow + j, lanes: lanes)
            }
        }
    }

    /// dx = dy * f'(y) elementwise over `count`, f' taken from the output y. dx may alias dy.
    public static func activationBackward(_ activation: ActivationKind, output y: UnsafePointer<Float>,
                                          gradient dy: UnsafePointer<Float>,
                                          result dx: UnsafeMutablePointer<Float>, count: Int) {
        if activation == .linear {
            if UnsafePointer(dx) != dy { copy(dy, into: dx, count: count) }
            return
        }
        Vector.forEach(count) { i, lanes in
            let derivative = Vector.derivative(output: Vector.load(y + i, lanes: lanes), activation)
            Vector.store(Vector.load(dy + i, lanes: lanes) * derivative, dx + i, lanes: lanes)
        }
    }

    /// y = x * mask elementwise (dropout forward and backward; the mask holds 0 or 1/(1-p)).
    public static func multiply(_ x: UnsafePointer<Float>, _ mask: UnsafePointer<Float>,
                                output y: UnsafeMutablePointer<Float>, count: Int) {
        Vector.forEach(count) { i, lanes in
            Vector.store(Vector.load(x + i, lanes: lanes) * Vector.load(mask + i, lanes: lanes), y + i, lanes: lanes)
        }
    }

    /// y += x elementwise (gradient accumulation where a value feeds several consumers).
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        Vector.forEach(count) { i, lanes in
            Vector.store(Vector.load(y + i, lanes: lanes) + Vector.load(x + i, lanes: lanes), y + i, lanes: lanes)
        }
    }

    /// x *= factor elementwise.
    public static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        Vector.forEach(count) { i, lanes in
            Vector.store(Vector.load(x + i, lanes: lanes) * factor, x + i, lanes: lanes)
        }
    }

    /// x[0..<count] = value.
    public static func fill(_ x: UnsafeMutablePointer<Float>, with value: Float, count: Int) {
        if count > 0 { x.update(repeating: value, count: count) }
    }

    /// destination[0..<count] = source[0..<count] (memmove semantics: they may overlap).
    public static func copy(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        if count > 0 { destination.update(from: source, count: count) }
    }
}
