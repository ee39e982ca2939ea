// The R1 penalty's parameter gradient (a central difference of two backward passes) against
// float64 central differences of the penalty itself, and its effect on a discriminator step.

import Foundation
import Testing
import NNetIR
import NNetRuntime

@Suite struct R1PenaltyTests {
    /// R1 of the discriminator `input [3]; dense 4, activation; dense 1, activation: sigmoid` in
    /// float64: f(x) = a(x·W1 + b1)·w2 + b2, ∇ₓf = W1·(a′ ⊙ w2), R1 = γ/(2B)·Σᵢ‖∇ₓf(xᵢ)‖².
    static func penalty(_ theta: [Double], inputs: [Double], rows: Int, gamma: Double, leaky: Bool) -> Double {
        let w1 = Array(theta[0..<12]), b1 = Array(theta[12..<16]), w2 = Array(theta[16..<20])
        var total = 0.0
        for r in 0..<rows {
            let x = Array(inputs[r * 3..<r * 3 + 3])
            var slope = [Double](repeating: 0, count: 4)
            for j in 0..<4 {
                let z = (0..<3).reduce(b1[j]) { $0 + x[$1] * w1[$1 * 4 + j] }
                slope[j] = leaky ? (z > 0 ? 1 : 0.2) : 1 - tanh(z) * tanh(z)
            }
            for i in 0..<3 {
                let g = (0..<4).reduce(0.0) { $0 + w1[i * 4 + $1] * slope[$1] * w2[$1] }
                total += g * g
            }
        }
        return gamma / 2 * total / Double(rows)
    }

    /// Float32 against float64: the central difference in float32 keeps about 4 significant
    /// digits at the default step (1e-3 root mean square per sample: cancellation ~ 6e-8/1e-3 of
    /// the gradient's scale); the tolerance is 1e-3 of the largest component.
    @Test(arguments: [false, true])
    func gradientMatchesFiniteDifferencesOfThePenalty(leaky: Bool) throws {
        let activation = leaky ? "leaky_relu(0.2)" : "tanh"
        let discriminator = ModelInstance(try lowerModel("""
            input [3]
            dense 4, activation: \(activation)
            dense 1, activation: sigmoid
            """), seed: 4)
        // Non-zero biases, so the hidden layer is not symmetric about 0.
        discriminator.parameters.setValues(1, [0.3, -0.2, 0.1, -0.4])
        discriminator.parameters.setValues(3, [0.5])
        let rows = 5
        var random = SeededGenerator(seed: 8)
        let inputs = (0..<rows * 3).map { _ in random.normal() }
        let gamma: Float = 2.5
        let penalty = R1Penalty(discriminator: discriminator, gamma: gamma, batchCapacity: 8)
        let store = discriminator.parameters
        let buffers = (0..<store.infos.count).map { _ in UnsafeMutablePointer<Float>.allocate(capacity: 12) }
        defer { buffers.forEach { $0.deallocate() } }
        for (index, buffer) in buffers.enumerated() { buffer.initialize(repeating: 0, count: store.infos[index].count) }
        let value = inputs.withUnsafeBufferPointer {
            penalty.accumulate(inputs: $0.baseAddress!, rows: rows, dropout: SeededGenerator(seed: 1), into: buffers)
        }
        let ours = (0..<store.infos.count).flatMap { Array(UnsafeBufferPointer(start: buffers[$0], count: store.infos[$0].count)) }

        let theta = (0..<store.infos.count).flatMap { store.values($0) }.map(Double.init)
        let x = inputs.map(Double.init)
        let exact = Self.penalty(theta, inputs: x, rows: rows, gamma: Double(gamma), leaky: leaky)
        #expect(abs(Double(value) - exact) <= 1e-5 * exact, "penalty \(value) vs \(exact)")
        var reference: [Double] = []
        for j in theta.indices {
            var up = theta, down = theta
            up[j] += 1e-6
            down[j] -= 1e-6
            reference.append((Self.penalty(up, inputs: x, rows: rows, gamma: Double(gamma), leaky: leaky)
                              - Self.penalty(down, inputs: x, rows: rows, gamma: Double(gamma), leaky: leaky)) / 2e-6)
        }
        let scale = reference.map(abs).max()!
        #expect(scale > 0.1, "the penalty should depend on the weights: \(reference)")
        for j in theta.indices {
            #expect(abs(Double(ours[j]) - reference[j]) <= 1e-3 * scale, "parameter \(j): \(ours[j]) vs \(reference[j])")
        }
    }

    /// Every sample is 0 (real and generated), so the adversarial loss gives the weight of
    /// D(x) = sigmoid(w·x + b) no gradient; R1 = γ/2·w² gives γ·w. SGD with lr 1 from w = 1 and
    /// γ = 0.25 leaves w = 0.75. The same with least squares, where the logit is the output.
    @Test(arguments: [GANLoss.nonSaturating, .leastSquares])
    func thePenaltyShrinksTheDiscriminatorsInputWeights(loss: GANLoss) throws {
        let generator = ModelInstance(try lowerModel("input [1]\ndense 1"), seed: 1)
        generator.parameters.setValues(0, [0])
        generator.parameters.setValues(1, [0])
        let head = loss == .leastSquares ? "dense 1" : "dense 1, activation: sigmoid"
        let discriminator = ModelInstance(try lowerModel("input [1]\n\(head)"), seed: 2)
        discriminator.parameters.setValues(0, [1])
        let data = Dataset(name: "zeros", featureShape: [1], features: [0, 0, 0, 0], targetShape: [], targets: [0, 0, 0, 0])
        let sgd = OptimizerSettings(kind: .sgd(momentum: 0, nesterov: false), learningRate: 1)
        let configuration = GANConfiguration(name: "pair", loss: loss, noise: .normal, generatorOptimizer: sgd,
                                             discriminatorOptimizer: sgd, discriminatorSteps: 1, realLabel: 1, epochs: 1,
                                             batchSize: 4, seed: 5, r1Penalty: 0.25)
        try GANTrainer(generator: generator, discriminator: discriminator, configuration: configuration).train(on: data, observer: nil)
        let weight = discriminator.parameters.values(0)[0]
        #expect(abs(weight - 0.75) <= 1e-5, "\(weight)")
    }
}
