// Pooling and upsampling kernels against the reference on odd channel counts (SIMD tails),
// overlapping windows, padding and non-square images. Stage: kernels (tests).

import Testing
import NNetKernels

struct PoolingCase: Sendable, CustomStringConvertible {
    let geometry: PoolingGeometry
    let batch: Int

    init(_ h: Int, _ w: Int, _ c: Int, window: (Int, Int), stride: (Int, Int), padding: (Int, Int) = (0, 0),
         output: (Int, Int)? = nil, batch: Int = 2) {
        let oh = output?.0 ?? (h + 2 * padding.0 - window.0) / stride.0 + 1
        let ow = output?.1 ?? (w + 2 * padding.1 - window.1) / stride.1 + 1
        geometry = PoolingGeometry(input: (h, w, c), output: (oh, ow), window: window, stride: stride, padding: padding)
        self.batch = batch
    }

    var description: String {
        "\(batch)x\(geometry.inputHeight)x\(geometry.inputWidth)x\(geometry.channels) \(geometry)"
    }

    static let all: [PoolingCase] = [
        PoolingCase(4, 4, 1, window: (2, 2), stride: (2, 2)),
        PoolingCase(5, 7, 17, window: (2, 2), stride: (2, 2)),
        PoolingCase(6, 5, 33, window: (3, 3), stride: (2, 2)),
        PoolingCase(5, 5, 15, window: (3, 3), stride: (1, 1), padding: (1, 1)),
        // 'same' padding with stride 2 on an odd size: the last window hangs over the bottom edge.
        PoolingCase(7, 7, 16, window: (2, 2), stride: (2, 2), output: (4, 4)),
        PoolingCase(26, 26, 32, window: (2, 2), stride: (2, 2), batch: 3),
        PoolingCase(3, 4, 31, window: (3, 4), stride: (3, 4), batch: 1),
    ]

    func input(seed: UInt64 = 3) -> (x: [Float], dy: [Float]) {
        var random = TestRandom(seed: seed &+ UInt64(geometry.inputElements))
        return (random.floats(batch * geometry.inputElements), random.floats(batch * geometry.outputElements))
    }
}

@Suite("Pooling")
struct PoolingTests {
    @Test("max pooling and its gradient equal the reference exactly", arguments: PoolingCase.all)
    func maxPool(_ c: PoolingCase) {
        let g = c.geometry, (x, dy) = c.input()
        var y = [Float](repeating: .nan, count: c.batch * g.outputElements), argmax = y
        var expectedY = y, expectedArgmax = y
        Kernels.maxPool2d(x, geometry: g, batch: c.batch, output: &y, argmax: &argmax)
        Reference.maxPool2d(x, geometry: g, batch: c.batch, output: &expectedY, argmax: &expectedArgmax)
        #expect(y == expectedY, "\(c) output")
        #expect(argmax == expectedArgmax, "\(c) argmax")
        var dx = [Float](repeating: .nan, count: c.batch * g.inputElements), expectedDx = dx
        Kernels.maxPool2dBackward(dy, argmax: argmax, geometry: g, batch: c.batch, result: &dx)
        Reference.maxPool2dBackward(dy, argmax: expectedArgmax, geometry: g, batch: c.batch, result: &expectedDx)
        // Overlapping windows add in output order in both, so the sums agree bit for bit.
        #expect(dx == expectedDx, "\(c) gradient")
    }

    @Test("the max-pool gradient fused with the activation gradient before it equals the two reference passes",
          arguments: PoolingCase.all, [ActivationKind.relu, .sigmoid])
    func maxPoolThroughActivation(_ c: PoolingCase, _ kind: ActivationKind) {
        let g = c.geometry, (x, dy) = c.input()
        // y = f(x) is both the pool's input and what the activation gradient reads.
        let y = x.map { kind.apply($0) }
        var pooled = [Float](repeating: .nan, count: c.batch * g.outputElements), argmax = pooled
        Reference.maxPool2d(y, geometry: g, batch: c.batch, output: &pooled, argmax: &argmax)
        var fused = [Float](repeating: .nan, count: c.batch * g.inputElements), poolGradient = fused, expected = fused
        Kernels.maxPool2dBackward(dy, argmax: argmax, geometry: g, batch: c.batch, result: &fused,
                                  activationOutput: y, activation: kind)
        Reference.maxPool2dBackward(dy, argmax: argmax, geometry: g, batch: c.batch, result: &poolGradient)
        Reference.activationBackward(kind, output: y, gradient: poolGradient, result: &expected, count: expected.count)
        // Same products in the same order (a window's pixel is written once when windows tile).
        #expect(fused == expected, "\(c) \(kind)")
        // Given the pool's output, f' is taken at the window's maximum: the same value as y at
        // the argmax, so the same products (and zeros elsewhere).
        var fromPooled = [Float](repeating: .nan, count: c.batch * g.inputElements)
        Kernels.maxPool2dBackward(dy, argmax: argmax, geometry: g, batch: c.batch, result: &fromPooled,
                                  activationOutput: y, activation: kind, pooled: pooled)
        #expect(fromPooled == expected, "\(c) \(kind) from the pooled output")
    }

