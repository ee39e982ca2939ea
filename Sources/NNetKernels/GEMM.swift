// Single-precision GEMM: C = op(A)·op(B) (+ C), optionally fused with bias + activation.
// Stage: kernels. Cache-blocked (Goto/BLIS loop nest), packed, 8x32 AVX-512 register tile,
// split over a ThreadPool along m or n only.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Block sizes and the thresholds that decide packing and threading.
enum GEMMBlocking {
    static func tune(_ name: String, _ value: Int) -> Int { if let s = getenv("NNET_" + name) { return Int(String(cString: s))! }; return value }
    /// Largest k block. A 32-wide strip of packed B (kc·128 bytes = 24 KB) stays in the 32 KB L1
    /// while it is reused for every 8-row strip of the A block.
    static let maxDepth = tune("maxDepth", 192)
    /// Rows of A packed at a time: mc·kc·4 = 192 KB, well inside the 1 MB L2.
    static let maxRows = tune("maxRows", 256)
    /// Columns of B packed at a time: kc·nc·4 = 3 MB, shared in L3.
    static let maxColumns = tune("maxColumns", 4096)
    /// Read op(A) in place (no packing) when every A element is used at most this many times
    /// over n, i.e. n ≤ this: packing would cost as much as it saves.
    static let directAMaxColumns = tune("directAMaxColumns", 64)
    /// Read a row-major B in place when m ≤ this (each B element is reused only m times).
    static let directBMaxRows = tune("directBMaxRows", 64)
    /// Below this many flops per thread, extra threads cost more in dispatch than they save.
    static let minFlopsPerThread = tune("minFlopsPerThread", 2_000_000)
}

/// Per-thread packing buffers, allocated on a thread's first GEMM and reused (grown if ever needed),
/// so the hot path never allocates. 64-byte aligned.
final class GEMMWorkspace {
    private(set) var packedA: UnsafeMutablePointer<Float>
    private(set) var packedB: UnsafeMutablePointer<Float>
    /// Edge strips of an in-place operand (zero-padded to 8 rows / 32 columns) and the scratch tile.
    let edgeA: UnsafeMutablePointer<Float>
    let edgeB: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    private var capacityA = 0
    private var capacityB = 0

    init() {
        let depth = GEMMBlocking.maxDepth
        capacityA = depth * GEMMBlocking.maxRows
        capacityB = 0
        packedA = GEMMWorkspace.allocate(capacityA)
        packedB = GEMMWorkspace.allocate(1)
        edgeA = GEMMWorkspace.allocate(Kernels.tileRows * depth)
        edgeB = GEMMWorkspace.allocate(Kernels.tileColumns * depth)
        scratch = GEMMWorkspace.allocate(Kernels.tileRows * Kernels.tileColumns + Kernels.tileColumns)
    }

    deinit {
        packedA.deallocate(); packedB.deallocate(); edgeA.deallocate(); edgeB.deallocate(); scratch.deallocate()
    }

    /// Makes `packedB` hold at least `count` floats (grows once to the largest panel seen).
    func reserveB(_ count: Int) {
        if count <= capacityB { return }
        packedB.deallocate()
        capacityB = count
        packedB = GEMMWorkspace.allocate(count)
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64).bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// The calling thread's workspace (created on first use, freed when the thread exits).
    static var current: GEMMWorkspace {
        if let pointer = pthread_getspecific(workspaceKey) {
            return Unmanaged<GEMMWorkspace>.fromOpaque(pointer).takeUnretainedValue()
        }
        let workspace = GEMMWorkspace()
        pthread_setspecific(workspaceKey, Unmanaged.passRetained(workspace).toOpaque())
        return workspace
    }
}

private let workspaceKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { pointer in
        guard let pointer else { return }
        Unmanaged<GEMMWorkspace>.fromOpaque(pointer).release()
    }
    return key
}()

extension Kernels {
    // MARK: - Public entry points

