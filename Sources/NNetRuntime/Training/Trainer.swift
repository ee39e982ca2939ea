// The supervised training loop: batches, forward + backward + optimizer per step, running
// metrics, validation after each epoch. Every step is checked for NaN/Inf (loss, gradients,
// parameters); checkpoints are written on a schedule and on Ctrl-C, and a checkpoint resumes the
// loop exactly where it stopped. Stage: runtime (training).

import Foundation
import NNetIR
import NNetKernels

/// What to do with a step whose loss or gradients are not finite (`on_nan`).
public enum NonFinitePolicy: String, Sendable, CaseIterable {
    /// Stop and report where the first non-finite value appeared.
    case stop
    /// Skip the step's update and continue (the fault is reported as a warning).
    case skip
}

/// Where and how often checkpoints are written (`checkpoint`, `checkpoint_every`, `checkpoint_steps`, `keep`).
public struct CheckpointPolicy: Sendable, Equatable {
    public var directory: String
    /// After every this many epochs; the last epoch always gets one.
    public var everyEpochs: Int
    /// Also after every this many steps, when given.
    public var everySteps: Int?
    /// How many of the newest files to keep.
    public var keep: Int

    public init(directory: String, everyEpochs: Int = 1, everySteps: Int? = nil, keep: Int = 3) {
        self.directory = directory
        self.everyEpochs = everyEpochs
        self.everySteps = everySteps
        self.keep = keep
    }
}

public struct TrainingConfiguration: Sendable {
    public var loss: LossKind
    public var optimizer: OptimizerSettings
    public var epochs: Int
    /// Samples per step; nil means the whole dataset (full-batch gradient descent).
    public var batchSize: Int?
    public var seed: UInt64
    public var shuffle: Bool
    public var metrics: [Metric]
    public var onNonFinite: NonFinitePolicy
    public var checkpoint: CheckpointPolicy?

    public init(loss: LossKind, optimizer: OptimizerSettings, epochs: Int, batchSize: Int?, seed: UInt64,
                shuffle: Bool = true, metrics: [Metric] = [], onNonFinite: NonFinitePolicy = .stop,
                checkpoint: CheckpointPolicy? = nil) {
        self.loss = loss
        self.optimizer = optimizer
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.metrics = metrics
        self.onNonFinite = onNonFinite
        self.checkpoint = checkpoint
    }
}

/// Progress within an epoch, reported after every step (observers throttle their drawing).
public struct StepProgress: Sendable {
    public let model: String
    public let epoch: Int
    public let epochs: Int
    public let step: Int
    public let steps: Int
    /// Mean loss over the epoch's samples so far.
    public let loss: Double
    public let metrics: [(name: String, value: Double)]
    public let samplesPerSecond: Double
    public let elapsed: Double
}

public struct EpochReport: Sendable {
    public let model: String
    public let epoch: Int
    public let epochs: Int
    public let loss: Double
    public let metrics: [(name: String, value: Double)]
    /// Loss and metrics on the validation data, when given.
    public let validation: [(name: String, value: Double)]?
    public let seconds: Double
    public let samples: Int
}

/// Things that happen during training besides steps and epochs.
public enum TrainingEvent: Sendable {
    /// `step` is the number of steps completed in epoch `epoch` (all of them at its end).
    case checkpointSaved(path: String, epoch: Int, step: Int)
    /// Writing failed (disk full, permissions); training goes on and the older files stay.
    case checkpointFailed(CheckpointError)
    /// `on_nan: skip` skipped a step.
    case stepSkipped(NumericalFault)
}

public protocol TrainingObserver: AnyObject {
    /// Whether `stepFinished` is wanted (a live display); building the report costs allocations.
    var wantsStepProgress: Bool { get }
    func stepFinished(_ progress: StepProgress)
    func epochFinished(_ report: EpochReport)
    func trainingEvent(_ event: TrainingEvent)
}

extension TrainingObserver {
    public func trainingEvent(_ event: TrainingEvent) {}
}

public enum TrainingError: Error, CustomStringConvertible {
    /// The loss became NaN or infinite.
    case nonFinite(model: String, epoch: Int, step: Int, value: Float)

    public var description: String {
        switch self {
        case .nonFinite(let model, let epoch, let step, let value):
            return "training '\(model)' stopped: the loss became \(value) at epoch \(epoch), step \(step); try a smaller learning rate"
        }
    }
}

/// Training stopped between two steps because Ctrl-C or SIGTERM asked it to.
public struct TrainingInterrupted: Error, CustomStringConvertible, Sendable {
    public let model: String
    /// The epoch in progress (1-based, counting earlier training of the model).
    public let epoch: Int
    /// Steps completed in that epoch.
    public let step: Int
    /// The checkpoint written on the way out; nil when checkpointing is not configured or failed.
    public let checkpoint: String?
    /// Why the checkpoint could not be written, when it could not.
    public let saveError: String?

