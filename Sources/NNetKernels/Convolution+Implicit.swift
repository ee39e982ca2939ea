// Implicit-GEMM convolution: the GEMM's A operand (the column matrix) is never built. Each 8-pixel
// tile keeps 8 row pointers, one per output pixel, re-aimed at each kernel tap (or at a row of
// zeros when the tap falls outside the input), and the micro-kernel broadcasts straight from the
// NHWC input. Stage: kernels. Used for the forward pass and the weight gradient of layers with
// 32-channel output strips and inputs in multiples of 8 channels, and for the input gradient of a
// stride-1 convolution, which is the forward convolution of dy with the kernel flipped and its
// channel axes swapped.
//
// Why (W4's conv2, batch 64, 14x14, 9 taps x 32 -> 64 channels; best of 15 calls on 1 thread, A/B
// with the old build): as dcols = dy·Wᵀ then col2im, the input gradient ran GEMMs of depth 64 only,
// wrote and re-read a 451 KB column block per pair of samples and scattered it: 5.5 ms. Here every
// element is one FMA chain of depth 9·64 = 576 and dx is written once: 4.4 ms. The forward pass
// gathered 256-pixel blocks of the column matrix (im2col, 0.8 ms) and kept all 14 MB of it for the
// weight gradient: 5.4 → 4.6 ms (bit for bit the same y). The weight gradient read that matrix
// transposed and packed dy: 4.95 → 3.8 ms, and no column matrix is written or kept.

extension Kernels {
    /// Whether `conv2dInputGradient` runs as an implicit GEMM for `g`: stride 1 and dilation 1 (so
    /// the gradient is a plain correlation of dy), input channels in whole 32-wide tiles, padding
    /// no wider than the kernel, and a flipped kernel that fits one packed block.
    static func inputGradientIsImplicit(_ g: ConvolutionGeometry) -> Bool {
        g.strideHeight == 1 && g.strideWidth == 1 && g.dilationHeight == 1 && g.dilationWidth == 1
            && !g.isPointwise && g.inputChannels % tileColumns == 0
            && g.padTop < g.kernelHeight && g.padLeft < g.kernelWidth
            && g.outputChannels <= implicitMaxChannels
            && g.kernelHeight * g.kernelWidth * g.outputChannels <= 4 * GEMMBlocking.maxDepth
    }

    /// Longest input row (channels) the zero row covers.
    static let implicitMaxChannels = 1024

    /// dx = the input gradient of a stride-1 convolution: dx[n, ih, iw, ci] = Σ over taps (kh', kw')
    /// and channels co of dy[n, ih + kh' - pt', iw + kw' - pl', co]·w[KH-1-kh', KW-1-kw', ci, co],
    /// with pt' = KH-1-padTop (likewise for columns); taps outside dy read zeros. The flipped
    /// kernel is packed once per call into 32-column strips (k = tap'·cout + co); tiles of 8
    /// consecutive pixels of the whole batch (tiles may span samples) are dealt out to the pool in
    /// blocks. Each element of dx is one FMA chain in k order, so the thread count never changes it.
    static func conv2dInputGradientImplicitly(_ dy: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
                                              geometry g: ConvolutionGeometry, batch: Int,
                                              result dx: UnsafeMutablePointer<Float>) {
        let taps = g.kernelHeight * g.kernelWidth
        let depth = taps * g.outputChannels, strips = g.inputChannels / tileColumns
        let workspace = GEMMWorkspace.current
        workspace.reserveShared(depth * g.inputChannels)
        let packed = workspace.sharedB
        // packed[s][(t'·cout + co)·32 + j] = w[flip(t'), ci = 32s + j, co].
        for s in 0..<strips {
            let strip = packed + s * depth * tileColumns
            for t in 0..<taps {
                let source = w + (taps - 1 - t) * g.inputChannels * g.outputChannels + s * tileColumns * g.outputChannels
                for co in 0..<g.outputChannels {
                    let row = strip + (t * g.outputChannels + co) * tileColumns
                    for j in 0..<tileColumns { row[j] = source[j * g.outputChannels + co] }
                }
            }
        }
        // The correlation's geometry: dy is its input, dx its output.
        let flipped = ConvolutionGeometry(
            input: (g.outputHeight, g.outputWidth, g.outputChannels), output: (g.inputHeight, g.inputWidth, g.inputChannels),
            kernel: (g.kernelHeight, g.kernelWidth),
            padding: (g.kernelHeight - 1 - g.padTop, g.kernelWidth - 1 - g.padLeft))
        let pixels = batch * g.inputHeight * g.inputWidth
        let tiles = (pixels + tileRows - 1) / tileRows
        let blocks = (tiles + implicitBlockTiles - 1) / implicitBlockTiles
        let task = ImplicitConvolutionBlocks(x: dy, packed: UnsafePointer(packed), g: flipped, pixels: pixels,
                                             strips: strips, y: dx)
        if worthSplitting(rows: pixels, geometry: flipped) {
            ThreadPool.shared.parallelFor(blocks, task)
        } else {
            for index in 0..<blocks { task.run(index) }
        }
    }

