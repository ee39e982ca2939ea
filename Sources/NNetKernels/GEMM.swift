// Single-precision GEMM: C = op(A)·op(B) (+ C), optionally fused with bias + activation.
// Stage: kernels. Cache-blocked (Goto/BLIS loop nest), operands packed only where it pays (B for
// large m or when transposed), 8x32 AVX-512 register tile, split over a ThreadPool along m or n only.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Block sizes and the thresholds that decide packing and threading. Measured on Zen 4 (32 KB L1,
/// 1 MB L2 per core) with thread CPU time, 2048³: k blocks of 192 → 91 GFLOP/s, 384 → 100,
/// 1024 → 108 (L2 and L3 bandwidth are plentiful for one 512-bit FMA per cycle; what costs is
/// each tile's start-up and C traffic, which long k blocks amortise).
enum GEMMBlocking {
    /// Largest k block. A 32-wide strip of packed B (kc·128 bytes = 128 KB) stays in L2 while every
    /// 8-row strip of A streams past it.
    static let maxDepth = 1024
    /// Rows of A per pass over a B strip.
    static let maxRows = 512
    /// Columns of B packed at a time: kc·nc·4 ≤ 2 MB per thread.
    static let maxColumns = 512
    /// A transposed A is packed when n exceeds this and its stride is a multiple of 4 KB (every
    /// k step then maps to the same L1 set: 1024³ Aᵀ·B 101 → 106 GFLOP/s packed). A row-major A is
    /// never packed: the micro-kernel reads its 8 rows in place as fast as a packed copy
    /// (128x256x512: 103 → 109 GFLOP/s without the packing), and packing it needs a transpose.
    static let directAMaxColumns = 64
    /// Read a row-major B in place when m ≤ this; larger m reuses each B strip often enough that a
    /// contiguous packed copy pays (m = 128: 108 → 114 GFLOP/s in place; m = 1024: 94 → 104 packed).
    static let directBMaxRows = 256
    /// Below this many flops per thread (~10 µs), extra threads cost more in dispatch (1-3 µs, or
    /// a worker's wake-up) than they save.
    static let minFlopsPerThread = 1_000_000
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
    /// A packed B that the calling thread prepares once for GEMMs its pool's threads then run
    /// (`Kernels.packWeightsTransposed` and `gemm(packedB:)`).
    private(set) var sharedB: UnsafeMutablePointer<Float>
    /// One zero-padded input image (the single-channel direct convolution's).
    private(set) var image: UnsafeMutablePointer<Float>
    private var capacityA = 0
    private var capacityB = 0
    private var capacityShared = 0
    private var capacityImage = 0

    init() {
        let depth = GEMMBlocking.maxDepth
        packedA = GEMMWorkspace.allocate(1)
        packedB = GEMMWorkspace.allocate(1)
        sharedB = GEMMWorkspace.allocate(1)
        image = GEMMWorkspace.allocate(1)
        edgeA = GEMMWorkspace.allocate(Kernels.tileRows * depth)
        edgeB = GEMMWorkspace.allocate(Kernels.tileColumns * depth)
        scratch = GEMMWorkspace.allocate(Kernels.tileRows * Kernels.tileColumns + Kernels.tileColumns)
    }

    deinit {
        packedA.deallocate(); packedB.deallocate(); sharedB.deallocate(); image.deallocate(); edgeA.deallocate(); edgeB.deallocate(); scratch.deallocate()
    }

    /// Makes `packedA` and `packedB` hold at least these many floats (each grows once to the
    /// largest block seen, so steady-state calls never allocate).
    func reserve(a countA: Int, b countB: Int) {
        if countA > capacityA {
            packedA.deallocate()
            capacityA = countA
            packedA = GEMMWorkspace.allocate(countA)
        }
        if countB > capacityB {
            packedB.deallocate()
            capacityB = countB
            packedB = GEMMWorkspace.allocate(countB)
        }
    }

