// Softmax forward and backward against the reference. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Softmax")
struct SoftmaxTests {
    /// exp errs ≤ 2 ulp and the float row sum ~log2(columns) ulp: 2e-6 relative covers both.
    @Test("softmax matches the reference", arguments: rowShapes)
    func softmax(shape: RowShape) {
        var random = TestRandom(seed: 21)
        let x = random.floats(shape.count, -20, 20)
        var fast = [Float](repeating: 0, count: shape.count), slow = fast
        Kernels.softmax(x, rows: shape.rows, columns: shape.columns, output: &fast)
        Reference.softmax(x, rows: shape.rows, columns: shape.columns, output: &slow)
        #expect(worstError(fast, slow, absolute: 1e-30, relative: 2e-6) <= 1, "\(shape)")
    }

    @Test("softmax is stable for huge logits and works in place")
    func softmaxExtremes() {
        var x: [Float] = [1000, 999, -1000, 0, 88, -88, 1e30, 1e30 - 1, 5, 5, 5, 5, 5, 5, 5, 5, 5]
        var slow = [Float](repeating: 0, count: x.count)
        Reference.softmax(x, rows: 1, columns: x.count, output: &slow)
        x.withUnsafeMutableBufferPointer { p in
            Kernels.softmax(p.baseAddress!, rows: 1, columns: p.count, output: p.baseAddress!)
        }
        #expect(worstError(x, slow, absolute: 1e-30, relative: 2e-6) <= 1)
    }

    /// The row dot product is summed in float (reference: double); |dx| ≤ |y|(|dy| + |dot|) ≤ 2.
    @Test("softmaxBackward matches the reference", arguments: rowShapes)
    func softmaxBackward(shape: RowShape) {
        var random = TestRandom(seed: 22)
        var y = [Float](repeating: 0, count: shape.count)
        Reference.softmax(random.floats(shape.count, -3, 3), rows: shape.rows, columns: shape.columns, output: &y)
        let dy = random.floats(shape.count)
        var fast = [Float](repeating: 0, count: shape.count), slow = fast
        Kernels.softmaxBackward(output: y, gradient: dy, rows: shape.rows, columns: shape.columns, result: &fast)
        Reference.softmaxBackward(output: y, gradient: dy, rows: shape.rows, columns: shape.columns, result: &slow)
        #expect(worstError(fast, slow, absolute: 1e-7, relative: 1e-6) <= 1, "\(shape)")
    }
}
