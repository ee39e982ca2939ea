// 2-D convolution as GEMM: im2col turns every output pixel's receptive field into a row, so the
// forward pass, both gradients and the transposed convolution are one `Kernels.gemm` each plus a
// gather (im2col) or a scatter-add (col2im). Stage: kernels. Layout NHWC, weights [kh, kw, cin, cout].
// Single-channel inputs (a first layer on grayscale images) skip im2col: Convolution+SingleChannel.
//
// Profiled (perf) training Examples/cnn_classifier.nnet: the GEMM micro-kernel takes ~57% of the
// CPU time; im2col was 10% with the weight gradient rebuilding the forward pass's matrix, ~5% once
// the plan kept it (SavedColumns). Layers with 32-channel output strips and inputs in multiples of
// 8 channels now skip the matrix altogether (Convolution+Implicit: 8 row pointers per tile read
// the input in place); im2col + GEMM remains for the other shapes. For the
// first layer (cin = 1, 9 taps) gathering 9-float rows cost as much as the GEMM: the direct
// kernel reads the taps from a padded copy of the sample (forward 1.7 → 0.7 ms per batch of 64).
// Tried and dropped: dWᵀ = dYᵀ·cols in 32-column strips over the pool (whole cache lines of
// cols): no gain on 1 thread, slower on 2 in A/B runs here.

/// The shape of one 2-D convolution, batch excluded. Input pixel (ih, iw) of output pixel
/// (oh, ow) and kernel tap (kh, kw) is ih = oh·strideHeight + kh·dilationHeight - padTop (likewise
/// for w); taps outside the input read zeros. Only the top/left padding is stored: the output size
/// says how much padding the bottom/right edge gets.
public struct ConvolutionGeometry: Sendable, Hashable, CustomStringConvertible {
    public let inputHeight: Int, inputWidth: Int, inputChannels: Int
    public let outputHeight: Int, outputWidth: Int, outputChannels: Int
    public let kernelHeight: Int, kernelWidth: Int
    public let strideHeight: Int, strideWidth: Int
    public let dilationHeight: Int, dilationWidth: Int
    public let padTop: Int, padLeft: Int

    public init(input: (height: Int, width: Int, channels: Int), output: (height: Int, width: Int, channels: Int),
                kernel: (height: Int, width: Int), stride: (height: Int, width: Int) = (1, 1),
                dilation: (height: Int, width: Int) = (1, 1), padding: (top: Int, left: Int) = (0, 0)) {
        (inputHeight, inputWidth, inputChannels) = input
        (outputHeight, outputWidth, outputChannels) = output
        (kernelHeight, kernelWidth) = kernel
        (strideHeight, strideWidth) = stride
        (dilationHeight, dilationWidth) = dilation
        (padTop, padLeft) = padding
    }

    /// Floats in one input row of the column matrix: kh·kw·cin (the GEMM depth).
    public var patchSize: Int { kernelHeight * kernelWidth * inputChannels }
    public var inputElements: Int { inputHeight * inputWidth * inputChannels }
    public var outputElements: Int { outputHeight * outputWidth * outputChannels }
    /// A 1x1, stride-1, unpadded convolution: the input already is its column matrix.
    public var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && strideHeight == 1 && strideWidth == 1 && padTop == 0 && padLeft == 0
            && inputHeight == outputHeight && inputWidth == outputWidth
    }
    /// Floats of the column matrix for `batch` samples (0 when pointwise: none is built).
    public func columnElements(batch: Int) -> Int {
        isPointwise ? 0 : batch * outputHeight * outputWidth * patchSize
    }

    public var description: String {
        var parts = ["\(kernelHeight)x\(kernelWidth)"]
        if strideHeight != 1 || strideWidth != 1 { parts.append("stride \(strideHeight)x\(strideWidth)") }
        if dilationHeight != 1 || dilationWidth != 1 { parts.append("dilation \(dilationHeight)x\(dilationWidth)") }
        if padTop != 0 || padLeft != 0 { parts.append("pad \(padTop),\(padLeft)") }
        return parts.joined(separator: ", ")
    }
}

