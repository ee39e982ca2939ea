// GEMM against the reference: every transpose, accumulate, edge sizes, strides, the fused
// bias/activation epilogue and bitwise determinism across thread counts. Stage: kernels (tests).

import Testing
import NNetKernels

struct GEMMShape: Sendable, CustomStringConvertible {
    let m: Int, n: Int, k: Int
    init(_ m: Int, _ n: Int, _ k: Int) { self.m = m; self.n = n; self.k = k }
    var description: String { "\(m)x\(n)x\(k)" }
}

struct GEMMVariant: Sendable, CustomStringConvertible {
    let transA: Bool, transB: Bool, accumulate: Bool
    var description: String { "\(transA ? "T" : "N")\(transB ? "T" : "N")\(accumulate ? "+acc" : "")" }
    static let all: [GEMMVariant] = [false, true].flatMap { a in
        [false, true].flatMap { b in [false, true].map { GEMMVariant(transA: a, transB: b, accumulate: $0) } }
    }
}

/// One GEMM problem with padded leading dimensions (stride = width + pad), so stride handling is
/// exercised as well as shapes.
struct GEMMCase {
    let shape: GEMMShape, variant: GEMMVariant
    let lda: Int, ldb: Int, ldc: Int
    let a: [Float], b: [Float], c: [Float]

    init(_ shape: GEMMShape, _ variant: GEMMVariant, pad: Int = 0, seed: UInt64 = 1) {
        self.shape = shape; self.variant = variant
        var random = TestRandom(seed: seed &+ UInt64(shape.m * 1_000_003 + shape.n * 1009 + shape.k))
        let aRows = variant.transA ? shape.k : shape.m, aColumns = variant.transA ? shape.m : shape.k
        let bRows = variant.transB ? shape.n : shape.k, bColumns = variant.transB ? shape.k : shape.n
        lda = aColumns + pad; ldb = bColumns + pad; ldc = shape.n + pad
        a = random.floats(max(1, aRows * lda)); b = random.floats(max(1, bRows * ldb))
        c = random.floats(max(1, shape.m * ldc))
    }

    func run(fast: Bool, pool: ThreadPool? = nil, bias: [Float]? = nil,
             activation: ActivationKind = .linear) -> [Float] {
        var result = c
        let s = shape, v = variant
        result.withUnsafeMutableBufferPointer { out in
          withOptionalPointer(bias) { biasPointer in
            if fast {
                Kernels.gemm(transA: v.transA, transB: v.transB, m: s.m, n: s.n, k: s.k, a: a, lda: lda,
                             b: b, ldb: ldb, c: out.baseAddress!, ldc: ldc, accumulate: v.accumulate,
                             bias: biasPointer, activation: activation, pool: pool)
            } else {
                Reference.gemmBiasActivation(transA: v.transA, transB: v.transB, m: s.m, n: s.n, k: s.k,
                                             a: a, lda: lda, b: b, ldb: ldb, c: out.baseAddress!, ldc: ldc,
                                             accumulate: v.accumulate, bias: biasPointer, activation: activation)
            }
          }
        }
        return result
    }

    /// Per-element error bound. A float FMA chain over k terms errs by a random walk of ~√k
    /// roundings of u = 6e-8 relative to Σ|a·b|; the bound allows 1e-6·√k (~16x that), plus
    /// 1e-6 of the accumulated |C| and of the bias. Elements outside the (m, n) block (padding)
    /// must be untouched, so their bound is 0.
    func tolerance(bias: [Float]?) -> [Float] {
        var bound = [Float](repeating: 0, count: c.count)
        let s = shape
        let scale = 1e-6 * Float(max(1, s.k)).squareRoot()
        for i in 0..<s.m {
            for j in 0..<s.n {
                var magnitude: Float = 0
                for p in 0..<s.k {
                    let av = variant.transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = variant.transB ? b[j * ldb + p] : b[p * ldb + j]
                    magnitude += abs(av * bv)
                }
                let extra = (variant.accumulate ? abs(c[i * ldc + j]) : 0) + abs(bias?[j] ?? 0)
                bound[i * ldc + j] = scale * magnitude + 1e-6 * extra + 1e-30
            }
        }
        return bound
    }
}

func expectClose(_ actual: [Float], _ expected: [Float], bounds: [Float], _ comment: Comment) {
    var failures = 0
    var first = ""
    for i in actual.indices where !(abs(actual[i] - expected[i]) <= bounds[i]) && actual[i] != expected[i] {
        if failures == 0 { first = "index \(i): \(actual[i]) vs \(expected[i]) (bound \(bounds[i]))" }
        failures += 1
    }
    #expect(failures == 0, "\(comment): \(failures) elements out of tolerance, first \(first)")
}

