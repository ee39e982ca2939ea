// Convolutional models in the training loop: batch_norm's running statistics follow the batches,
// are used by evaluation, are never touched by the optimizer and are saved with the weights; a
// CNN training step allocates nothing.

import Foundation
import Testing
import CAllocationCounter
import NNetIR
import NNetRuntime

@Suite struct ConvolutionTrainingTests {
    static let sgd = OptimizerSettings(kind: .sgd(momentum: 0, nesterov: false), learningRate: 0.1)

    /// x of 4 samples × 2 features, and their per-feature mean and biased variance.
    static let features: [Float] = [1, 10, 3, 20, 5, 30, 7, 60]
    static let mean: [Float] = [4, 30]
    static let variance: [Float] = [5, 350]

    @Test func trainingMovesTheRunningStatisticsAndTheOptimizerSkipsThem() throws {
        let model = try lowerModel("input [2]\nbn: batch_norm momentum: 0.75\ndense 1")
        let data = Dataset(name: "d", featureShape: [2], features: Self.features, targetShape: [1], targets: [1, 2, 3, 4])
        let instance = ModelInstance(model, seed: 1)
        let gammaBefore = instance.parameters.values(0)
        let trainer = Trainer(instance: instance, configuration: TrainingConfiguration(
            loss: .meanSquaredError, optimizer: Self.sgd, epochs: 1, batchSize: 4, seed: 1))
        try trainer.train(on: data, validation: nil, observer: nil)
        let names = model.parameters.map(\.name)
        let mean = instance.parameters.values(names.firstIndex(of: "bn.moving_mean")!)
        let variance = instance.parameters.values(names.firstIndex(of: "bn.moving_variance")!)
        for j in 0..<2 {
            // One step from (0, 1): 0.75·old + 0.25·batch, exactly what the forward pass wrote.
            #expect(abs(mean[j] - 0.25 * Self.mean[j]) <= 1e-5 * Self.mean[j])
            #expect(abs(variance[j] - (0.75 + 0.25 * Self.variance[j])) <= 1e-5 * Self.variance[j])
        }
        #expect(instance.parameters.values(0) != gammaBefore, "gamma is trained")
    }

    @Test(arguments: [false, true])
    func evaluationUsesTheRunningStatistics(reference: Bool) throws {
        let model = try lowerModel("input [2]\nbatch_norm epsilon: 0.01")
        let parameters = ParameterStore(model.parameters)
        parameters.setValues(0, [2, 3])          // gamma
        parameters.setValues(1, [0.5, -1])       // beta
        parameters.setValues(2, [1, 20])         // moving mean
        parameters.setValues(3, [4, 100])        // moving variance
        let graph = GraphBuilder.forward(model, training: false)
        let executor = Executor(graph: graph, batchCapacity: 4, parameters: parameters, useReference: reference)
        Self.features.withUnsafeBufferPointer { executor.buffer(graph.input).update(from: $0.baseAddress!, count: 8) }
        executor.run(rows: 4)
        let gamma: [Float] = [2, 3], beta: [Float] = [0.5, -1], mean: [Float] = [1, 20], variance: [Float] = [4, 100]
        for i in 0..<8 {
            let j = i % 2
            let expected = (Self.features[i] - mean[j]) / (variance[j] + 0.01).squareRoot() * gamma[j] + beta[j]
            #expect(abs(executor.buffer(graph.output)[i] - expected) <= 1e-5 * max(1, abs(expected)))
        }
        #expect(parameters.values(2) == [1, 20] && parameters.values(3) == [4, 100], "evaluation leaves them alone")
    }

    @Test func theWeightsFileKeepsTheRunningStatistics() throws {
        let model = try lowerModel("input [3, 3, 2]\nconv2d 2, kernel: 1\nbatch_norm")
        let saved = ParameterStore(model.parameters)
        saved.initialize(seed: 4)
        saved.setValues(4, [0.5, -0.25])
        saved.setValues(5, [2, 3])
        let path = NSTemporaryDirectory() + "nnet-batchnorm-\(UInt32.random(in: 0...UInt32.max)).weights"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WeightsFile.write(saved, to: path)
        let loaded = ParameterStore(model.parameters)
        try WeightsFile.read(from: path, into: loaded)
        for index in model.parameters.indices { #expect(loaded.values(index) == saved.values(index)) }
    }
}

@Suite(.serialized, .enabled(if: isOptimizedBuild, "allocation counts hold for optimised builds"))
struct ConvolutionAllocationTests {
    func allocationsForOneEpoch(samples: Int, reference: Bool) throws -> Int {
        let model = try lowerModel("""
            input [8, 8, 1]
            a: conv2d 4, kernel: 3, padding: same, activation: relu
            batch_norm
            conv2d 4, kernel: 3, padding: same
            add [a, conv2d_2]
            concat [add_1, input]
            max_pool2d 2
            conv2d_transpose 2, kernel: 2, stride: 2
            upsampling2d 2, interpolation: bilinear
            avg_pool2d 2
            layer_norm
            global_avg_pool2d
            dense 3, activation: softmax
            """)
        var generator = SeededGenerator(seed: 1)
        let data = Dataset(name: "d", featureShape: [8, 8, 1], features: (0..<samples * 64).map { _ in generator.normal() },
                           targetShape: [], targets: (0..<samples).map { Float($0 % 3) }, classCount: 3)
        let instance = ModelInstance(model, seed: 1)
        let configuration = TrainingConfiguration(
            loss: .sparseCategoricalCrossEntropy,
            optimizer: OptimizerSettings(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 1e-3),
            epochs: 1, batchSize: 16, seed: 3, metrics: [.accuracy])
        let trainer = Trainer(instance: instance, configuration: configuration, useReference: reference)
        return try countAllocationsFromTheFirstStep(trainer) { try trainer.train(on: data, validation: nil, observer: nil) }
    }

    @Test(arguments: [false, true])
    func convolutionalTrainingStepsAllocateNothing(reference: Bool) throws {
        guard nnet_allocation_counting_available() != 0 else { return }
        // 2 steps against 20.
        try expectStepsAllocateNothing(few: 32, many: 32 * 10, extraSteps: 18) {
            try allocationsForOneEpoch(samples: $0, reference: reference)
        }
    }
}