extension Kernels {
    // MARK: - Convolution

    /// y[n, oh, ow, co] = activation(Σ x[n, ih, iw, ci]·w[kh, kw, ci, co] + bias[co]).
    /// x is [batch, H, W, cin], w [kh, kw, cin, cout], y [batch, OH, OW, cout]; `bias` may be nil.
    /// `columns` holds `geometry.columnElements(batch:)` floats of scratch; afterwards it holds
    /// x's column matrix when `keepsColumns(geometry)` (the weight gradient can then skip its
    /// im2col). Cost 2·batch·OH·OW·kh·kw·cin·cout.
    ///
    /// Blocks of `convolutionBlockRows` rows are gathered and multiplied one at a time, so each
    /// block of the column matrix is still in L2 when the GEMM reads it; each of the pool's threads
    /// takes a contiguous range of blocks, then helps with what is left of the others' (balance on
    /// a busy machine). Each element of y is the same FMA chain
    /// whatever the blocking, so results do not depend on the thread count.
    public static func conv2d(_ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              activation: ActivationKind, geometry g: ConvolutionGeometry, batch: Int,
                              output y: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        if convolvesDirectly(g) {
            conv2dSingleChannel(x, weights: w, bias: bias, activation: activation, geometry: g, batch: batch, output: y)
            return
        }
        if convolvesImplicitly(g) {
            conv2dImplicitly(x, weights: w, bias: bias, activation: activation, geometry: g, batch: batch, output: y)
            return
        }
        let rows = batch * g.outputHeight * g.outputWidth
        if g.isPointwise {
            gemmBiasActivation(transA: false, transB: false, m: rows, n: g.outputChannels, k: g.patchSize,
                               a: x, lda: g.patchSize, b: w, ldb: g.outputChannels, c: y, ldc: g.outputChannels,
                               accumulate: false, bias: bias, activation: activation)
            return
        }
        let blocks = (rows + convolutionBlockRows - 1) / convolutionBlockRows
        let task = ConvolutionBlocks(x: x, w: w, bias: bias, activation: activation, g: g, rows: rows, y: y, columns: columns)
        if worthSplitting(rows: rows, geometry: g) {
            ThreadPool.shared.parallelFor(blocks, task)
        } else {
            for index in 0..<blocks { task.run(index) }
        }
    }

    /// Whether a convolution pass over `rows` output pixels has enough arithmetic for every thread
    /// of the pool (as for GEMM: ≥ GEMMBlocking.minFlopsPerThread each).
    static func worthSplitting(rows: Int, geometry g: ConvolutionGeometry) -> Bool {
        let threads = ThreadPool.shared.threadCount
        return threads > 1 && 2 * rows * g.patchSize * g.outputChannels >= threads * GEMMBlocking.minFlopsPerThread
    }

    /// Rows of the column matrix per block of the forward pass: the GEMM reads a row-major B in
    /// place up to 256 rows (GEMMBlocking.directBMaxRows), and 256 rows of a 3x3x32 patch are
    /// 288 KB, well inside L2.
    static let convolutionBlockRows = 256

    /// Whether `conv2d` leaves x's column matrix in `columns` (1x1 convolutions, the direct
    /// single-channel kernel and the implicit GEMM build none).
    public static func keepsColumns(_ g: ConvolutionGeometry) -> Bool {
        !g.isPointwise && !convolvesDirectly(g) && !convolvesImplicitly(g)
    }

