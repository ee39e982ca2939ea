// Convolution kernels (im2col + GEMM, and the direct single-channel kernels) against the direct-loop reference: forward with bias and
// activation, both gradients, on odd sizes, strides, dilations, paddings and the 1x1 fast path.
// Stage: kernels (tests).

import Testing
import NNetKernels

struct ConvolutionCase: Sendable, CustomStringConvertible {
    let geometry: ConvolutionGeometry
    let batch: Int

    /// `padding` is (top, left); the output size follows from the bottom/right padding `extra`.
    init(_ h: Int, _ w: Int, _ cin: Int, _ cout: Int, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
         dilation: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), extra: (Int, Int)? = nil, batch: Int = 2) {
        let bottom = extra ?? padding
        let oh = (h + padding.0 + bottom.0 - (kernel.0 - 1) * dilation.0 - 1) / stride.0 + 1
        let ow = (w + padding.1 + bottom.1 - (kernel.1 - 1) * dilation.1 - 1) / stride.1 + 1
        geometry = ConvolutionGeometry(input: (h, w, cin), output: (oh, ow, cout), kernel: kernel, stride: stride,
                                       dilation: dilation, padding: padding)
        self.batch = batch
    }

    var description: String {
        let g = geometry
        return "\(batch)x\(g.inputHeight)x\(g.inputWidth)x\(g.inputChannels)->\(g.outputHeight)x\(g.outputWidth)x\(g.outputChannels) \(g)"
    }

    static let all: [ConvolutionCase] = [
        ConvolutionCase(5, 7, 3, 4, kernel: (3, 3)),
        ConvolutionCase(7, 5, 1, 5, kernel: (3, 2), stride: (2, 2), padding: (1, 0)),
        ConvolutionCase(4, 4, 17, 33, kernel: (1, 1)),
        ConvolutionCase(9, 9, 2, 3, kernel: (3, 3), dilation: (2, 2), padding: (2, 2)),
        ConvolutionCase(8, 8, 16, 17, kernel: (5, 5), stride: (3, 3), padding: (2, 1), extra: (2, 2)),
        ConvolutionCase(6, 6, 15, 31, kernel: (3, 3), padding: (1, 1)),
        ConvolutionCase(3, 3, 1, 1, kernel: (3, 3), batch: 1),
        ConvolutionCase(5, 4, 3, 2, kernel: (2, 2), stride: (2, 2), padding: (0, 0), extra: (1, 0)),
        ConvolutionCase(6, 5, 2, 3, kernel: (1, 1), stride: (2, 2)),
        // One input channel, 32-channel tiles: the direct kernels (convolvesDirectly), with rows
        // that end in a partial 8-pixel group, strides, dilations and uneven padding.
        ConvolutionCase(9, 13, 1, 32, kernel: (3, 2), stride: (2, 2), padding: (1, 1)),
        ConvolutionCase(11, 10, 1, 64, kernel: (2, 3), dilation: (2, 2), padding: (2, 2), batch: 3),
        ConvolutionCase(7, 6, 1, 32, kernel: (3, 4), padding: (2, 1), extra: (0, 2)),
        ConvolutionCase(6, 9, 1, 32, kernel: (1, 1), stride: (2, 2)),
        // Stride 1, input channels in 32-wide tiles: the implicit-GEMM input gradient
        // (inputGradientIsImplicit), with 8-pixel tiles that span samples, two channel strips,
        // uneven and partial padding.
        ConvolutionCase(5, 7, 32, 12, kernel: (3, 3), padding: (1, 1), batch: 3),
        ConvolutionCase(6, 5, 64, 7, kernel: (5, 3), padding: (2, 0), extra: (1, 2)),
        ConvolutionCase(4, 9, 32, 40, kernel: (2, 2), padding: (1, 1), extra: (0, 0)),
        // Output channels in 32-wide strips, input channels in multiples of 8: the implicit
        // forward pass and weight gradient (convolvesImplicitly), with strides, dilations,
        // uneven padding and taps that fall outside on every side.
        ConvolutionCase(7, 5, 8, 32, kernel: (3, 3), stride: (2, 2), padding: (1, 1), batch: 3),
        ConvolutionCase(9, 9, 16, 64, kernel: (3, 3), dilation: (2, 2), padding: (2, 2)),
        ConvolutionCase(6, 7, 24, 32, kernel: (2, 4), padding: (1, 2), extra: (1, 1)),
        // The example classifier's two layers.
        ConvolutionCase(28, 28, 1, 32, kernel: (3, 3), batch: 3),
        ConvolutionCase(13, 13, 32, 64, kernel: (3, 3), batch: 2),
    ]

    struct Tensors {
        var x: [Float], w: [Float], bias: [Float], dy: [Float]
    }

    func tensors(seed: UInt64 = 1) -> Tensors {
        let g = geometry
        var random = TestRandom(seed: seed &+ UInt64(g.inputElements * 31 + g.outputElements))
        return Tensors(x: random.floats(batch * g.inputElements), w: random.floats(g.patchSize * g.outputChannels),
                       bias: random.floats(g.outputChannels), dy: random.floats(batch * g.outputElements))
    }
}