    /// Whether `conv2d` and `conv2dWeightGradient` run as implicit GEMMs for `g` (and so keep no
    /// column matrix): output channels in whole 32-wide strips, input channels in multiples of 8
    /// (a weight-gradient tile's 8 rows are then channels of one tap), and a kernel that fits one
    /// packed block. Single-channel inputs go to the direct kernels instead.
    public static func convolvesImplicitly(_ g: ConvolutionGeometry) -> Bool {
        !g.isPointwise && g.inputChannels % tileRows == 0 && g.outputChannels % tileColumns == 0
            && g.inputChannels <= implicitMaxChannels && g.patchSize <= 4 * GEMMBlocking.maxDepth
    }

    /// `conv2d` for `convolvesImplicitly(g)`: W is packed once per call into 32-column strips;
    /// then blocks of 8-pixel tiles, each with the bias + activation epilogue. The k order is the
    /// im2col GEMM's (one block, from zero, bias last), so y is the same bit for bit.
    static func conv2dImplicitly(_ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                 activation: ActivationKind, geometry g: ConvolutionGeometry, batch: Int,
                                 output y: UnsafeMutablePointer<Float>) {
        let workspace = GEMMWorkspace.current
        workspace.reserveShared(g.patchSize * g.outputChannels)
        let packed = workspace.sharedB
        packB(w, ldb: g.outputChannels, transposed: false, depth: g.patchSize, columns: g.outputChannels, into: packed)
        let pixels = batch * g.outputHeight * g.outputWidth
        let tiles = (pixels + tileRows - 1) / tileRows
        let blocks = (tiles + implicitBlockTiles - 1) / implicitBlockTiles
        var task = ImplicitConvolutionBlocks(x: x, packed: UnsafePointer(packed), g: g, pixels: pixels,
                                             strips: g.outputChannels / tileColumns, y: y)
        task.bias = bias
        task.activation = bias != nil || activation != .linear ? activation : nil
        if worthSplitting(rows: pixels, geometry: g) {
            ThreadPool.shared.parallelFor(blocks, task)
        } else {
            for index in 0..<blocks { task.run(index) }
        }
    }

    /// Tiles per block handed to a thread: 32 tiles = 256 pixels, as the forward pass's blocks.
    static let implicitBlockTiles = 32