    /// dx = the gradient of `conv2d` with respect to its input: dcols = dy·Wᵀ, then col2im.
    /// dy is [batch, OH, OW, cout], dx [batch, H, W, cin]. Also the forward pass of a transposed
    /// convolution (with x in the role of dy). Wᵀ is packed once per call; then each group of
    /// samples (one, or two when a sample's rows are not a whole number of 8-row tiles) runs its
    /// GEMM and col2im back to back on one thread, so its part of the column matrix is scattered
    /// while still in L2 (one GEMM over the batch, then col2im, wrote and re-read 14 MB for W4).
    public static func conv2dInputGradient(_ dy: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
                                           geometry g: ConvolutionGeometry, batch: Int,
                                           result dx: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        if inputGradientIsImplicit(g) {
            conv2dInputGradientImplicitly(dy, weights: w, geometry: g, batch: batch, result: dx)
            return
        }
        let rows = g.outputHeight * g.outputWidth
        if g.isPointwise || g.outputChannels > GEMMBlocking.maxDepth || g.patchSize > GEMMBlocking.maxColumns {
            gemm(transA: false, transB: true, m: batch * rows, n: g.patchSize, k: g.outputChannels, a: dy,
                 lda: g.outputChannels, b: w, ldb: g.outputChannels, c: g.isPointwise ? dx : columns,
                 ldc: g.patchSize, accumulate: false)
            if !g.isPointwise { col2im(UnsafePointer(columns), geometry: g, batch: batch, into: dx) }
            return
        }
        let workspace = GEMMWorkspace.current
        workspace.reserveShared(packedBElements(k: g.outputChannels, n: g.patchSize))
        let packed = workspace.sharedB
        packB(w, ldb: g.outputChannels, transposed: true, depth: g.outputChannels, columns: g.patchSize, into: packed)
        let samplesPerGroup = rows % tileRows == 0 || 2 * rows * g.patchSize > 131_072 ? 1 : 2
        let groups = (batch + samplesPerGroup - 1) / samplesPerGroup
        let task = InputGradientGroups(dy: dy, packed: UnsafePointer(packed), g: g, batch: batch,
                                       samplesPerGroup: samplesPerGroup, dx: dx, columns: columns)
        if worthSplitting(rows: batch * rows, geometry: g) {
            ThreadPool.shared.parallelFor(groups, task)
        } else {
            for index in 0..<groups { task.run(index) }
        }
    }

    /// dW[kh, kw, ci, co] = Σ over the batch and output pixels of x's patch · dy: colsᵀ·dy.
    /// x is [batch, H, W, cin], dy [batch, OH, OW, cout], dw [kh, kw, cin, cout]. `columnsReady`:
    /// `columns` already holds x's column matrix (left there by `conv2d` on the same x).
    public static func conv2dWeightGradient(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                                            geometry g: ConvolutionGeometry, batch: Int,
                                            result dw: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>,
                                            columnsReady: Bool = false) {
        if convolvesDirectly(g) {
            conv2dWeightGradientSingleChannel(x, outputGradient: dy, geometry: g, batch: batch, result: dw)
            return
        }
        if convolvesImplicitly(g) {
            conv2dWeightGradientImplicitly(x, outputGradient: dy, geometry: g, batch: batch, result: dw)
            return
        }
        let rows = batch * g.outputHeight * g.outputWidth
        var a = x
        if !g.isPointwise {
            if !columnsReady { im2col(x, geometry: g, batch: batch, into: columns) }
            a = UnsafePointer(columns)
        }
        gemm(transA: true, transB: false, m: g.patchSize, n: g.outputChannels, k: rows, a: a, lda: g.patchSize,
             b: dy, ldb: g.outputChannels, c: dw, ldc: g.outputChannels, accumulate: false)
    }

    // MARK: - im2col / col2im

    /// columns[(n·OH + oh)·OW + ow, (kh·kw_count + kw)·cin + ci] = x[n, ih, iw, ci] (0 outside the
    /// input). Samples are split over the thread pool (each writes its own rows).
    public static func im2col(_ x: UnsafePointer<Float>, geometry g: ConvolutionGeometry, batch: Int,
                              into columns: UnsafeMutablePointer<Float>) {
        forEachSampleRange(batch, work: g.outputHeight * g.outputWidth * g.patchSize, Im2colSamples(x: x, g: g, columns: columns))
    }