    /// Makes `sharedB` hold at least `count` floats (grows once to the largest request).
    func reserveShared(_ count: Int) {
        if count > capacityShared {
            sharedB.deallocate()
            capacityShared = count
            sharedB = GEMMWorkspace.allocate(count)
        }
    }

    /// Makes `image` hold at least `count` floats (grows once to the largest request).
    func reserveImage(_ count: Int) {
        if count > capacityImage {
            image.deallocate()
            capacityImage = count
            image = GEMMWorkspace.allocate(count)
        }
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
        if isMatrixVector(n: n) {
            matrixVector(transA: transA, transB: transB, m: m, k: k, a: a, lda: lda, b: b, ldb: ldb,
                         c: c, ldc: ldc, accumulate: accumulate, bias: bias, activation: activation)
            return
        }
        if isOuterProduct(k: k, transB: transB, ldb: ldb) {
            outerProduct(transA: transA, m: m, n: n, a: a, lda: lda, b: b, c: c, ldc: ldc, accumulate: accumulate,
                         bias: bias, activation: activation, pool: pool)
            return
        }
        let problem = GEMMProblem(transA: transA, transB: transB, k: k, a: a, lda: lda, b: b, ldb: ldb,
                                  c: c, ldc: ldc, accumulate: accumulate, bias: bias, activation: activation)
        let flops = 2 * Double(m) * Double(n) * Double(k)
        let usable = min(pool?.threadCount ?? 1, max(1, Int(flops / Double(GEMMBlocking.minFlopsPerThread))))
        let split = GEMMSplit(m: m, n: n, transB: transB, threads: usable)
        let parts = split.parts
        guard parts > 1, let pool else {
            problem.run(rows: 0..<m, columns: 0..<n)
            return
        }
        pool.parallelFor(parts, GEMMParts(problem: problem, pieces: GEMMPieces(m: m, n: n, splitsColumns: split.splitsColumns,
                                                                                 parts: parts)))
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

/// How a GEMM is dealt out to threads: along n (32-column strips) or along m (8-row panels),
/// whichever makes a piece cheaper. Either way the pieces get equal shares of the tiles
/// (`GEMMPieces`), so what differs is what each piece packs and reads: split along n, every
/// thread reads all of A and its own strips of B; split along m, all of B and its own panels of A
/// (and packs all of B when B needs packing at the piece's height). In training, B is usually a
/// weight matrix the optimizer rewrote after the previous step (in L3 or in the other core's
/// cache), and A the batch's activations.
///
/// Counting the reads moved the batch-sized products of W6 (128x400x784, 128x784x400) from row
/// panels to column strips: alone, hot in cache, the row split is faster (210 against 196
/// GFLOP/s), but in the training step each thread then streams the whole 1.25 MB weight matrix
/// and W6's epoch took 1.37-1.43 s against 1.26-1.36 s split along n (2 threads, 18 epochs each,
/// alternating builds). Tall products (a convolution's m of 50,000 pixels against n of 64
/// channels) stay split along m.
struct GEMMSplit {
    let splitsColumns: Bool
    /// Pieces (≤ threads, ≤ tiles).
    let parts: Int

    /// Cost of packing one 32-column strip of B, in tiles of 8 rows computed over the same depth:
    /// measured on 1 thread, 128x400x784 A·Bᵀ 98.3 against A·B 105.8 GFLOP/s (the transposing
    /// pack of all of B costs ~1.2 row strips; 1.7 at m = 64); a plain copy (B row-major) ~3x less.
    static func packCost(transposed: Bool) -> Double { transposed ? 1.5 : 0.5 }

    /// Cost of reading one 32-column strip of B (k x 32) from L3 or another core, in the same
    /// tiles; an 8-row panel of A (8 x k) costs a quarter of it. Chosen from W6's epochs (above):
    /// between 2 and 3 it moves W6's batch-sized products to n.
    static let stripReadCost = 2.5

    init(m: Int, n: Int, transB: Bool, threads: Int) {
        let rowTiles = (m + Kernels.tileRows - 1) / Kernels.tileRows
        let columnTiles = (n + Kernels.tileColumns - 1) / Kernels.tileColumns
        func largest(_ tiles: Int) -> Int { (tiles + threads - 1) / threads }
        // Whether a rectangle of this height packs B (GEMMProblem.run's rule).
        func packsB(rows: Int) -> Bool { transB || rows > GEMMBlocking.directBMaxRows }
        let pack = GEMMSplit.packCost(transposed: transB)
        let pieceRows = min(m, largest(rowTiles) * Kernels.tileRows)
        let stripRead = GEMMSplit.stripReadCost
        let panelRead = stripRead * Double(Kernels.tileRows) / Double(Kernels.tileColumns)
        let columnsCost = (packsB(rows: m) ? Double(largest(columnTiles)) * pack : 0)
            + Double(largest(columnTiles)) * stripRead + Double(rowTiles) * panelRead
        let rowsCost = (packsB(rows: pieceRows) ? Double(columnTiles) * pack : 0)
            + Double(columnTiles) * stripRead + Double(largest(rowTiles)) * panelRead
        // Ties (square products) go to n: each thread then reads a distinct part of B. (Ties to
        // m made W3's 2-thread epochs 12% slower: each thread streamed all of a 784x512 B.)
        splitsColumns = columnsCost <= rowsCost
        parts = min(threads, rowTiles * columnTiles)
    }
}

/// A GEMM dealt out in `parts` runs of equal cost over its tiles, numbered strip by strip along
/// the split dimension (split along n: the 32-column strips, and in each strip its 8-row tiles
/// top to bottom; split along m: the 8-row panels, and in each its 32-column tiles). A run may
/// start or end inside a strip: that strip is then shared, its tiles above the boundary going to
/// one thread and those below to the next. Whole-strip pieces left 128x400 products (12.5 strips)
/// at 7 strips against 6: one thread idle for a strip of every such product.
///
/// Tiles in the last 32-column strip count half when it is at most 16 columns wide: they run the
/// half-width kernel.
struct GEMMPieces {
    let m: Int, n: Int
    let splitsColumns: Bool
    let parts: Int

    /// Strips along the split dimension and tiles across each.
    var strips: Int { splitsColumns ? (n + Kernels.tileColumns - 1) / Kernels.tileColumns : (m + Kernels.tileRows - 1) / Kernels.tileRows }
    var across: Int { splitsColumns ? (m + Kernels.tileRows - 1) / Kernels.tileRows : (n + Kernels.tileColumns - 1) / Kernels.tileColumns }
    /// Weight (in half tiles) of a tile in the last 32-column strip: 1 when that strip is at most
    /// 16 columns wide (the half-width kernel), else 2 like every other tile.
    var lastColumnWeight: Int {
        let rest = n % Kernels.tileColumns
        return rest != 0 && rest <= Kernels.halfTileColumns ? 1 : 2
    }

    /// The first tile (in strip-by-strip numbering) of part `part`, at the tile boundary nearest
    /// to an equal share of the weight (rounding down could leave a whole tile's difference);
    /// `boundary(parts)` is the number of tiles.
    func boundary(_ part: Int) -> Int {
        let across = across, strips = strips, lastWeight = lastColumnWeight
        if splitsColumns {
            let fullWeight = 2 * across * (strips - 1)
            let target = part * (fullWeight + lastWeight * across) / parts
            return target <= fullWeight ? (target + 1) / 2 : across * (strips - 1) + (target - fullWeight) / lastWeight
        }
        let fullWeight = 2 * (across - 1), panelWeight = fullWeight + lastWeight
        let target = part * panelWeight * strips / parts
        let rest = target % panelWeight
        let tile = rest <= fullWeight ? (rest + 1) / 2 : across - 1 + (rest - fullWeight) / lastWeight
        return target / panelWeight * across + tile
    }

    /// Calls `body` with the rectangles of C that part `part` computes: a shared strip's tiles,
    /// whole strips, another shared strip's tiles (each possibly absent).
    @inline(__always)
    func rectangles(_ part: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        let across = across, tr = Kernels.tileRows, tc = Kernels.tileColumns
        var index = boundary(part)
        let end = boundary(part + 1)
        while index < end {
            let strip = index / across, tile = index % across
            let shared = tile != 0 || end - index < across
            let strips = shared ? 1 : (end - index) / across
            let tiles = shared ? tile..<min(across, tile + end - index) : 0..<across
            if splitsColumns {
                body((tiles.lowerBound * tr)..<min(m, tiles.upperBound * tr),
                     (strip * tc)..<min(n, (strip + strips) * tc))
            } else {
                body((strip * tr)..<min(m, (strip + strips) * tr),
                     (tiles.lowerBound * tc)..<min(n, tiles.upperBound * tc))
            }
            index += shared ? tiles.count : strips * across
        }
    }
}

/// A GEMM's pieces run by the pool, one per participant.
struct GEMMParts: ParallelTask {
    let problem: GEMMProblem
    let pieces: GEMMPieces

    func run(_ part: Int) {
        pieces.rectangles(part) { problem.run(rows: $0, columns: $1) }
    }
}

extension Kernels {
    /// The rectangles of C (rows, columns) that each of `threads` threads computes in an m x n
    /// product, as `gemm` deals them out (it uses fewer threads for products under ~1 MFLOP per
    /// thread). For tests and benchmarks.
    public static func gemmPieces(m: Int, n: Int, transB: Bool, threads: Int) -> [[(rows: Range<Int>, columns: Range<Int>)]] {
        let split = GEMMSplit(m: m, n: n, transB: transB, threads: threads)
        let pieces = GEMMPieces(m: m, n: n, splitsColumns: split.splitsColumns, parts: split.parts)
        return (0..<split.parts).map { part in
            var rectangles: [(rows: Range<Int>, columns: Range<Int>)] = []
            pieces.rectangles(part) { rectangles.append(($0, $1)) }
            return rectangles
        }
    }
}

extension Kernels {
    /// Floats of a whole packed op(B) of (k, n) for `gemm(packedB:)`: n rounded up to 32 columns.
    static func packedBElements(k: Int, n: Int) -> Int { k * ((n + tileColumns - 1) / tileColumns * tileColumns) }

    /// C = op(A)·B on the calling thread, B (k, n) already packed by `packB` (k ≤ maxDepth,
    /// n ≤ maxColumns, so it is one block). For many GEMMs sharing one B (a convolution's weights,
    /// one GEMM per sample) the packing is done once instead of once per call. Same FMA sequence
    /// per element of C as `gemm`, so the results are identical.
    static func gemm(transA: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                     packedB: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(k > 0 && k <= GEMMBlocking.maxDepth && n <= GEMMBlocking.maxColumns, "packed B must be one block")
        if m <= 0 || n <= 0 { return }
        var problem = GEMMProblem(transA: transA, transB: false, k: k, a: a, lda: lda, b: packedB, ldb: n,
                                  c: c, ldc: ldc, accumulate: false, bias: nil, activation: .linear)
        problem.packedB = packedB
        problem.run(rows: 0..<m, columns: 0..<n)
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
    /// op(B) already packed whole (k ≤ maxDepth, n ≤ maxColumns): `b` is then unused.
    var packedB: UnsafePointer<Float>? = nil

    /// k blocks depend on k only (never on the rectangle), which keeps results split-independent.
    /// They are balanced (2500 → 3 × 833) so no block is a short, overhead-dominated tail.
    var depthBlocks: Int { (k + GEMMBlocking.maxDepth - 1) / GEMMBlocking.maxDepth }

    func run(rows: Range<Int>, columns: Range<Int>) {
        let workspace = GEMMWorkspace.current
        let m = rows.count, n = columns.count
        let packA = transA && n > GEMMBlocking.directAMaxColumns && (lda * 4) % 4096 == 0
        let packB = packedB == nil && (transB || m > GEMMBlocking.directBMaxRows)
        let blocks = depthBlocks
        let epilogue: ActivationKind? = bias != nil || activation != .linear ? activation : nil
        // Sub-matrix origins: op(A)[i, p] and op(B)[p, j] for the rectangle.
        let aOrigin = transA ? a + rows.lowerBound : a + rows.lowerBound * lda
        let bOrigin = transB ? b + columns.lowerBound * ldb : b + columns.lowerBound
        let cOrigin = c + rows.lowerBound * ldc + columns.lowerBound
        let biasOrigin = bias.map { $0 + columns.lowerBound }
        let depth = min(k, GEMMBlocking.maxDepth)
        workspace.reserve(a: packA ? depth * ((min(m, GEMMBlocking.maxRows) + 7) / 8 * 8) : 0,
                          b: packB ? depth * ((min(n, GEMMBlocking.maxColumns) + 31) / 32 * 32) : 0)
        var jc = 0
        while jc < n {
            let nb = min(GEMMBlocking.maxColumns, n - jc)
            for block in 0..<blocks {
                let p0 = block * k / blocks
                let kb = (block + 1) * k / blocks - p0
                let bBlock = transB ? bOrigin + jc * ldb + p0 : bOrigin + p0 * ldb + jc
                let bStrips = packedB.map {
                    OperandStrips(base: $0 + columns.lowerBound * k, stripStride: 32 * k, elementStride: 1,
                                  depthStride: 32, edge: nil, edgeDepthStride: 32)
                } ?? prepareB(bBlock, depth: kb, columns: nb, pack: packB, workspace: workspace)
                var ic = 0
                while ic < m {
                    let mb = min(GEMMBlocking.maxRows, m - ic)
                    let aBlock = transA ? aOrigin + p0 * lda + ic : aOrigin + ic * lda + p0
                    let aStrips = prepareA(aBlock, depth: kb, rows: mb, pack: packA, workspace: workspace)
                    macroKernel(a: aStrips, b: bStrips, rows: mb, columns: nb, depth: kb,
                                c: cOrigin + (ic * ldc + jc), load: accumulate || block > 0,
                                bias: biasOrigin.map { $0 + jc }, activation: block == blocks - 1 ? epilogue : nil,
                                scratch: workspace.scratch)
                    ic += mb
                }
            }
            jc += nb
        }
    }

    /// op(A)[0..<rows, 0..<depth] from `block`: packed into strips, or read in place with only a
    /// partial last strip packed (zero-padded) into the workspace's edge buffer.
    func prepareA(_ block: UnsafePointer<Float>, depth: Int, rows: Int, pack: Bool,
                  workspace: GEMMWorkspace) -> OperandStrips {
        if pack {
            Kernels.packA(block, lda: lda, transposed: transA, rows: rows, depth: depth, into: workspace.packedA)
            return OperandStrips(base: UnsafePointer(workspace.packedA), stripStride: 8 * depth, elementStride: 1,
                                 depthStride: 8, edge: nil, edgeDepthStride: 8)
        }
        let full = rows / 8 * 8
        var edge: UnsafePointer<Float>? = nil
        if full < rows {
            let source = transA ? block + full : block + full * lda
            Kernels.packA(source, lda: lda, transposed: transA, rows: rows - full, depth: depth, into: workspace.edgeA)
            edge = UnsafePointer(workspace.edgeA)
        }
        return transA
            ? OperandStrips(base: block, stripStride: 8, elementStride: 1, depthStride: lda, edge: edge, edgeDepthStride: 8)
            : OperandStrips(base: block, stripStride: 8 * lda, elementStride: lda, depthStride: 1, edge: edge,
                             edgeDepthStride: 8)
    }

    /// op(B)[0..<depth, 0..<columns] from `block`: packed into strips, or (row-major B only) read in
    /// place with only a partial last strip packed.
    func prepareB(_ block: UnsafePointer<Float>, depth: Int, columns: Int, pack: Bool,
                  workspace: GEMMWorkspace) -> OperandStrips {
        if pack {
            Kernels.packB(block, ldb: ldb, transposed: transB, depth: depth, columns: columns, into: workspace.packedB)
            return OperandStrips(base: UnsafePointer(workspace.packedB), stripStride: 32 * depth, elementStride: 1,
                                 depthStride: 32, edge: nil, edgeDepthStride: 32)
        }
        let full = columns / 32 * 32
        var edge: UnsafePointer<Float>? = nil
        if full < columns {
            Kernels.packBStrip(block, ldb: ldb, transposed: false, depth: depth, column: full,
                               width: columns - full, into: workspace.edgeB)
            edge = UnsafePointer(workspace.edgeB)
        }
        return OperandStrips(base: block, stripStride: 32, elementStride: 1, depthStride: ldb, edge: edge, edgeDepthStride: 32)
    }

    /// All 8x32 tiles of a (rows, columns) block of C for one k block.
    func macroKernel(a: OperandStrips, b: OperandStrips, rows: Int, columns: Int, depth: Int,
                     c: UnsafeMutablePointer<Float>, load: Bool, bias: UnsafePointer<Float>?,
                     activation: ActivationKind?, scratch: UnsafeMutablePointer<Float>) {
        @inline(__always) func tile(_ ir: Int, _ jr: Int) {
            let height = min(8, rows - ir), width = min(32, columns - jr)
            let aStrip = a.strip(ir / 8, full: height == 8), bStrip = b.strip(jr / 32, full: width == 32)
            Kernels.tile(rows: height, columns: width, depth: depth,
                         a: aStrip.pointer, aRowStride: aStrip.elementStride, aDepthStride: aStrip.depthStride,
                         b: bStrip.pointer, bDepthStride: bStrip.depthStride,
                         c: c + (ir * ldc + jr), ldc: ldc, load: load,
                         bias: bias.map { $0 + jr }, activation: activation, scratch: scratch)
        }
        // At most two B strips (64 output channels of a convolution or its weight gradient):
        // each 8-row strip of A, which the weight gradient reads transposed in place, is read
        // once for both instead of once per B strip. W4's conv2 at batch 64 on 1 thread: forward
        // 5.2 → 5.0 ms, weight gradient 4.95 → 4.83 ms (best of 7, A/B twice).
        if columns <= 64 {
            for ir in stride(from: 0, to: rows, by: 8) {
                for jr in stride(from: 0, to: columns, by: 32) { tile(ir, jr) }
            }
            return
        }
        // Each B strip stays in L2 while every 8-row strip of the A block streams past it.
        for jr in stride(from: 0, to: columns, by: 32) {
            for ir in stride(from: 0, to: rows, by: 8) { tile(ir, jr) }
        }
    }
}

/// Where the micro-kernel finds strip s of an operand: `base + s·stripStride`, elements of the
/// strip `elementStride` apart (A's rows; unused for B) and consecutive k `depthStride` apart.
/// A partial last strip of an in-place operand lives zero-padded in `edge` (packed layout).
struct OperandStrips {
    let base: UnsafePointer<Float>
    let stripStride: Int, elementStride: Int, depthStride: Int
    let edge: UnsafePointer<Float>?
    /// k stride of the packed edge strip: the strip's width (8 for A, 32 for B).
    let edgeDepthStride: Int

    @inline(__always)
    func strip(_ index: Int, full: Bool) -> (pointer: UnsafePointer<Float>, elementStride: Int, depthStride: Int) {
        if !full, let edge {
            return (edge, 1, edgeDepthStride)
        }
        return (base + index * stripStride, elementStride, depthStride)
    }
}
