// Direct convolution of single-channel images (a first layer on grayscale pictures): no column
// matrix. Stage: kernels. Called by Convolution.swift's conv2d and weight gradient when
// `Kernels.convolvesDirectly` holds.
//
// With one input channel a patch is only kh·kw floats, so im2col + GEMM spent as long gathering
// the 9-float rows as multiplying them (W4's first layer, batch 64: im2col 0.64 ms of 1.35 ms).
// Here each sample is copied once into a zero-padded image and the taps are read from it in place.

extension Kernels {
    /// Whether `conv2d` and `conv2dWeightGradient` use the direct kernels for `g`: one input
    /// channel, output channels in whole 32-wide tiles, at most 12 taps (the weight gradient
    /// keeps 4 taps × 32 channels in registers per pass).
    public static func convolvesDirectly(_ g: ConvolutionGeometry) -> Bool {
        g.inputChannels == 1 && g.outputChannels % tileColumns == 0 && g.kernelHeight * g.kernelWidth <= 12
            && !g.isPointwise
    }

    /// Rows and columns of one sample's zero-padded copy: every tap of every output pixel falls
    /// inside it; 8·strideWidth floats of slack let a row's last 8-pixel group read past its end.
    static func paddedImageSize(_ g: ConvolutionGeometry) -> (height: Int, width: Int, count: Int) {
        let height = (g.outputHeight - 1) * g.strideHeight + (g.kernelHeight - 1) * g.dilationHeight + 1
        let width = (g.outputWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1
        return (height, width, height * width + tileRows * g.strideWidth)
    }

    /// Copies sample `x` (H x W, one channel) into `padded` (zero outside the image).
    @inline(__always)
    static func padSample(_ x: UnsafePointer<Float>, _ g: ConvolutionGeometry, into padded: UnsafeMutablePointer<Float>) {
        let size = paddedImageSize(g)
        padded.update(repeating: 0, count: size.count)
        for row in 0..<size.height {
            let ih = row &- g.padTop
            if ih < 0 || ih >= g.inputHeight { continue }
            let first = max(0, g.padLeft), last = min(size.width, g.padLeft &+ g.inputWidth)
            if first < last {
                copySmall(x + (ih &* g.inputWidth &+ first &- g.padLeft), padded + (row &* size.width &+ first), last &- first)
            }
        }
    }

    // MARK: - Forward

    /// `conv2d` for `convolvesDirectly(g)`: y[pixel, co] = activation(Σ_t x[pixel's tap t]·w[t, co]
    /// + bias[co]). Each 8-pixel x 32-channel tile is one FMA chain per element over the taps in
    /// (kh, kw) order, as the im2col GEMM's, so the results are the same bit for bit. Samples are
    /// split over the pool.
    static func conv2dSingleChannel(_ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                    activation: ActivationKind, geometry g: ConvolutionGeometry, batch: Int,
                                    output y: UnsafeMutablePointer<Float>) {
        forEachSampleRange(batch, work: g.outputElements * g.patchSize,
                           SingleChannelSamples(x: x, w: w, bias: bias, activation: activation, g: g, y: y))
    }

    /// Output pixels ow..ow+7 of one row (only `pixels` of them stored), 32 channels: pixel r's
    /// tap (kh, kw) is window[kh·dh·rowStride + kw·dw + r·sw]; w[t·cout + 0..<32] are its weights.
    @inline(never)
    static func singleChannelTile(_ window: UnsafePointer<Float>, rowStride: Int, _ g: ConvolutionGeometry, pixels: Int,
                                  weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                  activation: ActivationKind, output y: UnsafeMutablePointer<Float>) {
        var c0a = SIMD16<Float>(), c0b = SIMD16<Float>(), c1a = SIMD16<Float>(), c1b = SIMD16<Float>()
        var c2a = SIMD16<Float>(), c2b = SIMD16<Float>(), c3a = SIMD16<Float>(), c3b = SIMD16<Float>()
        var c4a = SIMD16<Float>(), c4b = SIMD16<Float>(), c5a = SIMD16<Float>(), c5b = SIMD16<Float>()
        var c6a = SIMD16<Float>(), c6b = SIMD16<Float>(), c7a = SIMD16<Float>(), c7b = SIMD16<Float>()
        let cout = g.outputChannels, s = g.strideWidth
        var tap = w
        for kh in 0..<g.kernelHeight {
            var ap = window + kh &* g.dilationHeight &* rowStride
            for _ in 0..<g.kernelWidth {
                let b0 = Vector.load(tap), b1 = Vector.load(tap + 16)
                var x = SIMD16<Float>(repeating: ap[0])
                c0a = c0a.addingProduct(x, b0); c0b = c0b.addingProduct(x, b1)
                x = SIMD16<Float>(repeating: ap[s])
                c1a = c1a.addingProduct(x, b0); c1b = c1b.addingProduct(x, b1)
                x = SIMD16<Float>(repeating: ap[2 &* s])
                c2a = c2a.addingProduct(x, b0); c2b = c2b.addingProduct(x, b1)
                x = SIMD16<Float>(repeating: ap[3 &* s])
                c3a = c3a.addingProduct(x, b0); c3b = c3b.addingProduct(x, b1)
                x = SIMD16<Float>(repeating: ap[4 &* s])
                c4a = c4a.addingProduct(x, b0); c4b = c4b.addingProduct(x, b1)
                x = SIMD16<Float>(repeating: ap[5 &* s])
                c5a = c5a.addingProduct(x, b0); c5b = c5b.addingProduct(x, b1)
                x = SIMD16<Float>(repeating: ap[6 &* s])
                c6a = c6a.addingProduct(x, b0); c6b = c6b.addingProduct(x, b1)
                x = SIMD16<Float>(repeating: ap[7 &* s])
                c7a = c7a.addingProduct(x, b0); c7b = c7b.addingProduct(x, b1)
                ap += g.dilationWidth
                tap += cout
            }
        }
        let biasA = bias.map { Vector.load($0) } ?? SIMD16<Float>()
        let biasB = bias.map { Vector.load($0 + 16) } ?? SIMD16<Float>()
        if 0 < pixels { storeTileRow(c0a, c0b, to: y, biasA: biasA, biasB: biasB, activation: activation) }
        if 1 < pixels { storeTileRow(c1a, c1b, to: y + 1 &* cout, biasA: biasA, biasB: biasB, activation: activation) }
        if 2 < pixels { storeTileRow(c2a, c2b, to: y + 2 &* cout, biasA: biasA, biasB: biasB, activation: activation) }
        if 3 < pixels { storeTileRow(c3a, c3b, to: y + 3 &* cout, biasA: biasA, biasB: biasB, activation: activation) }
        if 4 < pixels { storeTileRow(c4a, c4b, to: y + 4 &* cout, biasA: biasA, biasB: biasB, activation: activation) }
        if 5 < pixels { storeTileRow(c5a, c5b, to: y + 5 &* cout, biasA: biasA, biasB: biasB, activation: activation) }
        if 6 < pixels { storeTileRow(c6a, c6b, to: y + 6 &* cout, biasA: biasA, biasB: biasB, activation: activation) }
        if 7 < pixels { storeTileRow(c7a, c7b, to: y + 7 &* cout, biasA: biasA, biasB: biasB, activation: activation) }
    }

    // MARK: - Weight gradient

    /// `conv2dWeightGradient` for `convolvesDirectly(g)`: dw[t, co] = Σ over samples and output
    /// pixels of x[pixel's tap t]·dy[pixel, co]. Work is split into (4-tap group, 32 channels)
    /// pieces, each summing over the whole batch on one thread (fixed order: per sample from zero,
    /// then added to dw in sample order), so the result does not depend on the thread count.
    static func conv2dWeightGradientSingleChannel(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                                                  geometry g: ConvolutionGeometry, batch: Int,
                                                  result dw: UnsafeMutablePointer<Float>) {
        let taps = g.kernelHeight * g.kernelWidth
        if batch == 0 {
            dw.update(repeating: 0, count: taps * g.outputChannels)
            return
        }
        let tapGroups = (taps + 3) / 4, columnTiles = g.outputChannels / tileColumns
        let pieces = tapGroups * columnTiles
        let task = SingleChannelWeightGradientPieces(x: x, dy: dy, g: g, batch: batch, dw: dw)
        if worthSplitting(rows: batch * g.outputHeight * g.outputWidth, geometry: g) {
            ThreadPool.shared.parallelFor(pieces, task)
        } else {
            for index in 0..<pieces { task.run(index) }
        }
    }
}

/// Samples of `conv2dSingleChannel`: each is padded into the thread's workspace, then every
/// 8-pixel x 32-channel tile of its output is one `singleChannelTile`.
struct SingleChannelSamples: SampleRangeTask {
    let x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let activation: ActivationKind, g: ConvolutionGeometry, y: UnsafeMutablePointer<Float>

