// Stopping training between any two steps and resuming from the checkpoint gives bitwise the
// same epochs and weights as never stopping (dropout, Adam, a short last batch); clipping in the
// optimizer. Stage: runtime (checkpoint tests).

import Foundation
import Testing
import NNetIR
import NNetRuntime

/// Records every epoch report and the checkpoints written.
final class RecordingObserver: TrainingObserver {
    var epochs: [EpochReport] = []
    var saved: [String] = []
    var skipped: [NumericalFault] = []
    var wantsStepProgress: Bool { false }
    func stepFinished(_ progress: StepProgress) {}
    func epochFinished(_ report: EpochReport) { epochs.append(report) }
    func trainingEvent(_ event: TrainingEvent) {
        switch event {
        case .checkpointSaved(let path, _, _): saved.append(path)
        case .stepSkipped(let fault): skipped.append(fault)
        case .checkpointFailed: break
        }
    }
}

@Suite struct ResumeTests {
    static let layers = "input [3]\nh: dense 6, activation: relu\ndropout 0.25\ndense 3, activation: softmax"

    /// 21 samples in batches of 5: four full batches and one of 1 per epoch.
    static func data() -> Dataset {
        var generator = SeededGenerator(seed: 5)
        return Dataset(name: "d", featureShape: [3], features: (0..<63).map { _ in generator.normal() },
                       targetShape: [], targets: (0..<21).map { Float($0 % 3) }, classCount: 3)
    }

    static func configuration(_ directory: String?, epochs: Int = 3) -> TrainingConfiguration {
        TrainingConfiguration(
            loss: .sparseCategoricalCrossEntropy,
            optimizer: OptimizerSettings(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 0.05),
            epochs: epochs, batchSize: 5, seed: 9, metrics: [.accuracy],
            checkpoint: directory.map { CheckpointPolicy(directory: $0, everyEpochs: 1, keep: 2) })
    }

    static func weights(_ instance: ModelInstance) -> [[UInt32]] {
        instance.parameters.infos.indices.map { instance.parameters.values($0).map(\.bitPattern) }
    }

    @Test(arguments: [0, 1, 4, 5, 6, 12, 14])
    func interruptedAndResumedEqualsUninterrupted(stopAfter steps: Int) throws {
        let model = try lowerModel(Self.layers)
        let reference = ModelInstance(model, seed: 1)
        let straight = RecordingObserver()
        try Trainer(instance: reference, configuration: Self.configuration(nil)).train(on: Self.data(), validation: nil, observer: straight)

        let directory = checkpointTemporaryDirectory()
        let first = ModelInstance(model, seed: 1)
        let interrupted = Trainer(instance: first, configuration: Self.configuration(directory))
        var calls = 0
        interrupted.stopRequested = {
            calls += 1
            return calls > steps
        }
        let before = RecordingObserver()
        let stop = #expect(throws: TrainingInterrupted.self) {
            try interrupted.train(on: Self.data(), validation: nil, observer: before)
        }
        let path = try #require(stop?.checkpoint)
        #expect(stop?.epoch == steps / 5 + 1 && stop?.step == steps % 5)

        // A new process: fresh weights, state only from the file.
        let second = ModelInstance(model, seed: 77)
        let after = RecordingObserver()
        try Trainer(instance: second, configuration: Self.configuration(directory))
            .train(on: Self.data(), validation: nil, observer: after, resumingFrom: try CheckpointFile.read(from: path))
        let resumed = before.epochs + after.epochs
        #expect(resumed.map(\.epoch) == [1, 2, 3])
        #expect(resumed.map(\.loss.bitPattern) == straight.epochs.map(\.loss.bitPattern))
        #expect(resumed.map { $0.metrics[0].value } == straight.epochs.map { $0.metrics[0].value })
        #expect(Self.weights(second) == Self.weights(reference))
        #expect(second.epochsTrained == 3)
    }

    @Test func checkpointsFollowTheScheduleAndKeep() throws {
        let directory = checkpointTemporaryDirectory()
        var configuration = Self.configuration(directory, epochs: 4)
        configuration.checkpoint = CheckpointPolicy(directory: directory, everyEpochs: 3, everySteps: 4, keep: 3)
        let observer = RecordingObserver()
        try Trainer(instance: ModelInstance(try lowerModel(Self.layers), seed: 1), configuration: configuration)
            .train(on: Self.data(), validation: nil, observer: observer)
        // 20 steps: every 4th (5) + epoch 3 + the last epoch = 7 files written, 3 kept.
        #expect(observer.saved.count == 7)
        let files = try CheckpointDirectory(directory, create: false).files()
        #expect(files.map(\.path) == Array(observer.saved.suffix(3)))
        let last = try CheckpointFile.read(from: observer.saved.last!)
        #expect(last.position == Checkpoint.Position(epochsBefore: 0, epochsDone: 4, batchIndex: 0, stepsDone: 20))
    }

    @Test func refusesAnotherOptimizersState() throws {
        let directory = checkpointTemporaryDirectory()
        let model = try lowerModel(Self.layers)
        try Trainer(instance: ModelInstance(model, seed: 1), configuration: Self.configuration(directory, epochs: 1))
            .train(on: Self.data(), validation: nil, observer: nil)
        let checkpoint = try #require(try CheckpointDirectory(directory, create: false).newest().found?.checkpoint)
        var sgd = Self.configuration(directory)
        sgd.optimizer = OptimizerSettings(kind: .sgd(momentum: 0.9, nesterov: false), learningRate: 0.1)
        #expect(throws: CheckpointError.self) {
            try Trainer(instance: ModelInstance(model, seed: 1), configuration: sgd)
                .train(on: Self.data(), validation: nil, observer: nil, resumingFrom: checkpoint)
        }
    }
}

@Suite struct GradientClippingTests {
    /// One SGD step with lr 1 from zero weights: the weights become minus the clipped gradient.
    func clippedStep(_ gradient: [Float], clipNorm: Float? = nil, clipValue: Float? = nil) throws -> [Float] {
        let model = try lowerModel("input [4]\ndense 1, bias: false")
        let store = ParameterStore(model.parameters)
        let optimizer = Optimizer(OptimizerSettings(kind: .sgd(momentum: 0, nesterov: false), learningRate: 1,
                                                    clipNorm: clipNorm, clipValue: clipValue), parameters: store)
        var buffer = gradient
        buffer.withUnsafeMutableBufferPointer { optimizer.apply(gradients: [UnsafePointer($0.baseAddress!)]) }
        return store.values(0).map { -$0 }
    }

    @Test func clipNormScalesTheGlobalNorm() throws {
        let clipped = try clippedStep([3, 4, 0, 0], clipNorm: 1)  // norm 5
        #expect(abs(clipped[0] - 0.6) < 1e-6 && abs(clipped[1] - 0.8) < 1e-6 && clipped[2] == 0)
        #expect(try clippedStep([0.3, 0.4, 0, 0], clipNorm: 1) == [0.3, 0.4, 0, 0], "below the limit: unchanged")
    }

    @Test func clipValueClampsEachElement() throws {
        #expect(try clippedStep([3, -4, 0.25, -0.5], clipValue: 0.5) == [0.5, -0.5, 0.25, -0.5])
        // Value first, then norm: [0.5, 0.5] has norm √0.5 > 0.5.
        let both = try clippedStep([3, 4, 0, 0], clipNorm: 0.5, clipValue: 0.5)
        #expect(abs(both[0] - 0.5 / Float(2).squareRoot()) < 1e-6 && abs(both[1] - both[0]) < 1e-7)
    }
}
