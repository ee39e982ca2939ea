// A training step in steady state allocates nothing: the executor's arena, the optimizer state
// and the batch buffers are all allocated before the first step.

import Testing
import CAllocationCounter
import NNetIR
import NNetRuntime

/// Unoptimised Swift heap-allocates temporaries (closure contexts, array buffers) that optimised
/// builds keep on the stack, so the promise is about release builds, which the test suite runs as
/// (`swift test -c release`, see the README).
#if DEBUG
let isOptimizedBuild = false
#else
let isOptimizedBuild = true
#endif

@Suite(.serialized, .enabled(if: isOptimizedBuild, "allocation counts hold for optimised builds"))
struct AllocationTests {
    /// Allocations made by training one epoch over `samples` samples (batches of 32).
    func allocationsForOneEpoch(samples: Int, reference: Bool) throws -> Int {
        let model = try lowerModel("input [64]\ndense 32, activation: relu\ndropout 0.1\ndense 10, activation: softmax")
        var generator = SeededGenerator(seed: 1)
        let data = Dataset(name: "d", featureShape: [64], features: (0..<samples * 64).map { _ in generator.normal() },
                           targetShape: [], targets: (0..<samples).map { Float($0 % 10) }, classCount: 10)
        let instance = ModelInstance(model, seed: 1)
        let configuration = TrainingConfiguration(
            loss: .sparseCategoricalCrossEntropy,
            optimizer: OptimizerSettings(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 1e-3),
            epochs: 1, batchSize: 32, seed: 3, metrics: [.accuracy])
        let trainer = Trainer(instance: instance, configuration: configuration, useReference: reference)
        nnet_allocation_counting_begin()
        try trainer.train(on: data, validation: nil, observer: nil)
        return nnet_allocation_counting_end()
    }

    @Test(arguments: [false, true])
    func trainingStepsAllocateNothing(reference: Bool) throws {
        #if os(Linux)
        // The counter interposes glibc's malloc; without it this test would measure nothing.
        #expect(nnet_allocation_counting_available() != 0, "malloc interposition is not active")
        #endif
        guard nnet_allocation_counting_available() != 0 else { return }
        // Warm up lazily initialised runtime state (type metadata, thread pool).
        _ = try allocationsForOneEpoch(samples: 64, reference: reference)
        let few = try allocationsForOneEpoch(samples: 64, reference: reference)      // 2 steps
        let many = try allocationsForOneEpoch(samples: 64 * 20, reference: reference) // 40 steps
        #expect(few > 0, "the counter must see the setup's allocations")
        #expect(many == few, "38 more steps made \(many - few) more allocations")
    }
}
