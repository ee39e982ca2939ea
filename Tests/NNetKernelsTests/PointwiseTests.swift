// Pointwise kernels against the reference on every SIMD tail length. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Pointwise")
struct PointwiseTests {
    static let activations: [ActivationKind] = [.linear, .relu, .leakyRelu(alpha: 0.2), .sigmoid, .tanh]

    /// linear/relu/leaky relu are exact; sigmoid/tanh use the polynomial exp (≤ 4 ulp ≈ 5e-7).
    static func tolerance(_ activation: ActivationKind) -> Float {
        switch activation {
        case .sigmoid, .tanh: return 1e-6
        default: return 0
        }
    }

    @Test("biasActivation matches the reference", arguments: rowShapes, activations)
    func biasActivation(shape: RowShape, activation: ActivationKind) {
        var random = TestRandom(seed: 11)
        let x = random.floats(shape.count, -6, 6), bias = random.floats(shape.columns)
        for useBias in [false, true] {
            var fast = [Float](repeating: 0, count: shape.count), slow = fast
            withOptionalPointer(useBias ? bias : nil) { b in
                Kernels.biasActivation(x, bias: b, rows: shape.rows, columns: shape.columns, activation: activation, output: &fast)
                Reference.biasActivation(x, bias: b, rows: shape.rows, columns: shape.columns, activation: activation, output: &slow)
            }
            #expect(worstError(fast, slow, absolute: 1e-30, relative: Self.tolerance(activation)) <= 1,
                    "\(shape) \(activation) bias \(useBias)")
        }
    }

    @Test("biasActivation works in place")
    func biasActivationInPlace() {
        var random = TestRandom(seed: 12)
        var x = random.floats(33 * 5), bias = random.floats(33)
        let expected = x.map { $0 }
        var slow = [Float](repeating: 0, count: x.count)
        Reference.biasActivation(expected, bias: &bias, rows: 5, columns: 33, activation: .relu, output: &slow)
        x.withUnsafeMutableBufferPointer { p in
            Kernels.biasActivation(p.baseAddress!, bias: bias, rows: 5, columns: 33, activation: .relu, output: p.baseAddress!)
        }
        #expect(x == slow)
    }

    /// The polynomial exp behind sigmoid: relative error ≤ 4e-7 (~3 ulp) from e^-80 to e^20
    /// (for x ≪ 0, sigmoid(x) ≈ e^x, so this checks exp over most of its range).
    @Test("sigmoid and tanh stay within a few ulp of libm on a dense grid")
    func transcendentalAccuracy() {
        let grid = (0..<200_001).map { Float(-80) + Float($0) * 0.0005 }
        var fast = [Float](repeating: 0, count: grid.count), slow = fast
        Kernels.biasActivation(grid, bias: nil, rows: 1, columns: grid.count, activation: .sigmoid, output: &fast)
        Reference.biasActivation(grid, bias: nil, rows: 1, columns: grid.count, activation: .sigmoid, output: &slow)
        #expect(worstError(fast, slow, absolute: 1e-37, relative: 4e-7) <= 1)
        let tanhGrid = (0..<200_001).map { Float(-10) + Float($0) * 0.0001 }
        Kernels.biasActivation(tanhGrid, bias: nil, rows: 1, columns: tanhGrid.count, activation: .tanh, output: &fast)
        Reference.biasActivation(tanhGrid, bias: nil, rows: 1, columns: tanhGrid.count, activation: .tanh, output: &slow)
        #expect(worstError(fast, slow, absolute: 1e-37, relative: 5e-7) <= 1)
    }

    @Test("activationBackward matches the reference", arguments: elementCounts, activations)
    func activationBackward(count: Int, activation: ActivationKind) {
        var random = TestRandom(seed: 13)
        let y = random.floats(count, -1, 1), dy = random.floats(count)
        var fast = [Float](repeating: 0, count: count), slow = fast
        Kernels.activationBackward(activation, output: y, gradient: dy, result: &fast, count: count)
        Reference.activationBackward(activation, output: y, gradient: dy, result: &slow, count: count)
        #expect(fast == slow)
    }

    @Test("multiply, add, scale, fill and copy", arguments: elementCounts)
    func elementwise(count: Int) {
        var random = TestRandom(seed: 14)
        let x = random.floats(count), mask = random.floats(count, 0, 2)
        var fast = [Float](repeating: 0, count: count), slow = fast
        Kernels.multiply(x, mask, output: &fast, count: count)
        Reference.multiply(x, mask, output: &slow, count: count)
        #expect(fast == slow)
        Kernels.add(x, into: &fast, count: count)
        Reference.add(x, into: &slow, count: count)
        #expect(fast == slow)
        Kernels.scale(&fast, by: 0.5, count: count)
        #expect(fast == slow.map { $0 * 0.5 })
        Kernels.fill(&fast, with: 3, count: count)
        #expect(fast == [Float](repeating: 3, count: count))
        Kernels.copy(x, into: &fast, count: count)
        #expect(fast == x)
    }
}