    func run(samples: Range<Int>) {
        let size = Kernels.paddedImageSize(g)
        let tileRows = Kernels.tileRows, tileColumns = Kernels.tileColumns
        let workspace = GEMMWorkspace.current
        workspace.reserveImage(size.count)
        let padded = workspace.image
        for n in samples {
            Kernels.padSample(x + n * g.inputElements, g, into: padded)
            let sample = y + n * g.outputElements
            for oh in 0..<g.outputHeight {
                var ow = 0
                while ow < g.outputWidth {
                    let pixels = min(tileRows, g.outputWidth - ow)
                    let window = UnsafePointer(padded + (oh * g.strideHeight * size.width + ow * g.strideWidth))
                    let out = sample + (oh * g.outputWidth + ow) * g.outputChannels
                    for column in stride(from: 0, to: g.outputChannels, by: tileColumns) {
                        Kernels.singleChannelTile(window, rowStride: size.width, g, pixels: pixels, weights: w + column,
                                                  bias: bias.map { $0 + column }, activation: activation,
                                                  output: out + column)
                    }
                    ow += tileRows
                }
            }
        }
    }
}

/// Piece `index` of `conv2dWeightGradientSingleChannel`: one group of 4 taps x 32 channels,
/// summed over the whole batch.
struct SingleChannelWeightGradientPieces: ParallelTask {
    let x: UnsafePointer<Float>, dy: UnsafePointer<Float>, g: ConvolutionGeometry, batch: Int
    let dw: UnsafeMutablePointer<Float>