    /// Output pixels first..<first+count (count ≤ 8, over the whole batch), 32 output channels of
    /// strip `packed` (k = tap·cin + ci, 32 floats per k) of the convolution `g` of x:
    /// y[pixel, j] = activation(Σ_k x[pixel's tap][ci]·packed[k, j] + bias[j]) (no epilogue when
    /// `activation` is nil). Per k step 2 vector loads, 8 broadcasts and 16 FMAs, as the GEMM
    /// micro-kernel, in the same k order as the im2col GEMM.
    @inline(never)
    static func implicitConvolutionTile(_ x: UnsafePointer<Float>, _ g: ConvolutionGeometry, first: Int, count: Int,
                                        packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                        activation: ActivationKind?, output y: UnsafeMutablePointer<Float>, ldy: Int) {
        let cin = g.inputChannels, imagePixels = g.outputHeight * g.outputWidth
        // Each pixel's sample origin and its top-left tap (ih0, iw0); pixels past `count` read zeros.
        var origins = SIMD8<Int>(), rows = SIMD8<Int>(repeating: Int.min / 2), columns = SIMD8<Int>()
        for i in 0..<count {
            let pixel = first &+ i
            let n = pixel / imagePixels, p = pixel &- n &* imagePixels
            let oh = p / g.outputWidth, ow = p &- oh &* g.outputWidth
            origins[i] = n &* g.inputElements
            rows[i] = oh &* g.strideHeight &- g.padTop
            columns[i] = ow &* g.strideWidth &- g.padLeft
        }
        let zeros = implicitZeroRow
        @inline(__always) func source(_ i: Int, _ kh: Int, _ kw: Int) -> UnsafePointer<Float> {
            let ih = rows[i] &+ kh &* g.dilationHeight, iw = columns[i] &+ kw &* g.dilationWidth
            if UInt(bitPattern: ih) >= UInt(bitPattern: g.inputHeight) || UInt(bitPattern: iw) >= UInt(bitPattern: g.inputWidth) {
                return zeros
            }
            return x + (origins[i] &+ (ih &* g.inputWidth &+ iw) &* cin)
        }
        var c0a = SIMD16<Float>(), c0b = SIMD16<Float>(), c1a = SIMD16<Float>(), c1b = SIMD16<Float>()
        var c2a = SIMD16<Float>(), c2b = SIMD16<Float>(), c3a = SIMD16<Float>(), c3b = SIMD16<Float>()
        var c4a = SIMD16<Float>(), c4b = SIMD16<Float>(), c5a = SIMD16<Float>(), c5b = SIMD16<Float>()
        var c6a = SIMD16<Float>(), c6b = SIMD16<Float>(), c7a = SIMD16<Float>(), c7b = SIMD16<Float>()
        var bp = UnsafeRawPointer(packed)
        for kh in 0..<g.kernelHeight {
            for kw in 0..<g.kernelWidth {
                let p0 = source(0, kh, kw), p1 = source(1, kh, kw), p2 = source(2, kh, kw), p3 = source(3, kh, kw)
                let p4 = source(4, kh, kw), p5 = source(5, kh, kw), p6 = source(6, kh, kw), p7 = source(7, kh, kw)
                for ci in 0..<cin {
                    let b0 = bp.loadUnaligned(as: SIMD16<Float>.self)
                    let b1 = bp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
                    var v = SIMD16<Float>(repeating: p0[ci])
                    c0a = c0a.addingProduct(v, b0); c0b = c0b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: p1[ci])
                    c1a = c1a.addingProduct(v, b0); c1b = c1b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: p2[ci])
                    c2a = c2a.addingProduct(v, b0); c2b = c2b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: p3[ci])
                    c3a = c3a.addingProduct(v, b0); c3b = c3b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: p4[ci])
                    c4a = c4a.addingProduct(v, b0); c4b = c4b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: p5[ci])
                    c5a = c5a.addingProduct(v, b0); c5b = c5b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: p6[ci])
                    c6a = c6a.addingProduct(v, b0); c6b = c6b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: p7[ci])
                    c7a = c7a.addingProduct(v, b0); c7b = c7b.addingProduct(v, b1)
                    bp += 128
                }
            }
        }
        let biasA = bias.map { Vector.load($0) } ?? SIMD16<Float>()
        let biasB = bias.map { Vector.load($0 + 16) } ?? SIMD16<Float>()
        // The epilogue is applied while storing: finishing the accumulators in place (inout) made
        // the compiler keep them in memory through the k loop (input gradient 4.4 → 10.8 ms).
        storeTileRow(c0a, c0b, to: y, biasA: biasA, biasB: biasB, activation: activation)
        if 1 < count { storeTileRow(c1a, c1b, to: y + 1 &* ldy, biasA: biasA, biasB: biasB, activation: activation) }
        if 2 < count { storeTileRow(c2a, c2b, to: y + 2 &* ldy, biasA: biasA, biasB: biasB, activation: activation) }
        if 3 < count { storeTileRow(c3a, c3b, to: y + 3 &* ldy, biasA: biasA, biasB: biasB, activation: activation) }
        if 4 < count { storeTileRow(c4a, c4b, to: y + 4 &* ldy, biasA: biasA, biasB: biasB, activation: activation) }
        if 5 < count { storeTileRow(c5a, c5b, to: y + 5 &* ldy, biasA: biasA, biasB: biasB, activation: activation) }
        if 6 < count { storeTileRow(c6a, c6b, to: y + 6 &* ldy, biasA: biasA, biasB: biasB, activation: activation) }
        if 7 < count { storeTileRow(c7a, c7b, to: y + 7 &* ldy, biasA: biasA, biasB: biasB, activation: activation) }
    }
}