    /// dx[n, ih, iw, ci] = Σ of the column entries that im2col copies from it (dx is overwritten).
    public static func col2im(_ columns: UnsafePointer<Float>, geometry g: ConvolutionGeometry, batch: Int,
                              into dx: UnsafeMutablePointer<Float>) {
        forEachSampleRange(batch, work: g.outputHeight * g.outputWidth * g.patchSize, Col2imSamples(columns: columns, g: g, dx: dx))
    }

    /// Rows `rows` of the column matrix (over the whole batch), written from `out` on.
    static func im2colRows(_ x: UnsafePointer<Float>, geometry g: ConvolutionGeometry, rows: Range<Int>,
                           into out: UnsafeMutablePointer<Float>) {
        let pixels = g.outputHeight * g.outputWidth
        var n = rows.lowerBound / pixels, pixel = rows.lowerBound % pixels
        var row = out
        for _ in rows {
            im2colPixel(x + n &* g.inputElements, g, pixel / g.outputWidth, pixel % g.outputWidth, row)
            row += g.patchSize
            pixel &+= 1
            if pixel == pixels { pixel = 0; n &+= 1 }
        }
    }

    @inline(__always)
    static func im2colSample(_ x: UnsafePointer<Float>, _ g: ConvolutionGeometry, _ out: UnsafeMutablePointer<Float>) {
        var row = out
        for oh in 0..<g.outputHeight {
            for ow in 0..<g.outputWidth {
                im2colPixel(x, g, oh, ow, row)
                row += g.patchSize
            }
        }
    }

    /// The patch of output pixel (oh, ow) of one sample `x`: kh·kw·cin floats from `destination`.
    @inline(__always)
    static func im2colPixel(_ x: UnsafePointer<Float>, _ g: ConvolutionGeometry, _ oh: Int, _ ow: Int,
                            _ destination: UnsafeMutablePointer<Float>) {
        let cin = g.inputChannels, width = g.inputWidth
        let rowSpan = g.kernelWidth * cin
        let ih0 = oh &* g.strideHeight &- g.padTop
        let iw0 = ow &* g.strideWidth &- g.padLeft
        let contiguous = g.dilationWidth == 1 && iw0 >= 0 && iw0 &+ g.kernelWidth <= width
        var destination = destination
        for kh in 0..<g.kernelHeight {
            let ih = ih0 &+ kh &* g.dilationHeight
            if ih < 0 || ih >= g.inputHeight {
                destination.update(repeating: 0, count: rowSpan)
            } else if contiguous {
                // The whole kernel row is inside the image: one copy of kw·cin floats.
                copySmall(x + (ih &* width &+ iw0) &* cin, destination, rowSpan)
            } else {
                for kw in 0..<g.kernelWidth {
                    let iw = iw0 &+ kw &* g.dilationWidth
                    if iw < 0 || iw >= width {
                        (destination + kw &* cin).update(repeating: 0, count: cin)
                    } else {
                        copySmall(x + (ih &* width &+ iw) &* cin, destination + kw &* cin, cin)
                    }
                }
            }
            destination += rowSpan
        }
    }

    @inline(__always)
    static func col2imSample(_ columns: UnsafePointer<Float>, _ g: ConvolutionGeometry, _ dx: UnsafeMutablePointer<Float>) {
        let cin = g.inputChannels, width = g.inputWidth
        dx.update(repeating: 0, count: g.inputElements)
        var row = columns
        for oh in 0..<g.outputHeight {
            let ih0 = oh &* g.strideHeight &- g.padTop
            for ow in 0..<g.outputWidth {
                let iw0 = ow &* g.strideWidth &- g.padLeft
                let contiguous = g.dilationWidth == 1 && iw0 >= 0 && iw0 &+ g.kernelWidth <= width
                var source = row
                for kh in 0..<g.kernelHeight {
                    let ih = ih0 &+ kh &* g.dilationHeight
                    if ih >= 0 && ih < g.inputHeight {
                        if contiguous {
                            addSmall(source, dx + (ih &* width &+ iw0) &* cin, g.kernelWidth &* cin)
                        } else {
                            for kw in 0..<g.kernelWidth {
                                let iw = iw0 &+ kw &* g.dilationWidth
                                if iw >= 0 && iw < width { addSmall(source + kw &* cin, dx + (ih &* width &+ iw) &* cin, cin) }
                            }
                        }
                    }
                    source += g.kernelWidth &* cin
                }
                row += g.patchSize
            }
        }
    }