    public var description: String {
        "training '\(model)' interrupted at epoch \(epoch), after step \(step)"
    }

}

extension TrainingInterrupted {
    /// After the checkpoint written on the way out (`saved`: nil when none is configured).
    init(model: String, epoch: Int, step: Int, saved: Result<String, CheckpointError>?) {
        var path: String?, failure: String?
        switch saved {
        case .success(let written): path = written
        case .failure(let error): failure = error.description
        case nil: break
        }
        self.init(model: model, epoch: epoch, step: step, checkpoint: path, saveError: failure)
    }
}

public final class Trainer {
    public let instance: ModelInstance
    public let configuration: TrainingConfiguration
    public let useReference: Bool
    /// Asked between steps; true makes training save a checkpoint (when configured) and throw
    /// `TrainingInterrupted`. By default, whether Ctrl-C or SIGTERM arrived.
    public var stopRequested: () -> Bool = { Interruption.isRequested }

    public init(instance: ModelInstance, configuration: TrainingConfiguration, useReference: Bool = false) {
        self.instance = instance
        self.configuration = configuration
        self.useReference = useReference
    }

    /// Trains for the configured epochs, or for those left after `checkpoint`. Returns the last
    /// epoch's report (nil when no epoch was left). Throws `NumericalFault`, `TrainingInterrupted`,
    /// `CheckpointError` (a checkpoint that does not fit the model) or a DataError.
    @discardableResult
    public func train(on data: Dataset, validation: Dataset?, observer: TrainingObserver?,
                      resumingFrom checkpoint: Checkpoint? = nil) throws -> EpochReport? {
        let run = try SupervisedRun(self, data: data)
        if let checkpoint { try run.restore(checkpoint) }
        return try run.execute(validation: validation, observer: observer)
    }
}

// MARK: - The loop

/// One `train` call: the buffers its steps use and the state a checkpoint captures.
final class SupervisedRun {
    let trainer: Trainer
    let model: LoweredModel
    let configuration: TrainingConfiguration
    let data: Dataset
    let graph: Graph
    let executor: Executor
    let optimizer: Optimizer
    /// Parameters without a gradient (batch_norm's running statistics, -1) are not trained.
    let gradients: [UnsafePointer<Float>?]
    var batcher: Batcher
    let stepsPerEpoch: Int
    let directory: CheckpointDirectory?
    let settings: [(key: String, value: String)]
    var position: Checkpoint.Position
    var sums: Checkpoint.EpochSums
    /// Faults located by a replay so far; in skip mode only the first few are (each costs a step).
    var locatedFaults = 0

    init(_ trainer: Trainer, data: Dataset) throws {
        self.trainer = trainer
        self.data = data
        model = trainer.instance.model
        configuration = trainer.configuration
        let batch = min(configuration.batchSize ?? data.count, data.count)
        graph = GraphBuilder.training(model, loss: configuration.loss, targetShape: data.targetShape)
        executor = Executor(graph: graph, batchCapacity: batch, parameters: trainer.instance.parameters,
                            seed: configuration.seed &+ 1, useReference: trainer.useReference)
        optimizer = Optimizer(configuration.optimizer, parameters: trainer.instance.parameters)
        let executor = executor
        gradients = graph.parameterGradients.map { $0 < 0 ? nil : UnsafePointer(executor.buffer($0)) }
        batcher = try Batcher(dataset: data, batchSize: batch, shuffle: configuration.shuffle, seed: configuration.seed)
        stepsPerEpoch = batcher.batchesPerEpoch
        directory = try configuration.checkpoint.map { try CheckpointDirectory($0.directory) }
        settings = Fingerprint.settings(configuration, data: data)
        position = Checkpoint.Position(epochsBefore: trainer.instance.epochsTrained)
        sums = Checkpoint.EpochSums(metrics: configuration.metrics.count)
    }

    func execute(validation: Dataset?, observer: TrainingObserver?) throws -> EpochReport? {
        var lastReport: EpochReport?
        let totalEpochs = position.epochsBefore + configuration.epochs
        while position.epochsDone < configuration.epochs {
            let epoch = position.epochsBefore + position.epochsDone + 1
            // The order of epoch e depends only on (seed, e): seeking resumes mid-epoch exactly.
            batcher.seek(to: BatchCursor(epoch: epoch - 1, batchIndex: position.batchIndex))
            let start = DispatchTime.now().uptimeNanoseconds
            var lastFault: NumericalFault?
            while position.batchIndex < stepsPerEpoch {
                if trainer.stopRequested() { throw interruption(epoch: epoch, observer: observer) }
                if let fault = try step(epoch: epoch) {
                    lastFault = fault
                    observer?.trainingEvent(.stepSkipped(fault))
                }
                if let observer, observer.wantsStepProgress {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    let seen = Double(max(sums.samples, 1))
                    observer.stepFinished(StepProgress(
                        model: model.name, epoch: epoch, epochs: totalEpochs, step: position.batchIndex, steps: stepsPerEpoch,
                        loss: sums.loss / seen, metrics: zip(configuration.metrics, sums.metrics).map { ($0.rawValue, $1 / seen) },
                        samplesPerSecond: Double(sums.samples) / max(elapsed, 1e-9), elapsed: elapsed))
                }
                if let every = configuration.checkpoint?.everySteps, position.stepsDone % every == 0 {
                    save(epoch: epoch, step: position.batchIndex, observer: observer)
                }
            }
            if sums.samples == 0, var fault = lastFault {
                fault.wholeEpochSkipped = true
                throw fault
            }
            let report = try finishEpoch(epoch, of: totalEpochs, start: start, validation: validation)
            observer?.epochFinished(report)
            lastReport = report
            if let policy = configuration.checkpoint,
               position.epochsDone % policy.everyEpochs == 0 || position.epochsDone == configuration.epochs {
                save(epoch: epoch, step: stepsPerEpoch, observer: observer)
            }
        }
        return lastReport
    }

