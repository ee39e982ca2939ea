// Recurrent layers keep the steady-state promise: their time loops, BPTT and embedding lookups
// allocate nothing per step. An extension of AllocationTests: same counter, same serialized suite.

import Testing
import CAllocationCounter
import NNetIR
import NNetRuntime

extension AllocationTests {
    static let recurrentModels = [
        "input [12, 1]\nlstm 16\ndense 4, activation: softmax",
        "input [12, 1]\ngru 16, return_sequences: true\nsimple_rnn 8\ndense 4, activation: softmax",
        "input [12]\nembedding 4, 3\ngru 8\ndense 4, activation: softmax",
    ]

    /// Allocations made by training one epoch of `samples` sequences of 12 steps (batches of 32).
    func recurrentAllocationsForOneEpoch(_ layers: String, samples: Int, reference: Bool) throws -> Int {
        let model = try lowerModel(layers)
        let labels = (0..<samples).map { Float($0 % 4) }
        let features = (0..<samples * 12).map { Float(($0 * 7) % 4) }
        let data = Dataset(name: "d", featureShape: model.inputShape, features: features, targetShape: [],
                           targets: labels, classCount: 4)
        let instance = ModelInstance(model, seed: 1)
        let configuration = TrainingConfiguration(
            loss: .sparseCategoricalCrossEntropy,
            optimizer: OptimizerSettings(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 1e-3),
            epochs: 1, batchSize: 32, seed: 3, metrics: [.accuracy])
        let trainer = Trainer(instance: instance, configuration: configuration, useReference: reference)
        return try countAllocationsFromTheFirstStep(trainer) { try trainer.train(on: data, validation: nil, observer: nil) }
    }

    @Test(arguments: recurrentModels, [false, true])
    func recurrentTrainingStepsAllocateNothing(layers: String, reference: Bool) throws {
        guard nnet_allocation_counting_available() != 0 else { return }
        try expectStepsAllocateNothing(few: 64, many: 64 * 20, extraSteps: 38) {
            try recurrentAllocationsForOneEpoch(layers, samples: $0, reference: reference)
        }
    }
}