@Suite("GEMM")
struct GEMMTests {
    static let edgeSizes = [1, 15, 16, 17, 31, 33, 257]
    static let shapes: [GEMMShape] = edgeSizes.map { GEMMShape($0, $0, $0) } + [
        GEMMShape(1, 257, 33), GEMMShape(257, 1, 17), GEMMShape(33, 15, 257), GEMMShape(17, 31, 1),
        GEMMShape(15, 33, 16), GEMMShape(257, 33, 31), GEMMShape(8, 32, 5), GEMMShape(9, 40, 300),
        GEMMShape(65, 100, 200), GEMMShape(300, 70, 500), GEMMShape(7, 129, 64), GEMMShape(100, 7, 193),
        // A last strip of exactly 16 columns (the half-width kernel, packed 16 at a time).
        GEMMShape(40, 400, 37),
        // Depth 1: outer products (a one-unit layer's input gradient), split over rows when large.
        GEMMShape(256, 256, 1), GEMMShape(300, 70, 1),
        // The seed models' forward and backward shapes.
        GEMMShape(32, 32, 784), GEMMShape(784, 32, 32), GEMMShape(32, 784, 32), GEMMShape(128, 256, 512),
        // One output column (the matrix-vector path): short and long rows, few and many outputs
        // (logistic regression 1000x1x2 and its weight gradient 2x1x1000, a GAN score 256x1x256).
        GEMMShape(1000, 1, 2), GEMMShape(2, 1, 1000), GEMMShape(256, 1, 256), GEMMShape(100, 1, 300),
        GEMMShape(15, 1, 16), GEMMShape(16, 1, 15), GEMMShape(64, 1, 7),
    ]

    @Test("matches the reference", arguments: shapes, GEMMVariant.all)
    func matchesReference(shape: GEMMShape, variant: GEMMVariant) {
        let problem = GEMMCase(shape, variant)
        expectClose(problem.run(fast: true), problem.run(fast: false), bounds: problem.tolerance(bias: nil),
                    "\(shape) \(variant)")
    }

    @Test("respects leading dimensions larger than the width",
          arguments: [GEMMShape(17, 33, 31), GEMMShape(40, 70, 257), GEMMShape(70, 1, 40), GEMMShape(5, 1, 33)],
          GEMMVariant.all)
    func paddedStrides(shape: GEMMShape, variant: GEMMVariant) {
        let problem = GEMMCase(shape, variant, pad: 5)
        expectClose(problem.run(fast: true), problem.run(fast: false), bounds: problem.tolerance(bias: nil),
                    "\(shape) \(variant) padded")
    }

    static let activations: [ActivationKind] = [.linear, .relu, .leakyRelu(alpha: 0.1), .sigmoid, .tanh]

    @Test("fused bias and activation match the reference",
          // 24x48: full tiles of the half-width (16-column) kernel; 17x33: its scratch tile.
          arguments: [GEMMShape(1, 1, 1), GEMMShape(17, 33, 15), GEMMShape(32, 64, 300), GEMMShape(9, 31, 0),
                      GEMMShape(24, 48, 70), GEMMShape(40, 100, 1),
                      GEMMShape(1000, 1, 2), GEMMShape(37, 1, 300)],
          activations)
    func fusedEpilogue(shape: GEMMShape, activation: ActivationKind) {
        for accumulate in [false, true] {
            let variant = GEMMVariant(transA: false, transB: accumulate, accumulate: accumulate)
            let problem = GEMMCase(shape, variant)
            var random = TestRandom(seed: 7)
            let bias = random.floats(shape.n)
            // Activations are 1-Lipschitz (sigmoid 1/4), so the pre-activation bound carries over;
            // sigmoid/tanh add their own ≤ 4 ulp, covered by the 1e-6 relative term.
            let bounds = problem.tolerance(bias: bias).map { $0 + 1e-6 }
            expectClose(problem.run(fast: true, bias: bias, activation: activation),
                        problem.run(fast: false, bias: bias, activation: activation), bounds: bounds,
                        "\(shape) \(activation) accumulate \(accumulate)")
            expectClose(problem.run(fast: true, bias: nil, activation: activation),
                        problem.run(fast: false, bias: nil, activation: activation), bounds: bounds,
                        "\(shape) \(activation) no bias")
        }
    }

    @Test("empty products leave or zero C", arguments: [GEMMShape(0, 5, 3), GEMMShape(4, 0, 3), GEMMShape(4, 5, 0)],
          GEMMVariant.all)
    func emptyDimensions(shape: GEMMShape, variant: GEMMVariant) {
        let problem = GEMMCase(shape, variant)
        #expect(problem.run(fast: true) == problem.run(fast: false))
    }

