// batch_norm in adversarial training: the discriminator sees real and generated samples as
// separate batches, only its own step moves its running statistics (not the generator step
// through it), only the generator's own step moves the generator's, and sampling runs in
// inference mode. Instance noise reaches both of the discriminator's batches with the configured
// variance and falls linearly to 0.

import Foundation
import Testing
import NNetIR
import NNetRuntime

@Suite struct GANTrainerTests {
    /// 4 real samples × 2 features, their per-feature mean and biased variance.
    static let real: [Float] = [1, 10, 3, 20, 5, 30, 7, 60]
    static let realMean: [Float] = [4, 30]
    static let realVariance: [Float] = [5, 350]

    static func configuration(batch: Int, epochs: Int) -> GANConfiguration {
        let adam = OptimizerSettings(kind: .adam(beta1: 0.5, beta2: 0.999, epsilon: 1e-7), learningRate: 0.01)
        return GANConfiguration(name: "pair", loss: .nonSaturating, noise: .normal, generatorOptimizer: adam,
                                discriminatorOptimizer: adam, discriminatorSteps: 1, realLabel: 1, epochs: epochs,
                                batchSize: batch, seed: 3)
    }

    func values(_ instance: ModelInstance, _ name: String) -> [Float] {
        instance.parameters.values(instance.model.parameters.map(\.name).firstIndex(of: name)!)
    }

    @Test(arguments: [false, true])
    func runningStatisticsMoveOnlyInEachModelsOwnStep(reference: Bool) throws {
        // A generator with zero dense weights makes every generated value exactly 0.5 (sigmoid of
        // a normalised 0), so each batch's statistics are known: one step of training then gives
        // running statistics that tell which passes moved them.
        let generator = ModelInstance(try lowerModel("""
            input [2]
            dense 2
            gbn: batch_norm momentum: 0.5
            activation sigmoid
            """), seed: 1)
        for (index, parameter) in generator.model.parameters.enumerated() where parameter.name.hasPrefix("dense") {
            generator.parameters.setValues(index, [Float](repeating: 0, count: parameter.shape.reduce(1, *)))
        }
        let discriminator = ModelInstance(try lowerModel("""
            input [2]
            dbn: batch_norm momentum: 0.5
            dense 1, activation: sigmoid
            """), seed: 2)
        let data = Dataset(name: "d", featureShape: [2], features: Self.real, targetShape: [], targets: [0, 0, 0, 0])
        let trainer = GANTrainer(generator: generator, discriminator: discriminator,
                                 configuration: Self.configuration(batch: 4, epochs: 1), useReference: reference)
        try trainer.train(on: data, observer: nil)

        // Discriminator: from (0, 1), the real batch's statistics, then the generated batch's
        // (mean 0.5, variance 0); a mixed batch, or the generator step, would give other values.
        let mean = values(discriminator, "dbn.moving_mean"), variance = values(discriminator, "dbn.moving_variance")
        for j in 0..<2 {
            #expect(abs(mean[j] - (0.25 * Self.realMean[j] + 0.25)) <= 1e-5 * Self.realMean[j], "\(mean)")
            #expect(abs(variance[j] - (0.25 + 0.25 * Self.realVariance[j])) <= 1e-5 * Self.realVariance[j], "\(variance)")
        }
        // Generator: its pre-normalisation values are all 0 (variance 0). Moved once (its own
        // step) from variance 1: 0.5; the forward pass feeding the discriminator step leaves them.
        #expect(values(generator, "gbn.moving_mean") == [0, 0])
        #expect(values(generator, "gbn.moving_variance") == [0.5, 0.5])
    }

