// A training step in steady state allocates nothing: the executor's arena, the optimizer state
// and the batch buffers are all allocated before the first step.
//
// Counting starts at the first step, not before the setup: the setup's count varies by one from
// run to run (an array grown by appending in the executor's setup takes one or two reallocations
// depending on the usable size glibc's malloc returns, which depends on the heap's state, found by
// recording a backtrace per counted allocation), and would hide or fake a per-step allocation.

import Testing
import CAllocationCounter
import NNetIR
import NNetRuntime
import NNetKernels

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
    /// Allocations made by training one epoch over `samples` samples (batches of 32), from the
    /// first step to the end of the epoch.
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
        return try countAllocationsFromTheFirstStep(trainer) { try trainer.train(on: data, validation: nil, observer: nil) }
    }


    /// The same for a model whose GEMMs and Adam update are split over the thread pool (≥ 2 MFLOP
    /// per thread, ≥ 64k parameters): handing work to the pool's threads must not allocate either.
    func allocationsForOneParallelEpoch(samples: Int, model source: String, featureShape: [Int]) throws -> Int {
        let model = try lowerModel(source)
        let size = featureShape.reduce(1, *)
        var generator = SeededGenerator(seed: 2)
        let data = Dataset(name: "d", featureShape: featureShape, features: (0..<samples * size).map { _ in generator.normal() },
                           targetShape: [], targets: (0..<samples).map { Float($0 % 10) }, classCount: 10)
        let configuration = TrainingConfiguration(
            loss: .sparseCategoricalCrossEntropy,
            optimizer: OptimizerSettings(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 1e-3),
            epochs: 1, batchSize: 128, seed: 3, metrics: [.accuracy])
        let trainer = Trainer(instance: ModelInstance(model, seed: 1), configuration: configuration)
        return try countAllocationsFromTheFirstStep(trainer) { try trainer.train(on: data, validation: nil, observer: nil) }
    }

    /// An autoencoder's reconstruction loss: 128 x 784 sigmoid cross-entropies (or squared
    /// errors), enough to be cut into chunks summed over the pool.
    func allocationsForOneReconstructionEpoch(samples: Int, loss: LossKind) throws -> Int {
        let model = try lowerModel("input [784]\ndense 64, activation: relu\ndense 784, activation: sigmoid")
        var generator = SeededGenerator(seed: 4)
        let pixels = (0..<samples * 784).map { _ in generator.nextFloat() }
        let data = Dataset(name: "d", featureShape: [784], features: pixels, targetShape: [784], targets: pixels)
        let configuration = TrainingConfiguration(
            loss: loss, optimizer: OptimizerSettings(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 1e-3),
            epochs: 1, batchSize: 128, seed: 3, metrics: [.mae])
        let trainer = Trainer(instance: ModelInstance(model, seed: 1), configuration: configuration)
        return try countAllocationsFromTheFirstStep(trainer) { try trainer.train(on: data, validation: nil, observer: nil) }
    }

    @Test("chunked reconstruction losses allocate nothing", arguments: [LossKind.binaryCrossEntropy, .meanSquaredError])
    func reconstructionStepsAllocateNothing(loss: LossKind) throws {
        guard nnet_allocation_counting_available() != 0 else { return }
        // 2 steps against 6.
        try expectStepsAllocateNothing(few: 256, many: 128 * 6, extraSteps: 4) {
            try allocationsForOneReconstructionEpoch(samples: $0, loss: loss)
        }
    }

    /// Dense layers (GEMMs, Adam), and convolution, max and average pooling, upsampling and their
    /// gradients, each large enough at batch 128 to be split over the pool.
    static let parallelModels: [(source: String, featureShape: [Int])] = [
        ("input [256]\ndense 512, activation: relu\ndense 10, activation: softmax", [256]),
        ("""
         input [28, 28, 1]
         conv2d 8, kernel: 3, padding: same, activation: relu
         conv2d 32, kernel: 3, padding: same, activation: relu
         max_pool2d 2
         upsampling2d 2
         avg_pool2d 2
         flatten
         dense 10, activation: softmax
         """, [28, 28, 1]),
    ]

    @Test("steps split over the thread pool allocate nothing",
          .enabled(if: ThreadPool.shared.threadCount > 1, "the machine has one CPU: nothing is split"), arguments: [0, 1])
    func parallelTrainingStepsAllocateNothing(model index: Int) throws {
        guard nnet_allocation_counting_available() != 0 else { return }
        let (source, shape) = Self.parallelModels[index]
        // 2 steps against 6.
        try expectStepsAllocateNothing(few: 256, many: 128 * 6, extraSteps: 4) {
            try allocationsForOneParallelEpoch(samples: $0, model: source, featureShape: shape)
        }
    }

    @Test(arguments: [false, true])
    func trainingStepsAllocateNothing(reference: Bool) throws {
        #if os(Linux)
        // The counter interposes glibc's malloc; without it this test would measure nothing.
        #expect(nnet_allocation_counting_available() != 0, "malloc interposition is not active")
        #endif
        guard nnet_allocation_counting_available() != 0 else { return }
        // 2 steps against 40.
        try expectStepsAllocateNothing(few: 64, many: 64 * 20, extraSteps: 38) {
            try allocationsForOneEpoch(samples: $0, reference: reference)
        }
    }
}

/// Runs `training` (which calls `trainer`) and counts the allocations from the first step on:
/// the trainer asks `stopRequested` before every step, on the training thread.
func countAllocationsFromTheFirstStep(_ trainer: Trainer, _ training: () throws -> Void) rethrows -> Int {
    try countAllocationsFromTheFirstStep(installStopCheck: { trainer.stopRequested = $0 }, training)
}

/// The same for any trainer: `installStopCheck` hands it the closure to ask before every step.
func countAllocationsFromTheFirstStep(installStopCheck: (@escaping () -> Bool) -> Void,
                                      _ training: () throws -> Void) rethrows -> Int {
    let started = StepCounterStart()
    installStopCheck {
        if !started.value {
            started.value = true
            nnet_allocation_counting_begin()
        }
        return false
    }
    try training()
    let count = nnet_allocation_counting_end()
    #expect(started.value, "no step was taken")
    return count
}

/// Counts an epoch of `few` samples twice (the first warms up lazily initialised runtime state:
/// type metadata, the thread pool) and one of `many`, and expects the same count: the
/// `extraSteps` steps more made no allocation. The count must not be 0 (the epoch's end, its
/// report, allocates): else the counter saw nothing.
func expectStepsAllocateNothing(few: Int, many: Int, extraSteps: Int, sourceLocation: SourceLocation = #_sourceLocation,
                                _ epoch: (_ samples: Int) throws -> Int) rethrows {
    _ = try epoch(few)
    let fewCount = try epoch(few)
    let manyCount = try epoch(many)
    #expect(fewCount > 0, "the counter must see the epoch's end (its report)", sourceLocation: sourceLocation)
    #expect(manyCount == fewCount, "\(extraSteps) more steps made \(manyCount - fewCount) more allocations",
            sourceLocation: sourceLocation)
}

/// Whether counting has started (a class, so the trainer's closure can set it).
final class StepCounterStart {
    var value = false
}