    func run(_ index: Int) {
        let taps = g.kernelHeight * g.kernelWidth
        let columnTiles = g.outputChannels / Kernels.tileColumns, tileColumns = Kernels.tileColumns
        let size = Kernels.paddedImageSize(g)
        // Tap t's offset in the padded image from a pixel's window origin.
        func offset(_ t: Int) -> Int {
            (t / g.kernelWidth) * g.dilationHeight * size.width + (t % g.kernelWidth) * g.dilationWidth
        }

        let group = index / columnTiles, column = (index % columnTiles) * tileColumns
        let first = group * 4, count = min(4, taps - first)
        // Unused taps of a short group read tap `first` again and are not stored.
        let o0 = offset(first), o1 = offset(first + min(1, count - 1))
        let o2 = offset(first + min(2, count - 1)), o3 = offset(first + min(3, count - 1))
        let workspace = GEMMWorkspace.current
        workspace.reserveImage(size.count)
        let padded = workspace.image
        for n in 0..<batch {
            Kernels.padSample(x + n * g.inputElements, g, into: padded)
            var s0a = SIMD16<Float>(), s0b = SIMD16<Float>(), s1a = SIMD16<Float>(), s1b = SIMD16<Float>()
            var s2a = SIMD16<Float>(), s2b = SIMD16<Float>(), s3a = SIMD16<Float>(), s3b = SIMD16<Float>()
            var gradient = dy + n * g.outputElements + column
            for oh in 0..<g.outputHeight {
                var window = UnsafePointer(padded + oh * g.strideHeight * size.width)
                for _ in 0..<g.outputWidth {
                    let d0 = Vector.load(gradient), d1 = Vector.load(gradient + 16)
                    var v = SIMD16<Float>(repeating: window[o0])
                    s0a = s0a.addingProduct(v, d0); s0b = s0b.addingProduct(v, d1)
                    v = SIMD16<Float>(repeating: window[o1])
                    s1a = s1a.addingProduct(v, d0); s1b = s1b.addingProduct(v, d1)
                    v = SIMD16<Float>(repeating: window[o2])
                    s2a = s2a.addingProduct(v, d0); s2b = s2b.addingProduct(v, d1)
                    v = SIMD16<Float>(repeating: window[o3])
                    s3a = s3a.addingProduct(v, d0); s3b = s3b.addingProduct(v, d1)
                    window += g.strideWidth
                    gradient += g.outputChannels
                }
            }
            @inline(__always) func add(_ t: Int, _ lo: SIMD16<Float>, _ hi: SIMD16<Float>) {
                guard t < count else { return }
                let p = dw + (first + t) * g.outputChannels + column
                if n == 0 {
                    Vector.store(lo, p); Vector.store(hi, p + 16)
                } else {
                    Vector.store(Vector.load(p) + lo, p); Vector.store(Vector.load(p + 16) + hi, p + 16)
                }
            }
            add(0, s0a, s0b); add(1, s1a, s1b); add(2, s2a, s2b); add(3, s3a, s3b)
        }
            }
}