    /// C = op(A)·op(B) (+ C if `accumulate`). op(A) is (m, k), op(B) is (k, n), C is (m, n), all
    /// row-major; A is stored (m, k) with row stride lda, or (k, m) when `transA`; likewise B.
    /// Runs on `ThreadPool.shared`. Cost 2mnk flops; ~100 GFLOP/s per Zen 4 core once m, n ≥ 32.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
             c: c, ldc: ldc, accumulate: accumulate, bias: nil, activation: .linear, pool: ThreadPool.shared)
    }

    /// C = activation(op(A)·op(B) + bias (+ C if `accumulate`)), bias (n) broadcast over rows and
    /// may be nil. Same contract as `Reference.gemmBiasActivation`; runs on `ThreadPool.shared`.
    public static func gemmBiasActivation(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                          a: UnsafePointer<Float>, lda: Int,
                                          b: UnsafePointer<Float>, ldb: Int,
                                          c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                                          bias: UnsafePointer<Float>?, activation: ActivationKind) {
        gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
             c: c, ldc: ldc, accumulate: accumulate, bias: bias, activation: activation, pool: ThreadPool.shared)
    }

    /// The general GEMM: C = activation(op(A)·op(B) + bias (+ C if `accumulate`)). The bias and
    /// activation are applied in the micro-kernel's final store (no second pass over C).
    ///
    /// `pool` nil runs on the calling thread. Work is split over the pool only along m or n, never
    /// k, and every element of C is computed by the same sequence of FMAs whatever the split, so
    /// the result is bitwise identical for any thread count. Problems under ~2 MFLOP per thread
    /// stay on fewer threads. Never allocates after a thread's first call.
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                            bias: UnsafePointer<Float>?, activation: ActivationKind, pool: ThreadPool?) {
        if m <= 0 || n <= 0 { return }
        if k <= 0 {
            gemmWithoutDepth(m: m, n: n, c: c, ldc: ldc, accumulate: accumulate, bias: bias, activation: activation)
            return
        }
        let problem = GEMMProblem(transA: transA, transB: transB, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                  c: c, ldc: ldc, accumulate: accumulate, bias: bias, activation: activation)
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let usable = min(pool?.threadCount ?? 1, max(1, Int(flops / Double(GEMMBlocking.minFlopsPerThread))))
        // Split the dimension with more tiles; pieces are whole tiles so only the last has edges.
        let rowTiles = (m + tileRows - 1) / tileRows
        let columnTiles = (n + tileColumns - 1) / tileColumns
        let splitColumns = columnTiles >= rowTiles || rowTiles < usable
        let tiles = splitColumns ? columnTiles : rowTiles
        let parts = min(usable, tiles)
        guard parts > 1, let pool else {
            problem.run(rows: 0..<m, columns: 0..<n)
            return
        }
        pool.parallelFor(parts) { part in
            let first = part * tiles / parts, last = (part + 1) * tiles / parts
            if splitColumns {
                problem.run(rows: 0..<m, columns: (first * tileColumns)..<min(n, last * tileColumns))
            } else {
                problem.run(rows: (first * tileRows)..<min(m, last * tileRows), columns: 0..<n)
            }
        }
    }

    /// k = 0: the product is empty, so C = activation(bias (+ C)).
    @inline(never)
    static func gemmWithoutDepth(m: Int, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                                 bias: UnsafePointer<Float>?, activation: ActivationKind) {
        for i in 0..<m {
            for j in 0..<n {
                let value = (accumulate ? c[i * ldc + j] : 0) + (bias?[j] ?? 0)
                c[i * ldc + j] = activation.apply(value)
            }
        }
    }
}

/// One GEMM call's operands; `run` computes any rectangle of C with the blocked loop nest.
struct GEMMProblem {
    let transA: Bool, transB: Bool, k: Int
    let a: UnsafePointer<Float>, lda: Int
    let b: UnsafePointer<Float>, ldb: Int
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let accumulate: Bool
    let bias: UnsafePointer<Float>?
    let activation: ActivationKind

    /// k blocks depend on k only (never on the rectangle), which keeps results split-independent.
    /// They are balanced (784 → 4 × 196) so no block is a short, overhead-dominated tail.
    var depthBlocks: Int { (k + GEMMBlocking.maxDepth - 1) / GEMMBlocking.maxDepth }