/// Per-element bounds for a float32 sum of `depth` products whose magnitudes sum to `magnitude`:
/// 1e-6·√depth of it (a random walk of roundings, ~16x margin), as for GEMM.
func sumBounds(_ magnitude: [Float], depth: Int, extra: Float = 0) -> [Float] {
    let scale = 1e-6 * Float(max(1, depth)).squareRoot()
    return magnitude.map { scale * $0 + extra + 1e-30 }
}

@Suite("Convolution")
struct ConvolutionTests {
    @Test("forward with bias and activation matches the reference", arguments: ConvolutionCase.all)
    func forward(_ c: ConvolutionCase) {
        let g = c.geometry, t = c.tensors()
        for (bias, activation) in [(t.bias, ActivationKind.relu), (nil, .linear), (t.bias, .tanh)] as [([Float]?, ActivationKind)] {
            var fast = [Float](repeating: .nan, count: c.batch * g.outputElements)
            var expected = fast
            var columns = [Float](repeating: .nan, count: max(1, g.columnElements(batch: c.batch)))
            withOptionalPointer(bias) { b in
                Kernels.conv2d(t.x, weights: t.w, bias: b, activation: activation, geometry: g, batch: c.batch,
                               output: &fast, columns: &columns)
                Reference.conv2d(t.x, weights: t.w, bias: b, activation: activation, geometry: g, batch: c.batch,
                                 output: &expected)
            }
            var magnitude = [Float](repeating: 0, count: fast.count)
            Reference.conv2d(t.x.map(abs), weights: t.w.map(abs), bias: nil, activation: .linear, geometry: g,
                             batch: c.batch, output: &magnitude)
            expectClose(fast, expected, bounds: sumBounds(magnitude, depth: g.patchSize, extra: 1e-6), "\(c) \(activation)")
        }
    }

    @Test("input gradient matches the reference", arguments: ConvolutionCase.all)
    func inputGradient(_ c: ConvolutionCase) {
        let g = c.geometry, t = c.tensors()
        var fast = [Float](repeating: .nan, count: c.batch * g.inputElements)
        var expected = fast, magnitude = fast
        var columns = [Float](repeating: .nan, count: max(1, g.columnElements(batch: c.batch)))
        Kernels.conv2dInputGradient(t.dy, weights: t.w, geometry: g, batch: c.batch, result: &fast, columns: &columns)
        Reference.conv2dInputGradient(t.dy, weights: t.w, geometry: g, batch: c.batch, result: &expected)
        Reference.conv2dInputGradient(t.dy.map(abs), weights: t.w.map(abs), geometry: g, batch: c.batch, result: &magnitude)
        expectClose(fast, expected, bounds: sumBounds(magnitude, depth: g.patchSize * g.outputChannels), "\(c)")
    }

    @Test("weight gradient matches the reference", arguments: ConvolutionCase.all)
    func weightGradient(_ c: ConvolutionCase) {
        let g = c.geometry, t = c.tensors()
        var fast = [Float](repeating: .nan, count: g.patchSize * g.outputChannels)
        var expected = fast, magnitude = fast
        var columns = [Float](repeating: .nan, count: max(1, g.columnElements(batch: c.batch)))
        Kernels.conv2dWeightGradient(t.x, outputGradient: t.dy, geometry: g, batch: c.batch, result: &fast, columns: &columns)
        Reference.conv2dWeightGradient(t.x, outputGradient: t.dy, geometry: g, batch: c.batch, result: &expected)
        Reference.conv2dWeightGradient(t.x.map(abs), outputGradient: t.dy.map(abs), geometry: g, batch: c.batch,
                                       result: &magnitude)
        expectClose(fast, expected, bounds: sumBounds(magnitude, depth: c.batch * g.outputHeight * g.outputWidth), "\(c)")
    }

