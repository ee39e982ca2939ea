// Naive oracles for convolution, pooling, upsampling and concatenation: direct loops over every
// index, sums in Double, no im2col, so they share no code (and no bug) with the fast kernels.
// Stage: kernels. Layout NHWC, convolution weights [kh, kw, cin, cout].

extension Reference {
    // MARK: - Convolution

    /// y[n, oh, ow, co] = activation(Σ_{kh, kw, ci} x[n, ih, iw, ci]·w[kh, kw, ci, co] + bias[co])
    /// with ih = oh·sh + kh·dh - padTop, iw likewise; taps outside the input contribute 0.
    public static func conv2d(_ x: UnsafePointer<Float>, weights w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                              activation: ActivationKind, geometry g: ConvolutionGeometry, batch: Int,
                              output y: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    for co in 0..<g.outputChannels {
                        var sum = Double(bias?[co] ?? 0)
                        forEachTap(g, oh, ow) { ih, iw, kh, kw in
                            for ci in 0..<g.inputChannels {
                                let xv = x[inputIndex(g, n, ih, iw, ci)]
                                let wv = w[weightIndex(g, kh, kw, ci, co)]
                                sum += Double(xv) * Double(wv)
                            }
                        }
                        y[outputIndex(g, n, oh, ow, co)] = activation.apply(Float(sum))
                    }
                }
            }
        }
    }

    /// dx[n, ih, iw, ci] = Σ over the taps (kh, kw) and output pixels (oh, ow) that read it of
    /// dy[n, oh, ow, co]·w[kh, kw, ci, co]: oh = (ih + padTop - kh·dh)/sh when that divides exactly.
    public static func conv2dInputGradient(_ dy: UnsafePointer<Float>, weights w: UnsafePointer<Float>,
                                           geometry g: ConvolutionGeometry, batch: Int,
                                           result dx: UnsafeMutablePointer<Float>) {
        func source(_ i: Int, _ pad: Int, _ k: Int, _ dilation: Int, _ stride: Int, _ size: Int) -> Int? {
            let scaled = i + pad - k * dilation
            guard scaled >= 0, scaled % stride == 0, scaled / stride < size else { return nil }
            return scaled / stride
        }
        for n in 0..<batch {
            for ih in 0..<g.inputHeight {
                for iw in 0..<g.inputWidth {
                    for ci in 0..<g.inputChannels {
                        var sum: Double = 0
                        for kh in 0..<g.kernelHeight {
                            guard let oh = source(ih, g.padTop, kh, g.dilationHeight, g.strideHeight, g.outputHeight) else { continue }
                            for kw in 0..<g.kernelWidth {
                                guard let ow = source(iw, g.padLeft, kw, g.dilationWidth, g.strideWidth, g.outputWidth) else { continue }
                                for co in 0..<g.outputChannels {
                                    sum += Double(dy[outputIndex(g, n, oh, ow, co)]) * Double(w[weightIndex(g, kh, kw, ci, co)])
                                }
                            }
                        }
                        dx[inputIndex(g, n, ih, iw, ci)] = Float(sum)
                    }
                }
            }
        }
    }

    /// dw[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, ih, iw, ci]·dy[n, oh, ow, co].
    public static func conv2dWeightGradient(_ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                                            geometry g: ConvolutionGeometry, batch: Int,
                                            result dw: UnsafeMutablePointer<Float>) {
        for kh in 0..<g.kernelHeight {
            for kw in 0..<g.kernelWidth {
                for ci in 0..<g.inputChannels {
                    for co in 0..<g.outputChannels {
                        var sum: Double = 0
                        for n in 0..<batch {
                            for oh in 0..<g.outputHeight {
                                let ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop
                                guard ih >= 0 && ih < g.inputHeight else { continue }
                                for ow in 0..<g.outputWidth {
                                    let iw = ow * g.strideWidth + kw * g.dilationWidth - g.padLeft
                                    guard iw >= 0 && iw < g.inputWidth else { continue }
                                    sum += Double(x[inputIndex(g, n, ih, iw, ci)]) * Double(dy[outputIndex(g, n, oh, ow, co)])
                                }
                            }
                        }
                        dw[weightIndex(g, kh, kw, ci, co)] = Float(sum)
                    }
                }
            }
        }
    }

    /// Calls body(ih, iw, kh, kw) for every kernel tap of output pixel (oh, ow) inside the input.
    static func forEachTap(_ g: ConvolutionGeometry, _ oh: Int, _ ow: Int, _ body: (Int, Int, Int, Int) -> Void) {
        for kh in 0..<g.kernelHeight {
            let ih = oh * g.strideHeight + kh * g.dilationHeight - g.padTop
            guard ih >= 0 && ih < g.inputHeight else { continue }
            for kw in 0..<g.kernelWidth {
                let iw = ow * g.strideWidth + kw * g.dilationWidth - g.padLeft
                guard iw >= 0 && iw < g.inputWidth else { continue }
                body(ih, iw, kh, kw)
            }
        }
    }

    static func inputIndex(_ g: ConvolutionGeometry, _ n: Int, _ h: Int, _ w: Int, _ c: Int) -> Int {
        ((n * g.inputHeight + h) * g.inputWidth + w) * g.inputChannels + c
    }

    static func outputIndex(_ g: ConvolutionGeometry, _ n: Int, _ h: Int, _ w: Int, _ c: Int) -> Int {
        ((n * g.outputHeight + h) * g.outputWidth + w) * g.outputChannels + c
    }

    static func weightIndex(_ g: ConvolutionGeometry, _ kh: Int, _ kw: Int, _ ci: Int, _ co: Int) -> Int {
        ((kh * g.kernelWidth + kw) * g.inputChannels + ci) * g.outputChannels + co
    }

    // MARK: - Pooling

    /// Max over each window (clipped to the image); argmax gets the offset within the sample of
    /// the first maximum in row-major window order.
    public static func maxPool2d(_ x: UnsafePointer<Float>, geometry g: PoolingGeometry, batch: Int,
                                 output y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let (rows, columns) = g.window(oh, ow)
                    for c in 0..<g.channels {
                        var best = -Float.infinity, bestOffset = -1
                        for ih in rows {
                            for iw in columns {
                                let offset = (ih * g.inputWidth + iw) * g.channels + c
                                let v = x[n * g.inputElements + offset]
                                if bestOffset < 0 || v > best { best = v; bestOffset = offset }
                            }
                        }
                        let out = n * g.outputElements + (oh * g.outputWidth + ow) * g.channels + c
                        y[out] = best
                        argmax[out] = Float(bestOffset)
                    }
                }
            }
        }
    }

    /// dx[argmax] += dy for every output element; dx is zero elsewhere.
    public static func maxPool2dBackward(_ dy: UnsafePointer<Float>, argmax: UnsafePointer<Float>,
                                         geometry g: PoolingGeometry, batch: Int, result dx: UnsafeMutablePointer<Float>) {
        for i in 0..<batch * g.inputElements { dx[i] = 0 }
        for n in 0..<batch {
            for i in 0..<g.outputElements {
                dx[n * g.inputElements + Int(argmax[n * g.outputElements + i])] += dy[n * g.outputElements + i]
            }
        }
    }

    /// Mean over each window's pixels inside the image.
    public static func avgPool2d(_ x: UnsafePointer<Float>, geometry g: PoolingGeometry, batch: Int,
                                 output y: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    let (rows, columns) = g.window(oh, ow)
                    for c in 0..<g.channels {
                        var sum: Double = 0
                        for ih in rows {
                            for iw in columns { sum += Double(x[n * g.inputElements + (ih * g.inputWidth + iw) * g.channels + c]) }
                        }
                        y[n * g.outputElements + (oh * g.outputWidth + ow) * g.channels + c] =
                            Float(sum / Double(rows.count * columns.count))
                    }
                }
            }
        }
    }

    /// dx[pixel] = Σ over the windows containing it of dy/(window's pixel count).
    public static func avgPool2dBackward(_ dy: UnsafePointer<Float>, geometry g: PoolingGeometry, batch: Int,
                                         result dx: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            for ih in 0..<g.inputHeight {
                for iw in 0..<g.inputWidth {
                    for c in 0..<g.channels {
                        var sum: Double = 0
                        for oh in 0..<g.outputHeight {
                            for ow in 0..<g.outputWidth {
                                let (rows, columns) = g.window(oh, ow)
                                guard rows.contains(ih) && columns.contains(iw) else { continue }
                                let gradient = dy[n * g.outputElements + (oh * g.outputWidth + ow) * g.channels + c]
                                sum += Double(gradient) / Double(rows.count * columns.count)
                            }
                        }
                        dx[n * g.inputElements + (ih * g.inputWidth + iw) * g.channels + c] = Float(sum)
                    }
                }
            }
        }
    }

    // MARK: - Upsampling

    /// Nearest: y[oh, ow] = x[oh / fh, ow / fw]. Bilinear: source coordinate (o + ½)/f - ½ clamped
    /// to [0, size - 1], interpolated between its floor and ceiling.
    public static func upsample2d(_ x: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                                  factor: (height: Int, width: Int), interpolation: Interpolation, batch: Int,
                                  output y: UnsafeMutablePointer<Float>) {
        let outHeight = height * factor.height, outWidth = width * factor.width
        for n in 0..<batch {
            for oh in 0..<outHeight {
                for ow in 0..<outWidth {
                    for c in 0..<channels {
                        var sum: Double = 0
                        forEachSource(oh, ow, height, width, factor, interpolation) { ih, iw, weight in
                            sum += weight * Double(x[((n * height + ih) * width + iw) * channels + c])
                        }
                        y[((n * outHeight + oh) * outWidth + ow) * channels + c] = Float(sum)
                    }
                }
            }
        }
    }

    /// The adjoint of `upsample2d`: dx[pixel] = Σ over the output pixels reading it of weight·dy.
    public static func upsample2dBackward(_ dy: UnsafePointer<Float>, height: Int, width: Int, channels: Int,
                                          factor: (height: Int, width: Int), interpolation: Interpolation, batch: Int,
                                          result dx: UnsafeMutablePointer<Float>) {
        let outHeight = height * factor.height, outWidth = width * factor.width
        for n in 0..<batch {
            for ih in 0..<height {
                for iw in 0..<width {
                    for c in 0..<channels {
                        var sum: Double = 0
                        for oh in 0..<outHeight {
                            for ow in 0..<outWidth {
                                forEachSource(oh, ow, height, width, factor, interpolation) { sh, sw, weight in
                                    guard sh == ih && sw == iw else { return }
                                    sum += weight * Double(dy[((n * outHeight + oh) * outWidth + ow) * channels + c])
                                }
                            }
                        }
                        dx[((n * height + ih) * width + iw) * channels + c] = Float(sum)
                    }
                }
            }
        }
    }

    /// The input pixels output pixel (oh, ow) reads and their weights.
    static func forEachSource(_ oh: Int, _ ow: Int, _ height: Int, _ width: Int, _ factor: (height: Int, width: Int),
                              _ interpolation: Interpolation, _ body: (Int, Int, Double) -> Void) {
        if interpolation == .nearest {
            body(oh / factor.height, ow / factor.width, 1)
            return
        }
        /// The two neighbours along one axis and the weight of the upper one.
        func axis(_ o: Int, _ f: Int, _ size: Int) -> (low: Int, high: Int, weight: Double) {
            let source = min(max((Double(o) + 0.5) / Double(f) - 0.5, 0), Double(size - 1))
            let low = Int(source.rounded(.down))
            return (low, min(low + 1, size - 1), source - Double(low))
        }
        let (top, bottom, down) = axis(oh, factor.height, height)
        let (left, right, across) = axis(ow, factor.width, width)
        body(top, left, (1 - down) * (1 - across))
        body(top, right, (1 - down) * across)
        body(bottom, left, down * (1 - across))
        body(bottom, right, down * across)
    }

    // MARK: - Concatenation

    /// destination[i·destinationStride + j] = source[i·sourceStride + j] for j < length, i < count.
    public static func copyBlocks(_ source: UnsafePointer<Float>, sourceStride: Int,
                                  into destination: UnsafeMutablePointer<Float>, destinationStride: Int,
                                  length: Int, count: Int) {
        for i in 0..<count {
            for j in 0..<length { destination[i * destinationStride + j] = source[i * sourceStride + j] }
        }
    }
}