/// The row of zeros a tap outside the input reads (allocated once, never written).
let implicitZeroRow: UnsafePointer<Float> = {
    let row = UnsafeMutablePointer<Float>.allocate(capacity: Kernels.implicitMaxChannels)
    row.initialize(repeating: 0, count: Kernels.implicitMaxChannels)
    return UnsafePointer(row)
}()

/// Block `index` of an implicit correlation's output pixels: every 8-pixel tile, every strip.
struct ImplicitConvolutionBlocks: ParallelTask {
    let x: UnsafePointer<Float>, packed: UnsafePointer<Float>, g: ConvolutionGeometry
    let pixels: Int, strips: Int
    var bias: UnsafePointer<Float>? = nil
    var activation: ActivationKind? = nil
    let y: UnsafeMutablePointer<Float>

    func run(_ index: Int) {
        let depth = g.kernelHeight * g.kernelWidth * g.inputChannels
        let first = index * Kernels.implicitBlockTiles * Kernels.tileRows
        let last = min(pixels, first + Kernels.implicitBlockTiles * Kernels.tileRows)
        for s in 0..<strips {
            var pixel = first
            while pixel < last {
                let count = min(Kernels.tileRows, last - pixel)
                Kernels.implicitConvolutionTile(x, g, first: pixel, count: count, packed: packed + s * depth * Kernels.tileColumns,
                                                bias: bias.map { $0 + s * Kernels.tileColumns }, activation: activation,
                                                output: y + pixel * g.outputChannels + s * Kernels.tileColumns,
                                                ldy: g.outputChannels)
                pixel += count
            }
        }
    }
}

// MARK: - Weight gradient

extension Kernels {
    /// dw = the weight gradient of `conv2d` for `convolvesImplicitly(g)`, without a column matrix:
    /// dw[t, ci, co] = Σ over samples and output pixels of x[pixel's tap t, ci]·dy[pixel, co]. Each
    /// 8x32 tile of dw (8 channels of one tap, 32 output channels) sums one sample at a time from
    /// zero, row by row of dy over the pixels whose tap falls inside x, and adds it to dw in sample
    /// order. Threads take contiguous ranges of tiles and all samples (each sample's x and dy are
    /// then read from L2 by every tile of the range), so the thread count never changes dw.
    static func conv2dWeightGradientImplicitly(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                                               geometry g: ConvolutionGeometry, batch: Int,
                                               result dw: UnsafeMutablePointer<Float>) {
        if batch == 0 {
            dw.update(repeating: 0, count: g.patchSize * g.outputChannels)
            return
        }
        let tiles = g.patchSize / tileRows * (g.outputChannels / tileColumns)
        let threads = ThreadPool.shared.threadCount
        let parts = worthSplitting(rows: batch * g.outputHeight * g.outputWidth, geometry: g) ? min(threads, tiles) : 1
        let task = ImplicitWeightGradientParts(x: x, dy: dy, g: g, batch: batch, tiles: tiles, parts: parts, dw: dw)
        if parts > 1 {
            ThreadPool.shared.parallelFor(parts, task)
        } else {
            task.run(0)
        }
    }

