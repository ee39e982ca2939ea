// A GAN's `generator_ema`: the warm-up decay, the average after a few steps against the same
// formula applied by hand to the raw weights each step produced, sampling from the average, the
// raw weights coming back for the next `train`, and a restart when weights were loaded between.

import Foundation
import Testing
import NNetIR
import NNetRuntime

@Suite struct GeneratorAverageTests {
    @Test func theWarmUpDecayIsTheSmallerOfDecayAndOnePlusTOverTenPlusT() {
        #expect(GeneratorAverage.decay(0.999, atUpdate: 0) == 0.1)
        #expect(GeneratorAverage.decay(0.999, atUpdate: 1) == Float(2) / 11)
        #expect(GeneratorAverage.decay(0.999, atUpdate: 90) == 0.91)
        #expect(GeneratorAverage.decay(0.999, atUpdate: 8_991) == 0.999)
        #expect(GeneratorAverage.decay(0.999, atUpdate: 100_000) == 0.999)
        #expect(GeneratorAverage.decay(0.15, atUpdate: 1) == 0.15)
    }

    /// G(z) = w·z + b against D(x) = sigmoid(v·x + c); 8 samples, batch 4, 2 epochs: 4 generator steps.
    static func pairing(decay: Float) throws -> (GANTrainer, Dataset) {
        let generator = ModelInstance(try lowerModel("input [1]\ndense 1"), seed: 1)
        let discriminator = ModelInstance(try lowerModel("input [1]\ndense 1, activation: sigmoid"), seed: 2)
        let data = Dataset(name: "d", featureShape: [1], features: [1, 2, 3, 4, 5, 6, 7, 8], targetShape: [],
                           targets: [Float](repeating: 0, count: 8))
        let sgd = OptimizerSettings(kind: .sgd(momentum: 0, nesterov: false), learningRate: 0.5)
        let configuration = GANConfiguration(name: "pair", loss: .nonSaturating, noise: .normal, generatorOptimizer: sgd,
                                             discriminatorOptimizer: sgd, discriminatorSteps: 1, realLabel: 1, epochs: 2,
                                             batchSize: 4, seed: 5, generatorAverageDecay: decay)
        return (GANTrainer(generator: generator, discriminator: discriminator, configuration: configuration), data)
    }

    static func weights(_ instance: ModelInstance) -> [Float] {
        instance.parameters.infos.indices.flatMap { instance.parameters.values($0) }
    }

    /// The raw weights before each step are read where the trainer asks whether to stop; those
    /// after the last step, when a second `train` takes them back (and is stopped at once).
    /// Decay 0.15: the warm-up gives 0.1 at the first update, then the decay caps it (2/11 > 0.15).
    @Test func theAverageIsTheFormulaAppliedAfterEveryGeneratorStep() throws {
        let (trainer, data) = try Self.pairing(decay: 0.15)
        var raw: [[Float]] = []
        trainer.stopRequested = { raw.append(Self.weights(trainer.generator)); return false }
        try trainer.train(on: data, observer: nil)
        #expect(raw.count == 4)
        trainer.stopRequested = { raw.append(Self.weights(trainer.generator)); return true }
        #expect(throws: TrainingInterrupted.self) { try trainer.train(on: data, observer: nil) }
        #expect(raw.count == 5 && raw[4] != raw[3] && raw[1] != raw[0], "the generator should have moved: \(raw)")

        var average = raw[0]
        for (t, decay) in [Float(0.1), 0.15, 0.15, 0.15].enumerated() {
            for i in average.indices { average[i] = average[i] - (1 - decay) * (average[i] - raw[t + 1][i]) }
        }
        #expect(Self.weights(trainer.generator) == average, "the generator holds the average between statements")
        #expect(Self.weights(trainer.generatorAverage!.averaged) == average)
        #expect(trainer.generatorAverage!.updates == 4)
        // Each update lies between the old average and the new weights, so the average stays in their hull.
        for i in average.indices {
            #expect(average[i] >= raw.map { $0[i] }.min()! && average[i] <= raw.map { $0[i] }.max()!)
        }
    }

    @Test func samplesComeFromTheAverageAndTrainingFromTheRawWeights() throws {
        let (trainer, data) = try Self.pairing(decay: 0.5)
        var raw: [[Float]] = []
        trainer.stopRequested = { raw.append(Self.weights(trainer.generator)); return false }
        try trainer.train(on: data, observer: nil)
        let average = Self.weights(trainer.generator)
        // A fresh generator given the average draws what the trainer draws.
        let copy = ModelInstance(trainer.generator.model, seed: 9)
        for index in copy.parameters.infos.indices { copy.parameters.setValues(index, trainer.generator.parameters.values(index)) }
        #expect(trainer.sample(count: 5, seed: 3) == GANTrainer.sample(copy, noise: .normal, count: 5, seed: 3))
        // A second statement starts from the raw weights (not the average) and continues the average.
        raw = []
        try trainer.train(on: data, observer: nil)
        #expect(raw.count == 4 && raw[0] != average)
        #expect(trainer.generatorAverage!.updates == 8)
    }

    /// Weights loaded into the generator between two statements are what training continues
    /// from; the average restarts at them.
    @Test func weightsLoadedBetweenStatementsRestartTheAverage() throws {
        let (trainer, data) = try Self.pairing(decay: 0.5)
        try trainer.train(on: data, observer: nil)
        trainer.generator.parameters.setValues(0, [0.25])
        trainer.generator.parameters.setValues(1, [-0.5])
        var first: [Float] = []
        trainer.stopRequested = { first = Self.weights(trainer.generator); return true }
        #expect(throws: TrainingInterrupted.self) { try trainer.train(on: data, observer: nil) }
        #expect(first == [0.25, -0.5])
        #expect(trainer.generatorAverage!.updates == 0)
        #expect(Self.weights(trainer.generator) == [0.25, -0.5])
    }
}