    @Test("results are bitwise identical for 1, 2 and 3 threads",
          // 517x40 and 400x200 are split along m at 2 threads, the others along n; 517x40,
          // 128x400 and 64x1000 share a strip between two threads (see "GEMM pieces").
          arguments: [GEMMShape(200, 300, 257), GEMMShape(517, 40, 129), GEMMShape(64, 1000, 100),
                      GEMMShape(128, 400, 100), GEMMShape(400, 200, 64), GEMMShape(256, 256, 1)], GEMMVariant.all)
    func threadCountDeterminism(shape: GEMMShape, variant: GEMMVariant) {
        let problem = GEMMCase(shape, variant)
        var random = TestRandom(seed: 3)
        let bias = random.floats(shape.n)
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            let pool = ThreadPool(threadCount: threads)
            results.append(problem.run(fast: true, pool: pool, bias: bias, activation: .tanh))
        }
        #expect(results[0] == results[1])
        #expect(results[0] == results[2])
    }

    @Test("the Reference-signature entry point equals the general one")
    func referenceSignature() {
        let problem = GEMMCase(GEMMShape(33, 65, 70), GEMMVariant(transA: true, transB: false, accumulate: true))
        var c = problem.c
        c.withUnsafeMutableBufferPointer { out in
            Kernels.gemm(transA: true, transB: false, m: 33, n: 65, k: 70, a: problem.a, lda: problem.lda,
                         b: problem.b, ldb: problem.ldb, c: out.baseAddress!, ldc: problem.ldc, accumulate: true)
        }
        #expect(c == problem.run(fast: true, pool: nil))
    }
}

@Suite("GEMM pieces")
struct GEMMPiecesTests {
    /// A tile's cost in half tiles: 8x32 tiles cost 2 (edge tiles too: they run the full kernel
    /// on padding), tiles at most 16 columns wide 1 (the half-width kernel).
    static func cost(rows: Range<Int>, columns: Range<Int>) -> Int {
        let rowTiles = (rows.count + 7) / 8
        let full = columns.count / 32, rest = columns.count % 32
        return rowTiles * (2 * full + (rest == 0 ? 0 : rest <= 16 ? 1 : 2))
    }

    @Test("every element of C is computed by exactly one thread, and the threads' tile costs differ by at most one tile",
          arguments: [GEMMShape(128, 400, 1), GEMMShape(128, 784, 1), GEMMShape(400, 784, 1), GEMMShape(784, 400, 1),
                      GEMMShape(517, 40, 1), GEMMShape(64, 1000, 1), GEMMShape(9, 40, 1), GEMMShape(3, 3, 1),
                      GEMMShape(1, 100, 1), GEMMShape(1000, 33, 1)],
          [2, 3, 4])
    func piecesCoverCOnceAndBalance(shape: GEMMShape, threads: Int) {
        for transB in [false, true] {
            let pieces = Kernels.gemmPieces(m: shape.m, n: shape.n, transB: transB, threads: threads)
            var owner = [Int](repeating: -1, count: shape.m * shape.n)
            var overlaps = 0
            for (part, rectangles) in pieces.enumerated() {
                for (rows, columns) in rectangles {
                    // Pieces start on tile boundaries (an in-place edge strip is packed from there).
                    #expect(rows.lowerBound % 8 == 0 && columns.lowerBound % 32 == 0, "\(shape) \(rows) \(columns)")
                    for i in rows { for j in columns {
                        if owner[i * shape.n + j] != -1 { overlaps += 1 }
                        owner[i * shape.n + j] = part
                    } }
                }
            }
            #expect(overlaps == 0, "\(shape) threads \(threads)")
            #expect(!owner.contains(-1), "\(shape) threads \(threads): elements nobody computes")
            let costs = pieces.map { $0.reduce(0) { $0 + Self.cost(rows: $1.rows, columns: $1.columns) } }
            #expect(pieces.count == min(threads, ((shape.m + 7) / 8) * ((shape.n + 31) / 32)))
            #expect(costs.max()! - costs.min()! <= 2, "\(shape) threads \(threads) transB \(transB): costs \(costs)")
        }
    }

    @Test("a 128x400 product's 12.5 strips are shared 6.25 and 6.25 between two threads")
    func sharesTheMiddleStrip() {
        let pieces = Kernels.gemmPieces(m: 128, n: 400, transB: false, threads: 2)
        #expect(pieces.count == 2)
        #expect(pieces[0].map { "\($0.rows) \($0.columns)" } == ["0..<128 0..<192", "0..<32 192..<224"])
        #expect(pieces[1].map { "\($0.rows) \($0.columns)" } == ["32..<128 192..<224", "0..<128 224..<400"])
    }
}
