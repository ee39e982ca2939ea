// GEMM with a depth of one: C (m×n) = op(A)·op(B) is the outer product of a column and a row.
// Stage: kernels.
//
// The input gradient of a one-unit layer (a GAN discriminator's score: 256x1 times 1x256) is such a
// product. The 8x32 register tile ran it at ~12 GFLOP/s (each tile's set-up and stores for one
// FMA per element) on the calling thread alone; it is a write of C, so rows are streamed and split
// over the pool. Each element gets the tile's exact sequence (0 + a·b as one FMA, then + C, then
// + bias and the activation), so results equal the general path's bit for bit.

extension Kernels {
    /// Whether `gemm` takes the outer-product path: k = 1 and op(B)'s row contiguous.
    @inline(__always)
    static func isOuterProduct(k: Int, transB: Bool, ldb: Int) -> Bool { k == 1 && (!transB || ldb == 1) }

    /// C = activation(op(A)[:, 0]·op(B)[0, :] + bias (+ C if `accumulate`)) for k = 1.
    static func outerProduct(transA: Bool, m: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                             bias: UnsafePointer<Float>?, activation: ActivationKind, pool: ThreadPool?) {
        let parts = pool.map { min(m, streamingParts(m * n, pool: $0)) } ?? 1
        let rows = OuterProductRows(column: a, columnStride: transA ? 1 : lda, row: b, c: c, ldc: ldc, n: n,
                                    accumulate: accumulate, bias: bias, activation: activation, m: m, parts: parts)
        if let pool, parts > 1 {
            pool.parallelFor(parts, rows)
        } else {
            rows.run(rows: 0..<m)
        }
    }
}

/// Rows of an outer product; part p of `parts` computes rows p·m/parts ..< (p+1)·m/parts.
struct OuterProductRows: ParallelTask {
    let column: UnsafePointer<Float>, columnStride: Int
    let row: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>, ldc: Int, n: Int
    let accumulate: Bool
    let bias: UnsafePointer<Float>?
    let activation: ActivationKind
    let m: Int, parts: Int

    func run(_ part: Int) {
        run(rows: (part * m / parts)..<((part + 1) * m / parts))
    }

    func run(rows: Range<Int>) {
        let epilogue = bias != nil || activation != .linear
        for i in rows {
            let x = Vector.F(repeating: column[i &* columnStride])
            let out = c + i &* ldc
            Vector.forEach(n) { j, lanes in
                var value = Vector.F().addingProduct(x, Vector.load(row + j, lanes: lanes))
                if accumulate { value += Vector.load(out + j, lanes: lanes) }
                if epilogue {
                    value = Vector.activate(value + (bias.map { Vector.load($0 + j, lanes: lanes) } ?? Vector.F()), activation)
                }
                Vector.store(value, out + j, lanes: lanes)
            }
        }
    }
}