    @Test func samplingUsesTheRunningStatistics() throws {
        let generator = ModelInstance(try lowerModel("""
            input [3]
            dense 4
            batch_norm
            dense 2
            """), seed: 4)
        let discriminator = ModelInstance(try lowerModel("input [2]\ndense 1, activation: sigmoid"), seed: 5)
        var random = SeededGenerator(seed: 9)
        let features = (0..<64).map { _ in random.normal() }
        let data = Dataset(name: "d", featureShape: [2], features: features, targetShape: [], targets: [Float](repeating: 0, count: 32))
        let trainer = GANTrainer(generator: generator, discriminator: discriminator, configuration: Self.configuration(batch: 8, epochs: 2))
        try trainer.train(on: data, observer: nil)
        // One sample at a time: in training mode a batch of one normalises to beta whatever the
        // noise, so two draws would be equal; with the running statistics they differ.
        let first = trainer.sample(count: 1, seed: 1), second = trainer.sample(count: 1, seed: 2)
        #expect(first.count == 2 && first != second, "\(first) \(second)")
        // A batch of samples is each sample drawn alone: nothing depends on the batch.
        let both = GANTrainer.sample(generator, noise: .normal, count: 2, seed: 1)
        let alone = GANTrainer.sample(generator, noise: .normal, count: 1, seed: 1)
        #expect(Array(both.prefix(2)) == alone)
    }

    // MARK: - Instance noise

    @Test func instanceNoiseFallsLinearlyToZero() {
        #expect(GANTrainer.instanceNoiseLevel(0.2, step: 0, of: 10) == 0.2)
        #expect(GANTrainer.instanceNoiseLevel(0.2, step: 5, of: 10) == 0.1)
        #expect(abs(GANTrainer.instanceNoiseLevel(0.2, step: 9, of: 10) - 0.02) <= 1e-7)
        #expect(GANTrainer.instanceNoiseLevel(0.2, step: 10, of: 10) == 0)
        #expect(GANTrainer.instanceNoiseLevel(0, step: 0, of: 10) == 0)
    }

    /// Real samples and generated ones are all exactly 0 and the discriminator is D(x) = x
    /// (least squares, SGD with lr 1), so one step moves its weight by minus the gradient
    /// 2·mean((x_r − 1)·x_r) + 2·mean(x_f·x_f) over the noisy inputs x = σ·n: about 4σ² with noise,
    /// exactly 0 without. 4096 samples: the estimate's standard deviation is about 0.02 at σ = 0.5.
    @Test(arguments: [(Float(0), Float(0)), (0.5, 1), (0.25, 0.25)])
    func instanceNoiseReachesBothDiscriminatorBatches(sigma: Float, expected: Float) throws {
        let generator = ModelInstance(try lowerModel("input [1]\ndense 1"), seed: 1)
        let discriminator = ModelInstance(try lowerModel("input [1]\ndense 1"), seed: 2)
        for (index, parameter) in generator.model.parameters.enumerated() {
            generator.parameters.setValues(index, [Float](repeating: 0, count: parameter.shape.reduce(1, *)))
        }
        let weight = discriminator.model.parameters.firstIndex { $0.name.hasSuffix("weight") }!
        let bias = discriminator.model.parameters.firstIndex { $0.name.hasSuffix("bias") }!
        discriminator.parameters.setValues(weight, [1])
        discriminator.parameters.setValues(bias, [0])
        let count = 4096
        let data = Dataset(name: "zeros", featureShape: [1], features: [Float](repeating: 0, count: count), targetShape: [],
                           targets: [Float](repeating: 0, count: count))
        let sgd = OptimizerSettings(kind: .sgd(momentum: 0, nesterov: false), learningRate: 1)
        let configuration = GANConfiguration(name: "pair", loss: .leastSquares, noise: .normal, generatorOptimizer: sgd,
                                             discriminatorOptimizer: sgd, discriminatorSteps: 1, realLabel: 1, epochs: 1,
                                             batchSize: count, seed: 5, instanceNoise: sigma)
        try GANTrainer(generator: generator, discriminator: discriminator, configuration: configuration).train(on: data, observer: nil)
        let moved = 1 - discriminator.parameters.values(weight)[0]
        if sigma == 0 {
            #expect(moved == 0)
        } else {
            #expect(abs(moved - expected) <= 0.1 * expected, "weight moved by \(moved), expected about \(expected)")
        }
    }
}