    /// destination[0..<count] = source[0..<count] for the short runs im2col copies (a kernel row
    /// of a single-channel image is 3 floats): a SIMD loop beats `memmove`'s call overhead.
    @inline(__always)
    static func copySmall(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            Vector.store(Vector.load(source + i), destination + i)
            i &+= 16
        }
        while i < count {
            destination[i] = source[i]
            i &+= 1
        }
    }

    /// destination[0..<count] += source[0..<count].
    @inline(__always)
    static func addSmall(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i &+ 16 <= count {
            Vector.store(Vector.load(destination + i) + Vector.load(source + i), destination + i)
            i &+= 16
        }
        while i < count {
            destination[i] += source[i]
            i &+= 1
        }
    }

}

// MARK: - Work handed to the thread pool (structs: nothing is allocated per call)

/// Block `index` of `conv2d`'s output rows: gathers its column rows, then one GEMM with the bias
/// and activation epilogue.
struct ConvolutionBlocks: ParallelTask {
    let x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let activation: ActivationKind, g: ConvolutionGeometry, rows: Int
    let y: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>

    func run(_ index: Int) {
        let first = index * Kernels.convolutionBlockRows
        let count = min(Kernels.convolutionBlockRows, rows - first)
        let a = columns + first * g.patchSize
        Kernels.im2colRows(x, geometry: g, rows: first..<(first + count), into: a)
        Kernels.gemm(transA: false, transB: false, m: count, n: g.outputChannels, k: g.patchSize, a: a, lda: g.patchSize,
                     b: w, ldb: g.outputChannels, c: y + first * g.outputChannels, ldc: g.outputChannels,
                     accumulate: false, bias: bias, activation: activation, pool: nil)
    }
}

/// Group `index` of `conv2dInputGradient`'s samples: dcols = dy·Wᵀ (Wᵀ packed), then col2im.
struct InputGradientGroups: ParallelTask {
    let dy: UnsafePointer<Float>, packed: UnsafePointer<Float>, g: ConvolutionGeometry
    let batch: Int, samplesPerGroup: Int
    let dx: UnsafeMutablePointer<Float>, columns: UnsafeMutablePointer<Float>

    func run(_ index: Int) {
        let rows = g.outputHeight * g.outputWidth
        let first = index * samplesPerGroup, count = min(samplesPerGroup, batch - first)
        let target = columns + first * rows * g.patchSize
        Kernels.gemm(transA: false, m: count * rows, n: g.patchSize, k: g.outputChannels, a: dy + first * g.outputElements,
                     lda: g.outputChannels, packedB: packed, c: target, ldc: g.patchSize)
        for n in 0..<count {
            Kernels.col2imSample(UnsafePointer(target + n * rows * g.patchSize), g, dx + (first + n) * g.inputElements)
        }
    }
}

struct Im2colSamples: SampleRangeTask {
    let x: UnsafePointer<Float>, g: ConvolutionGeometry, columns: UnsafeMutablePointer<Float>
    func run(samples: Range<Int>) {
        let sampleRows = g.outputHeight * g.outputWidth * g.patchSize
        for n in samples { Kernels.im2colSample(x + n * g.inputElements, g, columns + n * sampleRows) }
    }
}

struct Col2imSamples: SampleRangeTask {
    let columns: UnsafePointer<Float>, g: ConvolutionGeometry, dx: UnsafeMutablePointer<Float>
    func run(samples: Range<Int>) {
        let sampleRows = g.outputHeight * g.outputWidth * g.patchSize
        for n in samples { Kernels.col2imSample(columns + n * sampleRows, g, dx + n * g.inputElements) }
    }
}