    /// Runs the next batch and applies the update. Returns the fault of a skipped step (on_nan:
    /// skip); throws it otherwise. The checks scan the loss, every gradient before the update and
    /// every parameter after it: O(parameters) per step, small beside the step's O(batch ×
    /// parameters), and allocation-free.
    func step(epoch: Int) throws -> NumericalFault? {
        let generator = executor.randomGenerator
        let rows = batcher.next(features: executor.buffer(graph.input), targets: executor.buffer(graph.target!))
        executor.run(rows: rows)
        position.batchIndex += 1
        position.stepsDone += 1
        let loss = executor.loss
        var found: (tensor: NumericalFault.Tensor, parameter: Int?, value: Float)?
        if !loss.isFinite {
            found = (.loss, nil, loss)
        } else if let index = firstNonFiniteGradient() {
            let gradient = gradients[index]!
            found = (.gradient, index, Kernels.firstNonFinite(gradient, count: graph.parameters[index].count).map { gradient[$0] } ?? .nan)
        }
        if let found {
            let fault = locate(found, rows: rows, generator: generator, epoch: epoch)
            guard configuration.onNonFinite == .skip else { throw fault }
            return fault
        }
        let updateFinite = optimizer.apply(gradients: gradients)
        if let fault = FaultLocator.checkParameters(model: model, parameters: trainer.instance.parameters, updateFinite: updateFinite,
                                                    gradients: gradients, epoch: epoch, step: position.batchIndex) {
            throw fault
        }
        sums.loss += Double(loss) * Double(rows)
        sums.samples += rows
        let outputRows = rows * model.outputRowsPerSample
        for (i, metric) in configuration.metrics.enumerated() {
            sums.metrics[i] += Metric.batchTotal(metric, outputs: executor.buffer(graph.output),
                                                 targets: executor.buffer(graph.target!), rows: outputRows,
                                                 columns: model.outputShape.last ?? 1, classLabels: data.hasClassLabels,
                                                 threshold: graph.binaryThreshold)
        }
        return nil
    }

    private func firstNonFiniteGradient() -> Int? {
        for (index, gradient) in gradients.enumerated() {
            guard let gradient, graph.parameters[index].isTrainable else { continue }
            if !Kernels.allFiniteInParallel(gradient, count: graph.parameters[index].count) { return index }
        }
        return nil
    }

    private func locate(_ found: (tensor: NumericalFault.Tensor, parameter: Int?, value: Float), rows: Int,
                        generator: SeededGenerator, epoch: Int) -> NumericalFault {
        let step = position.batchIndex
        locatedFaults += 1
        guard locatedFaults <= 3 else {
            return FaultLocator.unlocated(model: model, graph: graph, epoch: epoch, step: step, found: found)
        }
        return FaultLocator.fault(model: model, executor: executor, rows: rows, generator: generator,
                                  epoch: epoch, step: step, fallback: found)
    }

    private func finishEpoch(_ epoch: Int, of totalEpochs: Int, start: UInt64, validation: Dataset?) throws -> EpochReport {
        trainer.instance.epochsTrained = epoch
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var validationResults: [(name: String, value: Double)]?
        if let validation {
            let result = try Evaluation.evaluate(trainer.instance, on: validation, loss: configuration.loss,
                                                 metrics: configuration.metrics, useReference: trainer.useReference)
            validationResults = [("loss", result.loss)] + result.metrics
        }
        let seen = Double(max(sums.samples, 1))
        let report = EpochReport(
            model: model.name, epoch: epoch, epochs: totalEpochs, loss: sums.loss / seen,
            metrics: zip(configuration.metrics, sums.metrics).map { ($0.rawValue, $1 / seen) },
            validation: validationResults, seconds: seconds, samples: sums.samples)
        position.epochsDone += 1
        position.batchIndex = 0
        sums = Checkpoint.EpochSums(metrics: configuration.metrics.count)
        return report
    }
}