    @Test("ties go to the first element of the window")
    func maxPoolTies() {
        let g = PoolingGeometry(input: (2, 2, 1), output: (1, 1), window: (2, 2), stride: (2, 2))
        var y: Float = 0, argmax: Float = -1
        Kernels.maxPool2d([1, 3, 3, 2], geometry: g, batch: 1, output: &y, argmax: &argmax)
        #expect(y == 3 && argmax == 1)
    }

    @Test("average pooling and its gradient match the reference", arguments: PoolingCase.all)
    func avgPool(_ c: PoolingCase) {
        let g = c.geometry, (x, dy) = c.input()
        var y = [Float](repeating: .nan, count: c.batch * g.outputElements), expectedY = y
        Kernels.avgPool2d(x, geometry: g, batch: c.batch, output: &y)
        Reference.avgPool2d(x, geometry: g, batch: c.batch, output: &expectedY)
        // Sums of ≤ 12 values in [-1, 1]: a few ulps of 12.
        #expect(worstError(y, expectedY, absolute: 1e-6, relative: 1e-6) <= 1, "\(c) output")
        var dx = [Float](repeating: .nan, count: c.batch * g.inputElements), expectedDx = dx
        Kernels.avgPool2dBackward(dy, geometry: g, batch: c.batch, result: &dx)
        Reference.avgPool2dBackward(dy, geometry: g, batch: c.batch, result: &expectedDx)
        #expect(worstError(dx, expectedDx, absolute: 1e-6, relative: 1e-6) <= 1, "\(c) gradient")
    }

    struct UpsamplingCase: Sendable, CustomStringConvertible {
        let height: Int, width: Int, channels: Int, factor: (height: Int, width: Int), interpolation: Interpolation
        var description: String { "\(height)x\(width)x\(channels) x\(factor.height),\(factor.width) \(interpolation)" }
    }

    static let upsamplings: [UpsamplingCase] = Interpolation.allCases.flatMap { interpolation in
        [UpsamplingCase(height: 1, width: 1, channels: 1, factor: (2, 2), interpolation: interpolation),
         UpsamplingCase(height: 3, width: 5, channels: 17, factor: (2, 2), interpolation: interpolation),
         UpsamplingCase(height: 4, width: 3, channels: 33, factor: (3, 2), interpolation: interpolation),
         UpsamplingCase(height: 7, width: 7, channels: 16, factor: (2, 2), interpolation: interpolation)]
    }

    @Test("upsampling and its gradient match the reference", arguments: upsamplings)
    func upsampling(_ c: UpsamplingCase) {
        let batch = 2
        var random = TestRandom(seed: 9)
        let inCount = batch * c.height * c.width * c.channels, outCount = inCount * c.factor.height * c.factor.width
        let x = random.floats(inCount), dy = random.floats(outCount)
        var y = [Float](repeating: .nan, count: outCount), expectedY = y
        Kernels.upsample2d(x, height: c.height, width: c.width, channels: c.channels, factor: c.factor,
                           interpolation: c.interpolation, batch: batch, output: &y)
        Reference.upsample2d(x, height: c.height, width: c.width, channels: c.channels, factor: c.factor,
                             interpolation: c.interpolation, batch: batch, output: &expectedY)
        #expect(worstError(y, expectedY, absolute: 1e-6, relative: 1e-6) <= 1, "\(c) output")
        var dx = [Float](repeating: .nan, count: inCount), expectedDx = dx
        Kernels.upsample2dBackward(dy, height: c.height, width: c.width, channels: c.channels, factor: c.factor,
                                   interpolation: c.interpolation, batch: batch, result: &dx)
        Reference.upsample2dBackward(dy, height: c.height, width: c.width, channels: c.channels, factor: c.factor,
                                     interpolation: c.interpolation, batch: batch, result: &expectedDx)
        // Each input pixel gathers ≤ (2·factor)² weighted terms of magnitude ≤ 1.
        #expect(worstError(dx, expectedDx, absolute: 1e-5, relative: 1e-6) <= 1, "\(c) gradient")
    }

    @Test("concatenation blocks copy at their strides", arguments: [(1, 1, 1), (5, 3, 17), (4, 33, 40), (3, 8, 8)])
    func copyBlocks(count: Int, length: Int, stride: Int) {
        var random = TestRandom(seed: 4)
        let source = random.floats(count * stride)
        var fast = [Float](repeating: -7, count: count * (length + 3)), expected = fast
        Kernels.copyBlocks(source, sourceStride: stride, into: &fast, destinationStride: length + 3, length: length, count: count)
        Reference.copyBlocks(source, sourceStride: stride, into: &expected, destinationStride: length + 3, length: length, count: count)
        #expect(fast == expected)
    }
}