    func run(rows: Range<Int>, columns: Range<Int>) {
        let workspace = GEMMWorkspace.current
        let m = rows.count, n = columns.count
        let packA = n > GEMMBlocking.directAMaxColumns
        let packB = transB || m > GEMMBlocking.directBMaxRows
        let blocks = depthBlocks
        let epilogue: ActivationKind? = bias != nil || activation != .linear ? activation : nil
        // Sub-matrix origins: op(A)[i, p] and op(B)[p, j] for the rectangle.
        let aOrigin = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
        let bOrigin = transB ? b + columns.lowerBound * ldb : b + columns.lowerBound
        let cOrigin = c + rows.lowerBound * ldc + columns.lowerBound
        let biasOrigin = bias.map { $0 + columns.lowerBound }
        let panelWidth = min(n, GEMMBlocking.maxColumns)
        if packB {
            workspace.reserveB(GEMMBlocking.maxDepth * ((panelWidth + 31) / 32 * 32))
        }
        let packedA = workspace.packedA, packedB = workspace.packedB
        let edgeA = workspace.edgeA, edgeB = workspace.edgeB, scratch = workspace.scratch

        var jc = 0
        while jc < n {
            let nb = min(GEMMBlocking.maxColumns, n - jc)
            for block in 0..<blocks {
                let p0 = block * k / blocks
                let kb = (block + 1) * k / blocks - p0
                let last = block == blocks - 1
                let load = accumulate || block > 0
                // op(B)[p0..<p0+kb, jc..<jc+nb]: packed into strips, or read in place (row-major B,
                // small m) with only a partial last strip packed.
                let bBlock = transB ? bOrigin + jc * ldb + p0 : bOrigin + p0 * ldb + jc
                if packB {
                    Kernels.packB(bBlock, ldb: ldb, transposed: transB, depth: kb, columns: nb, into: packedB)
                } else if nb % 32 != 0 {
                    let full = nb / 32 * 32
                    Kernels.packBStrip(bBlock, ldb: ldb, transposed: false, depth: kb, column: full,
                                       width: nb - full, into: edgeB)
                }
                var ic = 0
                while ic < m {
                    let mb = min(GEMMBlocking.maxRows, m - ic)
                    let aBlock = transA ? aOrigin + p0 * lda + ic : aOrigin + ic * lda + p0
                    if packA {
                        Kernels.packA(aBlock, lda: lda, transposed: transA, rows: mb, depth: kb, into: packedA)
                    } else if mb % 8 != 0 {
                        let full = mb / 8 * 8
                        let edge = transA ? aBlock + full : aBlock + full * lda
                        Kernels.packA(edge, lda: lda, transposed: transA, rows: mb - full, depth: kb, into: edgeA)
                    }
                    // Macro-kernel: each B strip (in L1) against every 8-row strip of the A block.
                    var jr = 0
                    while jr < nb {
                        let width = min(32, nb - jr)
                        let bStrip: UnsafePointer<Float>, bStride: Int
                        if packB {
                            bStrip = UnsafePointer(packedB + jr * kb); bStride = 32
                        } else if width < 32 {
                            bStrip = UnsafePointer(edgeB); bStride = 32
                        } else {
                            bStrip = bBlock + jr; bStride = ldb
                        }
                        let cColumn = cOrigin + (ic * ldc + jc + jr)
                        let biasStrip = biasOrigin.map { $0 + jc + jr }
                        var ir = 0
                        while ir < mb {
                            let height = min(8, mb - ir)
                            let aStrip: UnsafePointer<Float>, rowStride: Int, depthStride: Int
                            if packA {
                                aStrip = UnsafePointer(packedA + ir * kb); rowStride = 1; depthStride = 8
                            } else if height < 8 {
                                aStrip = UnsafePointer(edgeA); rowStride = 1; depthStride = 8
                            } else if transA {
                                aStrip = aBlock + ir; rowStride = 1; depthStride = lda
                            } else {
                                aStrip = aBlock + ir * lda; rowStride = lda; depthStride = 1
                            }
                            Kernels.tile(rows: height, columns: width, depth: kb,
                                         a: aStrip, aRowStride: rowStride, aDepthStride: depthStride,
                                         b: bStrip, bDepthStride: bStride,
                                         c: cColumn + ir * ldc, ldc: ldc, load: load,
                                         bias: biasStrip, activation: last ? epilogue : nil, scratch: scratch)
                            ir += 8
                        }
                        jr += 32
                    }
                    ic += mb
                }
            }
            jc += nb
        }
    }
}
