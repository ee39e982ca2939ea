// 2-D pooling (max, average) and upsampling (nearest, bilinear), forward and backward, NHWC.
// Stage: kernels. Every pixel's channels are contiguous, so the loops run SIMD16 over channels
// with a padded-vector tail; windows are clipped to the image (padding is never read). Samples
// are split over the thread pool (each thread owns whole samples, so results never depend on it).

/// The shape of one pooling window sweep, batch excluded. Window (oh, ow) covers input rows
/// oh·strideHeight - padTop ..< + windowHeight, clipped to the image (likewise for columns).
public struct PoolingGeometry: Sendable, Hashable, CustomStringConvertible {
    public let inputHeight: Int, inputWidth: Int, channels: Int
    public let outputHeight: Int, outputWidth: Int
    public let windowHeight: Int, windowWidth: Int
    public let strideHeight: Int, strideWidth: Int
    public let padTop: Int, padLeft: Int

    public init(input: (height: Int, width: Int, channels: Int), output: (height: Int, width: Int),
                window: (height: Int, width: Int), stride: (height: Int, width: Int), padding: (top: Int, left: Int) = (0, 0)) {
        (inputHeight, inputWidth, channels) = input
        (outputHeight, outputWidth) = output
        (windowHeight, windowWidth) = window
        (strideHeight, strideWidth) = stride
        (padTop, padLeft) = padding
    }

    public var inputElements: Int { inputHeight * inputWidth * channels }
    public var outputElements: Int { outputHeight * outputWidth * channels }

    /// The input rows and columns window (oh, ow) covers, clipped to the image.
    @inlinable
    public func window(_ oh: Int, _ ow: Int) -> (rows: Range<Int>, columns: Range<Int>) {
        let top = oh * strideHeight - padTop, left = ow * strideWidth - padLeft
        return (max(top, 0)..<min(top + windowHeight, inputHeight), max(left, 0)..<min(left + windowWidth, inputWidth))
    }

    public var description: String {
        var text = "\(windowHeight)x\(windowWidth)"
        if strideHeight != windowHeight || strideWidth != windowWidth { text += ", stride \(strideHeight)x\(strideWidth)" }
        if padTop != 0 || padLeft != 0 { text += ", pad \(padTop),\(padLeft)" }
        return text
    }
}

/// How `upsampling2d` fills the enlarged image.
public enum Interpolation: String, Sendable, Hashable, CaseIterable {
    /// Each input pixel becomes a factor×factor block.
    case nearest
    /// Half-pixel-centred linear interpolation in both directions (PyTorch's align_corners=False,
    /// TensorFlow's half_pixel_centers): source = (o + 0.5)/factor - 0.5, clamped to the image.
    case bilinear
}

extension Kernels {
    // MARK: - Max pooling

