// Adversarial training keeps the steady-state promise too, with the R1 penalty and the
// generator's moving average (`generator_ema`) on: a step allocates nothing. An extension of
// AllocationTests: same counter, same serialized suite.

import Testing
import CAllocationCounter
import NNetIR
import NNetRuntime

extension AllocationTests {
    /// Allocations made by one epoch of a small GAN (batches of 16), from the first step on.
    func ganAllocationsForOneEpoch(samples: Int, averageDecay: Float) throws -> Int {
        let generator = ModelInstance(try lowerModel("input [4]\ndense 16, activation: relu\ndense 8, activation: sigmoid"), seed: 1)
        let discriminator = ModelInstance(try lowerModel("input [8]\ndense 16, activation: leaky_relu(0.2)\ndense 1, activation: sigmoid"),
                                          seed: 2)
        var random = SeededGenerator(seed: 4)
        let data = Dataset(name: "d", featureShape: [8], features: (0..<samples * 8).map { _ in random.uniform(0, 1) },
                           targetShape: [], targets: [Float](repeating: 0, count: samples))
        let adam = OptimizerSettings(kind: .adam(beta1: 0.5, beta2: 0.999, epsilon: 1e-8), learningRate: 2e-4)
        let configuration = GANConfiguration(name: "pair", loss: .nonSaturating, noise: .normal, generatorOptimizer: adam,
                                             discriminatorOptimizer: adam, discriminatorSteps: 1, realLabel: 1, epochs: 1,
                                             batchSize: 16, seed: 3, r1Penalty: 0.3, generatorAverageDecay: averageDecay)
        let trainer = GANTrainer(generator: generator, discriminator: discriminator, configuration: configuration)
        return try countAllocationsFromTheFirstStep(installStopCheck: { trainer.stopRequested = $0 }) {
            try trainer.train(on: data, observer: nil)
        }
    }

    @Test(arguments: [Float(0), 0.999])
    func ganTrainingStepsAllocateNothing(averageDecay: Float) throws {
        guard nnet_allocation_counting_available() != 0 else { return }
        _ = try ganAllocationsForOneEpoch(samples: 32, averageDecay: averageDecay)
        let few = try ganAllocationsForOneEpoch(samples: 32, averageDecay: averageDecay)        // 2 steps
        let many = try ganAllocationsForOneEpoch(samples: 16 * 20, averageDecay: averageDecay)  // 20 steps
        #expect(many == few, "18 more steps made \(many - few) more allocations")
    }
}
