// Batch/layer normalisation and the per-channel scale against the Double reference, on column
// counts around the SIMD width and long row counts. Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Normalization")
struct NormalizationTests {
    // Float sums of `rows` terms vs Double: ~√rows·ulp relative to the largest term, after the
    // mean is subtracted (two passes) no cancellation; 1e-5 relative + 1e-5 absolute bounds it.

    @Test("batch normalisation (training) matches the reference", arguments: rowShapes + [RowShape(2000, 32), RowShape(64, 3)])
    func batchNormTraining(_ shape: RowShape) {
        var random = TestRandom(seed: 11)
        // An offset mean and a spread scale test the two-pass variance.
        let x = random.floats(shape.count).map { 3 + 2 * $0 }
        let dy = random.floats(shape.count)
        let (rows, columns) = (shape.rows, shape.columns)
        var runningMean = random.floats(columns), runningVariance = random.floats(columns, 0.5, 2)
        var expectedMean = runningMean, expectedVariance = runningVariance
        var y = [Float](repeating: .nan, count: shape.count), expectedY = y
        var mean = [Float](repeating: .nan, count: columns), invStd = mean, expectedMeanOut = mean, expectedInvStd = mean
        Kernels.batchNormTraining(x, rows: rows, columns: columns, epsilon: 1e-3, momentum: 0.9, runningMean: &runningMean,
                                  runningVariance: &runningVariance, output: &y, mean: &mean, inverseStd: &invStd)
        Reference.batchNormTraining(x, rows: rows, columns: columns, epsilon: 1e-3, momentum: 0.9, runningMean: &expectedMean,
                                    runningVariance: &expectedVariance, output: &expectedY, mean: &expectedMeanOut,
                                    inverseStd: &expectedInvStd)
        #expect(worstError(y, expectedY, absolute: 1e-5, relative: 1e-5) <= 1, "\(shape) output")
        #expect(worstError(invStd, expectedInvStd, absolute: 1e-6, relative: 1e-5) <= 1, "\(shape) invStd")
        #expect(worstError(runningMean, expectedMean, absolute: 1e-6, relative: 1e-5) <= 1, "\(shape) running mean")
        #expect(worstError(runningVariance, expectedVariance, absolute: 1e-6, relative: 1e-5) <= 1, "\(shape) running variance")

        for training in [true, false] {
            var dx = [Float](repeating: .nan, count: shape.count), expectedDx = dx
            var sums = [Float](repeating: .nan, count: 2 * columns)
            Kernels.batchNormBackward(output: expectedY, gradient: dy, rows: rows, columns: columns, inverseStd: expectedInvStd,
                                      training: training, result: &dx, sums: &sums)
            Reference.batchNormBackward(output: expectedY, gradient: dy, rows: rows, columns: columns,
                                        inverseStd: expectedInvStd, training: training, result: &expectedDx, sums: &sums)
            #expect(worstError(dx, expectedDx, absolute: 1e-5, relative: 1e-4) <= 1, "\(shape) gradient, training \(training)")
        }
    }

    @Test("batch normalisation (inference) uses the running statistics", arguments: rowShapes)
    func batchNormInference(_ shape: RowShape) {
        var random = TestRandom(seed: 12)
        let x = random.floats(shape.count)
        let runningMean = random.floats(shape.columns), runningVariance = random.floats(shape.columns, 0.1, 3)
        var y = [Float](repeating: .nan, count: shape.count), expectedY = y
        var mean = [Float](repeating: .nan, count: shape.columns), invStd = mean, expectedMean = mean, expectedInvStd = mean
        Kernels.batchNormInference(x, rows: shape.rows, columns: shape.columns, epsilon: 1e-3, runningMean: runningMean,
                                   runningVariance: runningVariance, output: &y, mean: &mean, inverseStd: &invStd)
        Reference.batchNormInference(x, rows: shape.rows, columns: shape.columns, epsilon: 1e-3, runningMean: runningMean,
                                     runningVariance: runningVariance, output: &expectedY, mean: &expectedMean,
                                     inverseStd: &expectedInvStd)
        #expect(worstError(y, expectedY, absolute: 1e-6, relative: 1e-5) <= 1)
        #expect(mean == runningMean)
    }

    @Test("layer normalisation and its gradient match the reference", arguments: rowShapes)
    func layerNorm(_ shape: RowShape) {
        var random = TestRandom(seed: 13)
        let x = random.floats(shape.count).map { 1 + 3 * $0 }
        let dy = random.floats(shape.count)
        var y = [Float](repeating: .nan, count: shape.count), expectedY = y
        var invStd = [Float](repeating: .nan, count: shape.rows), expectedInvStd = invStd
        Kernels.layerNorm(x, rows: shape.rows, columns: shape.columns, epsilon: 1e-3, output: &y, inverseStd: &invStd)
        Reference.layerNorm(x, rows: shape.rows, columns: shape.columns, epsilon: 1e-3, output: &expectedY,
                            inverseStd: &expectedInvStd)
        #expect(worstError(y, expectedY, absolute: 1e-5, relative: 1e-5) <= 1, "\(shape) output")
        #expect(worstError(invStd, expectedInvStd, absolute: 1e-6, relative: 1e-5) <= 1, "\(shape) invStd")
        var dx = [Float](repeating: .nan, count: shape.count), expectedDx = dx
        Kernels.layerNormBackward(output: expectedY, gradient: dy, rows: shape.rows, columns: shape.columns,
                                  inverseStd: expectedInvStd, result: &dx)
        Reference.layerNormBackward(output: expectedY, gradient: dy, rows: shape.rows, columns: shape.columns,
                                    inverseStd: expectedInvStd, result: &expectedDx)
        #expect(worstError(dx, expectedDx, absolute: 1e-5, relative: 1e-4) <= 1, "\(shape) gradient")
    }

    @Test("the per-channel scale and its gradient match the reference", arguments: rowShapes)
    func scaleColumns(_ shape: RowShape) {
        var random = TestRandom(seed: 14)
        let x = random.floats(shape.count), dy = random.floats(shape.count), scale = random.floats(shape.columns)
        var y = [Float](repeating: .nan, count: shape.count), expectedY = y
        Kernels.scaleColumns(x, by: scale, rows: shape.rows, columns: shape.columns, output: &y)
        Reference.scaleColumns(x, by: scale, rows: shape.rows, columns: shape.columns, output: &expectedY)
        #expect(y == expectedY)
        var ds = [Float](repeating: .nan, count: shape.columns), expectedDs = ds
        Kernels.scaleColumnsGradient(x, gradient: dy, rows: shape.rows, columns: shape.columns, result: &ds)
        Reference.scaleColumnsGradient(x, gradient: dy, rows: shape.rows, columns: shape.columns, result: &expectedDs)
        #expect(worstError(ds, expectedDs, absolute: 1e-5 * Float(shape.rows).squareRoot(), relative: 1e-5) <= 1)
    }
}
