// The orthogonal initializer: recurrent kernels start as matrices with orthonormal rows or
// columns. Stage: runtime (engine).

extension ParameterStore {
    /// Fills `values`, a [rows, count / rows] matrix, like Keras' `Orthogonal`: a Gaussian matrix
    /// of the tall orientation [max, min] goes through modified Gram–Schmidt in Double (the Q of
    /// its QR decomposition with a positive diagonal R, which is what Keras' sign correction
    /// gives), and is transposed when the matrix is wide. A recurrent kernel [units, gates·units]
    /// thus gets orthonormal rows: every gate block is a rotation-like map of h.
    static func fillOrthogonal(_ values: UnsafeMutableBufferPointer<Float>, rows: Int,
                               generator: inout SeededGenerator) {
        let columns = values.count / max(rows, 1)
        let (tall, narrow) = (max(rows, columns), min(rows, columns))
        guard narrow > 0 else { return }
        // q [tall, narrow] row-major; column j is orthogonalised against columns 0..<j.
        var q = (0..<(tall * narrow)).map { _ in Double(generator.normal()) }
        for j in 0..<narrow {
            for i in 0..<j {
                var dot = 0.0
                for r in 0..<tall { dot += q[r * narrow + i] * q[r * narrow + j] }
                for r in 0..<tall { q[r * narrow + j] -= dot * q[r * narrow + i] }
            }
            var norm = 0.0
            for r in 0..<tall { norm += q[r * narrow + j] * q[r * narrow + j] }
            let scale = 1 / max(norm.squareRoot(), 1e-300)
            for r in 0..<tall { q[r * narrow + j] *= scale }
        }
        for r in 0..<rows {
            for c in 0..<columns {
                values[r * columns + c] = Float(rows >= columns ? q[r * narrow + c] : q[c * narrow + r])
            }
        }
    }
}
