// Every loss (value and gradient) against the reference. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Losses")
struct LossTests {
    /// Loss sums are in double like the reference; only per-element exp/log (≤ 2 ulp) and the
    /// softmax differ, so values agree to 1e-5 relative and gradients to 1e-5 relative + 1e-8.
    static let valueTolerance: Float = 1e-5

    static func check(_ fast: Float, _ slow: Float, _ fastGradient: [Float], _ slowGradient: [Float],
                      _ comment: Comment) {
        #expect(abs(fast - slow) <= valueTolerance * max(1, abs(slow)), "\(comment): loss \(fast) vs \(slow)")
        #expect(worstError(fastGradient, slowGradient, absolute: 1e-8, relative: 1e-5) <= 1, "\(comment): gradient")
    }

    // 70,001 elements: split into chunks spread over the pool (Kernels.chunkedSum).
    @Test("elementwise losses match the reference", arguments: elementCounts + [70_001])
    func elementwise(count: Int) {
        var random = TestRandom(seed: 41)
        let prediction = random.floats(count, -3, 3), target = random.floats(count, 0, 1)
        let logits = random.floats(count, -30, 30), probabilities = random.floats(count, 0, 1)
        var fast = [Float](repeating: 0, count: count), slow = fast

        var f = Kernels.meanSquaredError(prediction: prediction, target: target, count: count, gradient: &fast)
        var s = Reference.meanSquaredError(prediction: prediction, target: target, count: count, gradient: &slow)
        Self.check(f, s, fast, slow, "MSE \(count)")

        f = Kernels.sigmoidCrossEntropy(logits: logits, target: target, count: count, gradient: &fast)
        s = Reference.sigmoidCrossEntropy(logits: logits, target: target, count: count, gradient: &slow)
        Self.check(f, s, fast, slow, "sigmoid CE \(count)")

        f = Kernels.binaryCrossEntropy(probabilities: probabilities, target: target, count: count, gradient: &fast)
        s = Reference.binaryCrossEntropy(probabilities: probabilities, target: target, count: count, gradient: &slow)
        Self.check(f, s, fast, slow, "BCE \(count)")

        #expect(Kernels.meanSquaredError(prediction: prediction, target: target, count: count, gradient: nil)
                == Kernels.meanSquaredError(prediction: prediction, target: target, count: count, gradient: &fast))
    }

    @Test("row-wise cross-entropies match the reference", arguments: rowShapes)
    func rowWise(shape: RowShape) {
        var random = TestRandom(seed: 42)
        let logits = random.floats(shape.count, -10, 10)
        var target = [Float](repeating: 0, count: shape.count)
        Reference.softmax(random.floats(shape.count, -2, 2), rows: shape.rows, columns: shape.columns, output: &target)
        let labels = (0..<shape.rows).map { _ in Float(Int(random.next() % UInt64(shape.columns))) }
        var fastP = [Float](repeating: 0, count: shape.count), slowP = fastP
        var fast = fastP, slow = fastP

        var f = Kernels.softmaxCrossEntropy(logits: logits, target: target, rows: shape.rows, columns: shape.columns,
                                            probabilities: &fastP, gradient: &fast)
        var s = Reference.softmaxCrossEntropy(logits: logits, target: target, rows: shape.rows, columns: shape.columns,
                                              probabilities: &slowP, gradient: &slow)
        Self.check(f, s, fast, slow, "softmax CE \(shape)")
        #expect(worstError(fastP, slowP, absolute: 1e-30, relative: 2e-6) <= 1)

        f = Kernels.sparseSoftmaxCrossEntropy(logits: logits, labels: labels, rows: shape.rows, columns: shape.columns,
                                              probabilities: &fastP, gradient: &fast)
        s = Reference.sparseSoftmaxCrossEntropy(logits: logits, labels: labels, rows: shape.rows, columns: shape.columns,
                                                probabilities: &slowP, gradient: &slow)
        Self.check(f, s, fast, slow, "sparse softmax CE \(shape)")

        f = Kernels.categoricalCrossEntropy(probabilities: fastP, target: target, rows: shape.rows,
                                            columns: shape.columns, gradient: &fast)
        s = Reference.categoricalCrossEntropy(probabilities: fastP, target: target, rows: shape.rows,
                                              columns: shape.columns, gradient: &slow)
        Self.check(f, s, fast, slow, "categorical CE \(shape)")
    }
}
