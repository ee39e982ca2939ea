// Optimizer updates against the reference; same operation order, so ≤ 1 ulp apart.
// Stage: kernels (tests).

import Testing
import NNetKernels

@Suite("Optimizers")
struct OptimizerTests {
    @Test("SGD, momentum and Adam match the reference over several steps", arguments: elementCounts)
    func updates(count: Int) {
        var random = TestRandom(seed: 51)
        let start = random.floats(count)
        var fastW = start, slowW = start
        var fastV = [Float](repeating: 0, count: count), slowV = fastV
        var fastM = fastV, slowM = fastV, fastS = fastV, slowS = fastV
        for step in 1...3 {
            let g = random.floats(count)
            Kernels.sgdUpdate(weights: &fastW, gradient: g, count: count, learningRate: 0.1)
            Reference.sgdUpdate(weights: &slowW, gradient: g, count: count, learningRate: 0.1)
            for nesterov in [false, true] {
                Kernels.momentumUpdate(weights: &fastW, gradient: g, velocity: &fastV, count: count,
                                       learningRate: 0.05, momentum: 0.9, nesterov: nesterov)
                Reference.momentumUpdate(weights: &slowW, gradient: g, velocity: &slowV, count: count,
                                         learningRate: 0.05, momentum: 0.9, nesterov: nesterov)
            }
            Kernels.adamUpdate(weights: &fastW, gradient: g, firstMoment: &fastM, secondMoment: &fastS, count: count,
                               learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: step)
            Reference.adamUpdate(weights: &slowW, gradient: g, firstMoment: &slowM, secondMoment: &slowS, count: count,
                                 learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: step)
        }
        #expect(worstError(fastW, slowW, absolute: 1e-7, relative: 1e-6) <= 1)
        #expect(worstError(fastV, slowV, absolute: 1e-7, relative: 1e-6) <= 1)
        #expect(worstError(fastM, slowM, absolute: 1e-7, relative: 1e-6) <= 1)
        #expect(worstError(fastS, slowS, absolute: 1e-7, relative: 1e-6) <= 1)
    }

    /// g = 3e38: g² overflows Adam's second moment to inf, and √inf = inf makes the step zero (the
    /// reference's sqrtf); the vector square root once returned NaN there and poisoned the weight.
    @Test func adamWithAnOverflowingSecondMomentMatchesTheReference() {
        let count = 37
        let g = [Float](repeating: 3e38, count: count)
        var fastW = [Float](repeating: 0.5, count: count), slowW = fastW
        var fastM = [Float](repeating: 0, count: count), slowM = fastM, fastV = fastM, slowV = fastM
        Kernels.adamUpdate(weights: &fastW, gradient: g, firstMoment: &fastM, secondMoment: &fastV, count: count,
                           learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1)
        Reference.adamUpdate(weights: &slowW, gradient: g, firstMoment: &slowM, secondMoment: &slowV, count: count,
                             learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1)
        #expect(slowW.allSatisfy { $0 == 0.5 } && slowV.allSatisfy { $0 == .infinity })
        #expect(fastW == slowW, "\(fastW.prefix(3))")
    }

    /// Each update says whether all the weights it wrote are finite: training relies on it instead
    /// of reading the parameters again. One bad element anywhere (a full vector or the tail) is
    /// enough; finite weights, however large, are fine.
    @Test("updates report a non-finite weight wherever it lands", arguments: [0, 17, 36])
    func updatesReportNonFiniteWeights(position: Int) {
        let count = 37
        for bad in [Float.nan, .infinity] {
            var g = [Float](repeating: 0.25, count: count)
            var w = [Float](repeating: 3e38, count: count), v = [Float](repeating: 0, count: count)
            var m = v, s = v
            #expect(Kernels.sgdUpdate(weights: &w, gradient: g, count: count, learningRate: 0.1))
            #expect(Kernels.momentumUpdate(weights: &w, gradient: g, velocity: &v, count: count, learningRate: 0.1,
                                           momentum: 0.9, nesterov: true))
            #expect(Kernels.adamUpdate(weights: &w, gradient: g, firstMoment: &m, secondMoment: &s, count: count,
                                       learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1))
            g[position] = bad
            #expect(!Kernels.sgdUpdate(weights: &w, gradient: g, count: count, learningRate: 0.1))
            w = [Float](repeating: 0.5, count: count)
            #expect(!Kernels.momentumUpdate(weights: &w, gradient: g, velocity: &v, count: count, learningRate: 0.1,
                                            momentum: 0.9, nesterov: false))
            w = [Float](repeating: 0.5, count: count)
            m = [Float](repeating: 0, count: count)
            s = m
            // A non-finite gradient makes Adam's moment non-finite and the step ∞/∞ or NaN.
            let written = Kernels.adamUpdate(weights: &w, gradient: g, firstMoment: &m, secondMoment: &s, count: count,
                                             learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 1)
            #expect(!written)
            #expect(w.filter { !$0.isFinite }.count == 1)
        }
    }
}
