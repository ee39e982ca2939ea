// Implicit-GEMM convolution: the GEMM's A operand (the column matrix) is never built. Each 8-pixel
// tile keeps 8 row pointers, one per output pixel, re-aimed at each kernel tap (or at a row of
// zeros when the tap falls outside the input), and the micro-kernel broadcasts straight from the
// NHWC input. Stage: kernels. Used for the input gradient of a stride-1 convolution, which is the
// forward convolution of dy with the kernel flipped and its channel axes swapped.
//
// Why: as dcols = dy·Wᵀ then col2im, W4's conv2 input gradient (batch 64, cout 64, 9 taps x 32)
// ran GEMMs of depth 64 only, wrote and re-read a 451 KB column block per pair of samples and
// scattered it: 5.5 ms. Here every output element is one FMA chain of depth 9·64 = 576 and dx is
// written once: 4.4 ms (best of 15 calls, 1 thread, A/B with the old build).

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
        @inline(__always) func store(_ r: Int, _ lo: SIMD16<Float>, _ hi: SIMD16<Float>) {
            guard r < count else { return }
            let p = y + r &* ldy
            if let activation {
                Vector.store(Vector.activate(lo + biasA, activation), p)
                Vector.store(Vector.activate(hi + biasB, activation), p + 16)
            } else {
                Vector.store(lo, p)
                Vector.store(hi, p + 16)
            }
        }
        store(0, c0a, c0b); store(1, c1a, c1b); store(2, c2a, c2b); store(3, c3a, c3b)
        store(4, c4a, c4b); store(5, c5a, c5b); store(6, c6a, c6b); store(7, c7a, c7b)
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