    /// y[n, oh, ow, c] = max over the window of x[n, ·, ·, c]; `argmax` receives, as a Float,
    /// the offset within the sample of the first maximum (exact: samples are < 2^24 floats).
    /// Ties go to the first element in row-major window order, as in the reference.
    public static func maxPool2d(_ x: UnsafePointer<Float>, geometry g: PoolingGeometry, batch: Int,
                                 output y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Float>) {
        let c = g.channels
        let laneOffsets = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let halves = g.windowHeight == 2 && g.windowWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2
            && g.padTop == 0 && g.padLeft == 0 && 2 * g.outputHeight <= g.inputHeight && 2 * g.outputWidth <= g.inputWidth
        forEachSampleRange(batch, work: g.inputElements, SampleLoop((x, g, y, argmax, c, laneOffsets, halves)) { context, n in
            let (x, g, y, argmax, c, laneOffsets, halves) = context
            let sample = x + n * g.inputElements
            var out = n * g.outputElements
            if halves {
                Kernels.maxPool2x2(sample, g, y + out, argmax + out)
                return
            }
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let (rows, columns) = g.window(oh, ow)
                    let first = (rows.lowerBound * g.inputWidth + columns.lowerBound) * c
                    Vector.forEach(c) { channel, lanes in
                        var best = Vector.load(sample + first + channel, lanes: lanes)
                        var index = SIMD16<Float>(repeating: Float(first + channel)) + laneOffsets
                        for ih in rows {
                            for iw in columns {
                                let offset = (ih * g.inputWidth + iw) * c + channel
                                let v = Vector.load(sample + offset, lanes: lanes)
                                let greater = v .> best
                                best.replace(with: v, where: greater)
                                index.replace(with: SIMD16<Float>(repeating: Float(offset)) + laneOffsets, where: greater)
                            }
                        }
                        Vector.store(best, y + out + channel, lanes: lanes)
                        Vector.store(index, argmax + out + channel, lanes: lanes)
                    }
                    out += c
                }
            }
        })
    }

    /// One sample of `maxPool2d` with 2x2 windows at stride 2 inside the image (the common
    /// case): the four candidates of 16 channels are compared in window order with no window
    /// arithmetic per element, and the argmax offsets are constants per window.
    @inline(__always)
    static func maxPool2x2(_ x: UnsafePointer<Float>, _ g: PoolingGeometry, _ y: UnsafeMutablePointer<Float>,
                           _ argmax: UnsafeMutablePointer<Float>) {
        let c = g.channels, rowStride = g.inputWidth &* c
        let laneOffsets = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let right = Float(c), below = Float(rowStride), diagonal = Float(rowStride &+ c)
        var out = 0
        for oh in 0..<g.outputHeight {
            for ow in 0..<g.outputWidth {
                let first = (2 &* oh &* g.inputWidth &+ 2 &* ow) &* c
                Vector.forEach(c) { channel, lanes in
                    let p = x + (first &+ channel)
                    let topLeft = SIMD16<Float>(repeating: Float(first &+ channel)) + laneOffsets
                    var best = Vector.load(p, lanes: lanes), index = topLeft
                    @inline(__always) func consider(_ v: SIMD16<Float>, _ offset: Float) {
                        let greater = v .> best
                        best.replace(with: v, where: greater)
                        index.replace(with: topLeft + offset, where: greater)
                    }
                    consider(Vector.load(p + c, lanes: lanes), right)
                    consider(Vector.load(p + rowStride, lanes: lanes), below)
                    consider(Vector.load(p + (rowStride &+ c), lanes: lanes), diagonal)
                    Vector.store(best, y + (out &+ channel), lanes: lanes)
                    Vector.store(index, argmax + (out &+ channel), lanes: lanes)
                }
                out &+= c
            }
        }
    }

    /// dx = 0, then dx[n, argmax] += dy for every output element (overlapping windows add up).
    /// With `activationOutput` (y = f(z), the pool's input) and `activation` f, dx is then
    /// multiplied by f'(z) computed from y: the gradient of an activation followed by this pool,
    /// in one pass. When the windows tile the input exactly (stride = window, no padding, no
    /// leftover rows or columns), every input pixel is written once (no zeroing pass):
    /// dy where the pixel is its window's argmax, else 0, times f'. Then `pooled` (the pool's
    /// output y, if given) replaces reading `activationOutput`: at a window's argmax the
    /// activation's output is the window's maximum, so f' there is f'(pooled), and every other
    /// pixel gets 0. This reads a quarter of the floats (W4: 9.6 MB less per training step).
    public static func maxPool2dBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>,
                                         geometry g: PoolingGeometry, batch: Int, result dx: UnsafeMutablePointer<Float>,
                                         activationOutput: UnsafePointer<Float>? = nil,
                                         activation: ActivationKind = .linear, pooled: UnsafePointer<Float>? = nil) {
        let tiles = g.strideHeight == g.windowHeight && g.strideWidth == g.windowWidth && g.padTop == 0 && g.padLeft == 0
            && g.outputHeight * g.windowHeight == g.inputHeight && g.outputWidth * g.windowWidth == g.inputWidth
        forEachSampleRange(batch, work: g.inputElements, SampleLoop((dx, g, dy, argmax, activationOutput, pooled, tiles, activation)) { context, n in
            let (dx, g, dy, argmax, activationOutput, pooled, tiles, activation) = context
            let sample = dx + n * g.inputElements
            let base = n * g.outputElements
            let y = activationOutput.map { $0 + n * g.inputElements }
            if tiles {
                if let pooled, y != nil {
                    Kernels.maxPoolTilesBackward(dy + base, argmax: argmax + base, g, sample, pooled: pooled + base, activation)
                } else {
                    Kernels.maxPoolTilesBackward(dy + base, argmax: argmax + base, g, sample, y, activation)
                }
                return
            }
            sample.update(repeating: 0, count: g.inputElements)
            for i in 0..<g.outputElements {
                sample[Int(argmax[base + i])] += dy[base + i]
            }
            if let y {
                Vector.forEach(g.inputElements) { i, lanes in
                    let d = Vector.load(sample + i, lanes: lanes) * Vector.derivative(output: Vector.load(y + i, lanes: lanes), activation)
                    Vector.store(d, sample + i, lanes: lanes)
                }
            }
        })
    }

    /// One sample of `maxPool2dBackward` for windows that tile the input: each window's pixels
    /// are written with dy on its argmax lanes and 0 elsewhere, times f'(y), 16 channels at a time.
    /// The activation is switched on once per sample, not per vector (relu then needs no call).
    @inline(__always)
    static func maxPoolTilesBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>, _ g: PoolingGeometry,
                                     _ dx: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>?,
                                     _ activation: ActivationKind) {
        switch (y == nil, activation) {
        case (true, _), (false, .linear):
            maxPoolTilesBackward(dy, argmax: argmax, g, dx, nil) { d, _ in d }
        case (false, .relu):
            maxPoolTilesBackward(dy, argmax: argmax, g, dx, y) { d, output in d.replacing(with: 0, where: .!(output .> 0)) }
        default:
            maxPoolTilesBackward(dy, argmax: argmax, g, dx, y) { d, output in d * Vector.derivative(output: output, activation) }
        }
    }

    /// The loop of `maxPoolTilesBackward`: `scale(d, y)` applies the activation gradient to 16
    /// gradients d given the activation's outputs y there (zeros when `y` is nil).
    @inline(__always)
    static func maxPoolTilesBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>, _ g: PoolingGeometry,
                                     _ dx: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>?,
                                     _ scale: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>) {
        let c = g.channels
        let laneOffsets = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var out = 0
        for oh in 0..<g.outputHeight {
            for ow in 0..<g.outputWidth {
                let top = oh &* g.windowHeight, left = ow &* g.windowWidth
                Vector.forEach(c) { channel, lanes in
                    let gradient = Vector.load(dy + (out &+ channel), lanes: lanes)
                    let winner = Vector.load(argmax + (out &+ channel), lanes: lanes, padding: -1)
                    for ih in top..<(top &+ g.windowHeight) {
                        for iw in left..<(left &+ g.windowWidth) {
                            let offset = (ih &* g.inputWidth &+ iw) &* c &+ channel
                            let mine = SIMD16<Float>(repeating: Float(offset)) + laneOffsets
                            let d = SIMD16<Float>().replacing(with: gradient, where: winner .== mine)
                            let output = y.map { Vector.load($0 + offset, lanes: lanes) } ?? SIMD16<Float>()
                            Vector.store(scale(d, output), dx + offset, lanes: lanes)
                        }
                    }
                }
                out &+= c
            }
        }
    }

    /// `maxPoolTilesBackward` given the pool's output instead of its input: the gradient of a
    /// window, dy·f'(pooled), is computed once and stored on its argmax lanes (0 elsewhere).
    @inline(__always)
    static func maxPoolTilesBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>, _ g: PoolingGeometry,
                                     _ dx: UnsafeMutablePointer<Float>, pooled: UnsafePointer<Float>,
                                     _ activation: ActivationKind) {
        switch activation {
        case .linear:
            maxPoolTilesBackward(dy, argmax: argmax, g, dx, pooled: pooled) { d, _ in d }
        case .relu:
            maxPoolTilesBackward(dy, argmax: argmax, g, dx, pooled: pooled) { d, output in d.replacing(with: 0, where: .!(output .> 0)) }
        default:
            maxPoolTilesBackward(dy, argmax: argmax, g, dx, pooled: pooled) { d, output in d * Vector.derivative(output: output, activation) }
        }
    }

    @inline(__always)
    static func maxPoolTilesBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>, _ g: PoolingGeometry,
                                     _ dx: UnsafeMutablePointer<Float>, pooled: UnsafePointer<Float>,
                                     _ scale: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>) {
        let c = g.channels
        let laneOffsets = SIMD16<Float>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        var out = 0
        for oh in 0..<g.outputHeight {
            for ow in 0..<g.outputWidth {
                let top = oh &* g.windowHeight, left = ow &* g.windowWidth
                Vector.forEach(c) { channel, lanes in
                    let gradient = scale(Vector.load(dy + (out &+ channel), lanes: lanes),
                                         Vector.load(pooled + (out &+ channel), lanes: lanes))
                    let winner = Vector.load(argmax + (out &+ channel), lanes: lanes, padding: -1)
                    for ih in top..<(top &+ g.windowHeight) {
                        for iw in left..<(left &+ g.windowWidth) {
                            let offset = (ih &* g.inputWidth &+ iw) &* c &+ channel
                            let mine = SIMD16<Float>(repeating: Float(offset)) + laneOffsets
                            Vector.store(SIMD16<Float>().replacing(with: gradient, where: winner .== mine), dx + offset, lanes: lanes)
                        }
                    }
                }
                out &+= c
            }
        }
    }

    // MARK: - Average pooling

    /// y = mean of x over the window's pixels inside the image (padding is not counted, as in
    /// Keras/TensorFlow 'same' pooling).
    public static func avgPool2d(_ x: UnsafePointer<Float>, geometry g: PoolingGeometry, batch: Int,
                                 output y: UnsafeMutablePointer<Float>) {
        let c = g.channels
        forEachSampleRange(batch, work: g.inputElements, SampleLoop((x, g, y, c)) { context, n in
            let (x, g, y, c) = context
            let sample = x + n * g.inputElements
            var out = y + n * g.outputElements
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let (rows, columns) = g.window(oh, ow)
                    let scale = 1 / Float(rows.count * columns.count)
                    Vector.forEach(c) { channel, lanes in
                        var sum = SIMD16<Float>()
                        for ih in rows {
                            for iw in columns {
                                sum += Vector.load(sample + (ih * g.inputWidth + iw) * c + channel, lanes: lanes)
                            }
                        }
                        Vector.store(sum * scale, out + channel, lanes: lanes)
                    }
                    out += c
                }
            }
        })
    }

    /// dx = 0, then every window adds dy/count to each of its pixels.
    public static func avgPool2dBackward(_ dy: UnsafePointer<Float>, geometry g: PoolingGeometry, batch: Int,
                                         result dx: UnsafeMutablePointer<Float>) {
        let c = g.channels
        forEachSampleRange(batch, work: g.inputElements, SampleLoop((dx, g, dy, c)) { context, n in
            let (dx, g, dy, c) = context
            let sample = dx + n * g.inputElements
            sample.update(repeating: 0, count: g.inputElements)
            var gradient = dy + n * g.outputElements
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let (rows, columns) = g.window(oh, ow)
                    let scale = 1 / Float(rows.count * columns.count)
                    Vector.forEach(c) { channel, lanes in
                        let share = Vector.load(gradient + channel, lanes: lanes) * scale
                        for ih in rows {
                            for iw in columns {
                                let p = sample + (ih * g.inputWidth + iw) * c + channel
                                Vector.store(Vector.load(p, lanes: lanes) + share, p, lanes: lanes)
                            }
                        }
                    }
                    gradient += c
                }
            }
        })
    }

    // MARK: - Upsampling

    /// y [batch, H·fh, W·fw, C] from x [batch, H, W, C] by `interpolation`.
    public static func upsample2d(_ x: UnsafePointer<Float>, height: Int, width: Int, channels c: Int,
                                  factor: (height: Int, width: Int), interpolation: Interpolation, batch: Int,
                                  output y: UnsafeMutablePointer<Float>) {
        let outHeight = height * factor.height, outWidth = width * factor.width
        forEachSampleRange(batch, work: outHeight * outWidth * c, SampleLoop((x, y, height, width, c, outHeight, outWidth, factor, interpolation)) { context, n in
            let (x, y, height, width, c, outHeight, outWidth, factor, interpolation) = context
            let sample = x + n * height * width * c
            var out = y + n * outHeight * outWidth * c
            for oh in 0..<outHeight {
                let (top, bottom, down) = Kernels.bilinearTaps(oh, factor.height, height, interpolation)
                for ow in 0..<outWidth {
                    let (left, right, across) = Kernels.bilinearTaps(ow, factor.width, width, interpolation)
                    if interpolation == .nearest {
                        Kernels.copySmall(sample + (top * width + left) * c, out, c)
                    } else {
                        let w00 = (1 - down) * (1 - across), w01 = (1 - down) * across
                        let w10 = down * (1 - across), w11 = down * across
                        let p00 = sample + (top * width + left) * c, p01 = sample + (top * width + right) * c
                        let p10 = sample + (bottom * width + left) * c, p11 = sample + (bottom * width + right) * c
                        Vector.forEach(c) { j, lanes in
                            var v = Vector.load(p00 + j, lanes: lanes) * w00
                            v = v.addingProduct(Vector.load(p01 + j, lanes: lanes), w01)
                            v = v.addingProduct(Vector.load(p10 + j, lanes: lanes), w10)
                            v = v.addingProduct(Vector.load(p11 + j, lanes: lanes), w11)
                            Vector.store(v, out + j, lanes: lanes)
                        }
                    }
                    out += c
                }
            }
        })
    }

    /// dx = the adjoint of `upsample2d`: each output pixel's gradient goes back to the input pixels
    /// it was made from, with the same weights (dx is overwritten).
    public static func upsample2dBackward(_ dy: UnsafePointer<Float>, height: Int, width: Int, channels c: Int,
                                          factor: (height: Int, width: Int), interpolation: Interpolation, batch: Int,
                                          result dx: UnsafeMutablePointer<Float>) {
        let outHeight = height * factor.height, outWidth = width * factor.width
        forEachSampleRange(batch, work: outHeight * outWidth * c, SampleLoop((dx, dy, height, width, c, outHeight, outWidth, factor, interpolation)) { context, n in
            let (dx, dy, height, width, c, outHeight, outWidth, factor, interpolation) = context
            let sample = dx + n * height * width * c
            sample.update(repeating: 0, count: height * width * c)
            var gradient = dy + n * outHeight * outWidth * c
            for oh in 0..<outHeight {
                let (top, bottom, down) = Kernels.bilinearTaps(oh, factor.height, height, interpolation)
                for ow in 0..<outWidth {
                    let (left, right, across) = Kernels.bilinearTaps(ow, factor.width, width, interpolation)
                    if interpolation == .nearest {
                        Kernels.addSmall(gradient, sample + (top * width + left) * c, c)
                    } else {
                        @inline(__always) func scatter(_ row: Int, _ column: Int, _ weight: Float) {
                            let p = sample + (row * width + column) * c
                            Vector.forEach(c) { j, lanes in
                                let v = Vector.load(p + j, lanes: lanes).addingProduct(Vector.load(gradient + j, lanes: lanes), weight)
                                Vector.store(v, p + j, lanes: lanes)
                            }
                        }
                        scatter(top, left, (1 - down) * (1 - across))
                        scatter(top, right, (1 - down) * across)
                        scatter(bottom, left, down * (1 - across))
                        scatter(bottom, right, down * across)
                    }
                    gradient += c
                }
            }
        })
    }

    /// The two source indices along one axis for output index `o` and the weight of the second:
    /// nearest gives (o / factor, o / factor, 0).
    @inline(__always)
    static func bilinearTaps(_ o: Int, _ factor: Int, _ size: Int,
                                    _ interpolation: Interpolation) -> (Int, Int, Float) {
        if interpolation == .nearest { return (o / factor, o / factor, 0) }
        let source = max((Float(o) + 0.5) / Float(factor) - 0.5, 0)
        let first = min(Int(source), size - 1)
        let second = min(first + 1, size - 1)
        return (first, second, source - Float(first))
    }
}
