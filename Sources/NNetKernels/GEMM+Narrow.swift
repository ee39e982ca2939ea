// GEMM with a single output column: C (m×1) = op(A)·b. Stage: kernels.
//
// A dense layer with one unit (logistic regression, a regression head, a GAN discriminator's
// score) and its weight gradient are matrix-vector products. The 8x32 register tile would compute
// 32 columns to keep one, behind edge-tile copies; here the loops run along the contiguous
// dimension of A instead: dot products of A's rows with b when A is row-major, `c += A[p, :]·b[p]`
// sweeps when A is transposed. Single-threaded: these are memory-bound and small.

extension Kernels {
    /// Whether `gemm` takes the matrix-vector path for these operands.
    @inline(__always)
    static func isMatrixVector(n: Int) -> Bool { n == 1 }

    /// C[i, 0] = activation(Σ_p op(A)[i, p]·op(B)[p, 0] + bias[0] (+ C[i, 0] if `accumulate`)).
    /// op(B)'s column is read at `b + p·(transB ? 1 : ldb)`. The sum for each i is a fixed
    /// sequence of operations that depends only on (m, k), never on threads.
    static func matrixVector(transA: Bool, transB: Bool, m: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                             bias: UnsafePointer<Float>?, activation: ActivationKind) {
        let bStride = transB ? 1 : ldb
        if transA {
            sweepColumns(m: m, k: k, a: a, lda: lda, b: b, bStride: bStride, c: c, ldc: ldc, accumulate: accumulate)
        } else {
            rowDots(m: m, k: k, a: a, lda: lda, b: b, bStride: bStride, c: c, ldc: ldc, accumulate: accumulate)
        }
        guard bias != nil || activation != .linear else { return }
        let shift = bias?[0] ?? 0
        if ldc == 1 {
            Vector.forEach(m) { i, lanes in
                Vector.store(Vector.activate(Vector.load(c + i, lanes: lanes) + shift, activation), c + i, lanes: lanes)
            }
        } else {
            for i in 0..<m { c[i &* ldc] = activation.apply(c[i &* ldc] + shift) }
        }
    }

    /// A row-major: c[i] (+)= A[i, :]·b. Rows of 16+ floats are vector dot products; short rows
    /// (a layer with a handful of inputs) are scalar sums, four rows at a time.
    private static func rowDots(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                bStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        if k >= 16 && bStride == 1 {
            for i in 0..<m {
                let row = a + i &* lda
                var sum = SIMD16<Float>()
                var p = 0
                while p &+ 16 <= k {
                    sum = sum.addingProduct(Vector.load(row + p), Vector.load(b + p))
                    p &+= 16
                }
                var total = sum.sum()
                while p < k { total = total.addingProduct(row[p], b[p]); p &+= 1 }
                c[i &* ldc] = accumulate ? c[i &* ldc] + total : total
            }
            return
        }
        for i in 0..<m {
            let row = a + i &* lda
            var total: Float = 0
            for p in 0..<k { total = total.addingProduct(row[p], b[p &* bStride]) }
            c[i &* ldc] = accumulate ? c[i &* ldc] + total : total
        }
    }

    /// A stored (k, m): c (+)= Σ_p A[p, :]·b[p], a vector sweep over A's contiguous rows.
    private static func sweepColumns(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                     bStride: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        if m < 16 {
            // A few outputs (a layer with a handful of inputs): strided dot products, four
            // partial sums each so the FMA latency is hidden.
            for i in 0..<m {
                var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                var p = 0
                while p &+ 4 <= k {
                    s0 = s0.addingProduct(a[p &* lda &+ i], b[p &* bStride])
                    s1 = s1.addingProduct(a[(p &+ 1) &* lda &+ i], b[(p &+ 1) &* bStride])
                    s2 = s2.addingProduct(a[(p &+ 2) &* lda &+ i], b[(p &+ 2) &* bStride])
                    s3 = s3.addingProduct(a[(p &+ 3) &* lda &+ i], b[(p &+ 3) &* bStride])
                    p &+= 4
                }
                while p < k { s0 = s0.addingProduct(a[p &* lda &+ i], b[p &* bStride]); p &+= 1 }
                let total = (s0 + s1) + (s2 + s3)
                c[i &* ldc] = accumulate ? c[i &* ldc] + total : total
            }
            return
        }
        // Blocks of 64 outputs stay in four registers across the whole k loop.
        var start = 0
        while start < m {
            let width = min(64, m &- start)
            var s0 = SIMD16<Float>(), s1 = SIMD16<Float>(), s2 = SIMD16<Float>(), s3 = SIMD16<Float>()
            for p in 0..<k {
                let row = a + (p &* lda &+ start)
                let scale = SIMD16<Float>(repeating: b[p &* bStride])
                if width == 64 {
                    s0 = s0.addingProduct(Vector.load(row), scale)
                    s1 = s1.addingProduct(Vector.load(row + 16), scale)
                    s2 = s2.addingProduct(Vector.load(row + 32), scale)
                    s3 = s3.addingProduct(Vector.load(row + 48), scale)
                } else {
                    s0 = s0.addingProduct(Vector.load(row, lanes: min(16, width)), scale)
                    if width > 16 { s1 = s1.addingProduct(Vector.load(row + 16, lanes: min(16, width &- 16)), scale) }
                    if width > 32 { s2 = s2.addingProduct(Vector.load(row + 32, lanes: min(16, width &- 32)), scale) }
                    if width > 48 { s3 = s3.addingProduct(Vector.load(row + 48, lanes: width &- 48), scale) }
                }
            }
            let chunks = (s0, s1, s2, s3)
            for chunk in 0..<(width &+ 15) / 16 {
                let sum: SIMD16<Float>
                switch chunk {
                case 0: sum = chunks.0
                case 1: sum = chunks.1
                case 2: sum = chunks.2
                default: sum = chunks.3
                }
                let first = start &+ chunk &* 16, lanes = min(16, m &- first)
                if ldc == 1 {
                    let target = c + first
                    Vector.store(accumulate ? Vector.load(target, lanes: lanes) + sum : sum, target, lanes: lanes)
                } else {
                    for j in 0..<lanes {
                        let target = c + (first &+ j) &* ldc
                        target.pointee = accumulate ? target.pointee + sum[j] : sum[j]
                    }
                }
            }
            start &+= width
        }
    }
}