    @Test("the weight gradient from the forward pass's kept columns equals the one that gathers them",
          arguments: ConvolutionCase.all)
    func weightGradientFromKeptColumns(_ c: ConvolutionCase) {
        let g = c.geometry, t = c.tensors()
        var y = [Float](repeating: .nan, count: c.batch * g.outputElements)
        var kept = [Float](repeating: .nan, count: max(1, g.columnElements(batch: c.batch)))
        Kernels.conv2d(t.x, weights: t.w, bias: nil, activation: .linear, geometry: g, batch: c.batch, output: &y, columns: &kept)
        var fromKept = [Float](repeating: .nan, count: g.patchSize * g.outputChannels), gathered = fromKept
        Kernels.conv2dWeightGradient(t.x, outputGradient: t.dy, geometry: g, batch: c.batch, result: &fromKept,
                                     columns: &kept, columnsReady: Kernels.keepsColumns(g))
        var columns = [Float](repeating: .nan, count: max(1, g.columnElements(batch: c.batch)))
        Kernels.conv2dWeightGradient(t.x, outputGradient: t.dy, geometry: g, batch: c.batch, result: &gathered, columns: &columns)
        #expect(fromKept == gathered, "\(c)")
    }

    /// ⟨conv(x), dy⟩ = ⟨x, conv_input_gradient(dy)⟩: the two reference loops are each other's
    /// adjoint, which checks the oracle itself (it shares no code with the fast kernels).
    @Test("the reference gradients are adjoint to the reference forward pass", arguments: ConvolutionCase.all)
    func referenceAdjointness(_ c: ConvolutionCase) {
        let g = c.geometry, t = c.tensors()
        var y = [Float](repeating: 0, count: c.batch * g.outputElements)
        var dx = [Float](repeating: 0, count: c.batch * g.inputElements)
        var dw = [Float](repeating: 0, count: t.w.count)
        Reference.conv2d(t.x, weights: t.w, bias: nil, activation: .linear, geometry: g, batch: c.batch, output: &y)
        Reference.conv2dInputGradient(t.dy, weights: t.w, geometry: g, batch: c.batch, result: &dx)
        Reference.conv2dWeightGradient(t.x, outputGradient: t.dy, geometry: g, batch: c.batch, result: &dw)
        func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }
        let forward = dot(y, t.dy)
        #expect(abs(forward - dot(t.x, dx)) <= 1e-4 * max(1, abs(forward)), "\(c): input adjoint")
        #expect(abs(forward - dot(t.w, dw)) <= 1e-4 * max(1, abs(forward)), "\(c): weight adjoint")
    }

    @Test("im2col then col2im multiplies each pixel by the number of patches reading it")
    func columnRoundTrip() {
        let c = ConvolutionCase(7, 6, 3, 1, kernel: (3, 2), stride: (2, 1), padding: (1, 1))
        let g = c.geometry
        let ones = [Float](repeating: 1, count: c.batch * g.inputElements)
        var columns = [Float](repeating: 0, count: g.columnElements(batch: c.batch))
        var counts = ones
        Kernels.im2col(ones, geometry: g, batch: c.batch, into: &columns)
        Kernels.col2im(columns, geometry: g, batch: c.batch, into: &counts)
        // The same counts from the reference: the input gradient of an all-ones dy and 1x1 weights.
        var expected = ones
        let single = ConvolutionGeometry(input: (7, 6, 1), output: (g.outputHeight, g.outputWidth, 1), kernel: (3, 2),
                                         stride: (2, 1), padding: (1, 1))
        let dy = [Float](repeating: 1, count: c.batch * g.outputHeight * g.outputWidth)
        var perPixel = [Float](repeating: 0, count: c.batch * 42)
        Reference.conv2dInputGradient(dy, weights: [Float](repeating: 1, count: 6), geometry: single, batch: c.batch,
                                      result: &perPixel)
        for i in expected.indices { expected[i] = perPixel[i / 3] }
        #expect(counts == expected)
    }
}