    /// dw[rows 8·rowTile..<+8, columns 32·strip..<+32] (load: +=) the sum over one sample's output
    /// pixels of x[pixel's tap][8 channels]·dy[pixel][32 channels]. Per pixel 2 vector loads,
    /// 8 broadcasts, 16 FMAs; taps outside x are skipped (their terms are zero).
    @inline(never)
    static func implicitWeightGradientTile(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                                           rowTile: Int, strip: Int, dw: UnsafeMutablePointer<Float>, load: Bool) {
        let cin = g.inputChannels, cout = g.outputChannels
        let row = rowTile &* tileRows, tap = row / cin, ci = row &- tap &* cin
        let kh = tap / g.kernelWidth, kw = tap &- kh &* g.kernelWidth
        // Output columns whose tap column iw = ow·sw - pl + kw·dw lies in 0..<W.
        let shift = kw &* g.dilationWidth &- g.padLeft
        var firstColumn = 0
        while firstColumn < g.outputWidth && firstColumn &* g.strideWidth &+ shift < 0 { firstColumn &+= 1 }
        var endColumn = g.outputWidth
        while endColumn > firstColumn && (endColumn &- 1) &* g.strideWidth &+ shift >= g.inputWidth { endColumn &-= 1 }
        let columns = endColumn &- firstColumn
        let xStep = g.strideWidth &* cin
        var c0a = SIMD16<Float>(), c0b = SIMD16<Float>(), c1a = SIMD16<Float>(), c1b = SIMD16<Float>()
        var c2a = SIMD16<Float>(), c2b = SIMD16<Float>(), c3a = SIMD16<Float>(), c3b = SIMD16<Float>()
        var c4a = SIMD16<Float>(), c4b = SIMD16<Float>(), c5a = SIMD16<Float>(), c5b = SIMD16<Float>()
        var c6a = SIMD16<Float>(), c6b = SIMD16<Float>(), c7a = SIMD16<Float>(), c7b = SIMD16<Float>()
        if columns > 0 {
            for oh in 0..<g.outputHeight {
                let ih = oh &* g.strideHeight &- g.padTop &+ kh &* g.dilationHeight
                if ih < 0 || ih >= g.inputHeight { continue }
                var ap = x + ((ih &* g.inputWidth &+ firstColumn &* g.strideWidth &+ shift) &* cin &+ ci)
                var bp = UnsafeRawPointer(dy + ((oh &* g.outputWidth &+ firstColumn) &* cout &+ strip &* tileColumns))
                for _ in 0..<columns {
                    let b0 = bp.loadUnaligned(as: SIMD16<Float>.self)
                    let b1 = bp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
                    var v = SIMD16<Float>(repeating: ap[0])
                    c0a = c0a.addingProduct(v, b0); c0b = c0b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: ap[1])
                    c1a = c1a.addingProduct(v, b0); c1b = c1b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: ap[2])
                    c2a = c2a.addingProduct(v, b0); c2b = c2b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: ap[3])
                    c3a = c3a.addingProduct(v, b0); c3b = c3b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: ap[4])
                    c4a = c4a.addingProduct(v, b0); c4b = c4b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: ap[5])
                    c5a = c5a.addingProduct(v, b0); c5b = c5b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: ap[6])
                    c6a = c6a.addingProduct(v, b0); c6b = c6b.addingProduct(v, b1)
                    v = SIMD16<Float>(repeating: ap[7])
                    c7a = c7a.addingProduct(v, b0); c7b = c7b.addingProduct(v, b1)
                    ap += xStep
                    bp += cout &* 4
                }
            }
        }
        let c = dw + (row &* cout &+ strip &* tileColumns)
        @inline(__always) func store(_ r: Int, _ lo: SIMD16<Float>, _ hi: SIMD16<Float>) {
            let p = c + r &* cout
            if load {
                Vector.store(Vector.load(p) + lo, p)
                Vector.store(Vector.load(p + 16) + hi, p + 16)
            } else {
                Vector.store(lo, p)
                Vector.store(hi, p + 16)
            }
        }
        store(0, c0a, c0b); store(1, c1a, c1b); store(2, c2a, c2b); store(3, c3a, c3b)
        store(4, c4a, c4b); store(5, c5a, c5b); store(6, c6a, c6b); store(7, c7a, c7b)
    }
}

/// Part p of an implicit weight gradient: tiles p·tiles/parts ..< (p+1)·tiles/parts of dw (strip
/// major: tile = strip·rowTiles + rowTile), every sample in order.
struct ImplicitWeightGradientParts: ParallelTask {
    let x: UnsafePointer<Float>, dy: UnsafePointer<Float>, g: ConvolutionGeometry
    let batch: Int, tiles: Int, parts: Int
    let dw: UnsafeMutablePointer<Float>

    func run(_ part: Int) {
        let rowTiles = g.patchSize / Kernels.tileRows
        let first = part * tiles / parts, last = (part + 1) * tiles / parts
        for n in 0..<batch {
            let xs = x + n * g.inputElements, dys = dy + n * g.outputElements
            for tile in first..<last {
                Kernels.implicitWeightGradientTile(xs, dys, g, rowTile: tile % rowTiles, strip: tile / rowTiles, dw: dw, load: n > 0)
            }
        }
    }
}
