// The supervised training loop: batches, forward + backward + optimizer per step, running
// metrics, validation after each epoch, NaN/Inf detection. Stage: runtime (training).

import Foundation
import NNetIR
import NNetKernels

public struct TrainingConfiguration: Sendable {
    public var loss: LossKind
    public var optimizer: OptimizerSettings
    public var epochs: Int
    /// Samples per step; nil means the whole dataset (full-batch gradient descent).
    public var batchSize: Int?
    public var seed: UInt64
    public var shuffle: Bool
    public var metrics: [Metric]

    public init(loss: LossKind, optimizer: OptimizerSettings, epochs: Int, batchSize: Int?, seed: UInt64,
                shuffle: Bool = true, metrics: [Metric] = []) {
        self.loss = loss
        self.optimizer = optimizer
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.shuffle = shuffle
        self.metrics = metrics
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

public protocol TrainingObserver: AnyObject {
    /// Whether `stepFinished` is wanted (a live display); building the report costs allocations.
    var wantsStepProgress: Bool { get }
    func stepFinished(_ progress: StepProgress)
    func epochFinished(_ report: EpochReport)
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

public final class Trainer {
    public let instance: ModelInstance
    public let configuration: TrainingConfiguration
    public let useReference: Bool

    public init(instance: ModelInstance, configuration: TrainingConfiguration, useReference: Bool = false) {
        self.instance = instance
        self.configuration = configuration
        self.useReference = useReference
    }

    /// Trains for the configured epochs. Returns the last epoch's report.
    @discardableResult
    public func train(on data: Dataset, validation: Dataset?, observer: TrainingObserver?) throws -> EpochReport? {
        let model = instance.model
        let batch = min(configuration.batchSize ?? data.count, data.count)
        let graph = GraphBuilder.training(model, loss: configuration.loss, targetShape: data.targetShape)
        let executor = Executor(graph: graph, batchCapacity: batch, parameters: instance.parameters,
                                seed: configuration.seed &+ 1, useReference: useReference)
        let optimizer = Optimizer(configuration.optimizer, parameters: instance.parameters)
        let gradients = graph.parameterGradients.map { UnsafePointer(executor.buffer($0)) }
        var batcher = try Batcher(dataset: data, batchSize: batch, shuffle: configuration.shuffle, seed: configuration.seed)
        // Continue the epoch numbering of earlier training, so each epoch gets its own order.
        batcher.seek(to: BatchCursor(epoch: instance.epochsTrained, batchIndex: 0))
        let outputColumns = model.outputShape.last ?? 1
        let steps = batcher.batchesPerEpoch
        var lastReport: EpochReport?

        for epoch in 1...max(configuration.epochs, 1) where configuration.epochs > 0 {
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum: Double = 0
            var metricSums = [Double](repeating: 0, count: configuration.metrics.count)
            var seen = 0
            for step in 1...steps {
                let rows = batcher.next(features: executor.buffer(graph.input), targets: executor.buffer(graph.target!))
                executor.run(rows: rows)
                let loss = executor.loss
                guard loss.isFinite else {
                    throw TrainingError.nonFinite(model: model.name, epoch: instance.epochsTrained + 1, step: step, value: loss)
                }
                optimizer.apply(gradients: gradients)
                lossSum += Double(loss) * Double(rows)
                seen += rows
                let outputRows = rows * elementCount(Array(model.outputShape.dropLast()))
                for (i, metric) in configuration.metrics.enumerated() {
                    metricSums[i] += Metric.batchTotal(metric, outputs: executor.buffer(graph.output),
                                                       targets: executor.buffer(graph.target!), rows: outputRows,
                                                       columns: outputColumns, classLabels: data.hasClassLabels,
                                                       threshold: graph.binaryThreshold)
                }
                if let observer, observer.wantsStepProgress {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    observer.stepFinished(StepProgress(
                        model: model.name, epoch: instance.epochsTrained + 1, epochs: instance.epochsTrained + configuration.epochs - epoch + 1,
                        step: step, steps: steps, loss: lossSum / Double(seen),
                        metrics: zip(configuration.metrics, metricSums).map { ($0.rawValue, $1 / Double(seen)) },
                        samplesPerSecond: Double(seen) / max(elapsed, 1e-9), elapsed: elapsed))
                }
            }
            instance.epochsTrained += 1
            let trainingSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            var validationResults: [(name: String, value: Double)]?
            if let validation {
                let result = try Evaluation.evaluate(instance, on: validation, loss: configuration.loss,
                                                 metrics: configuration.metrics, useReference: useReference)
                validationResults = [("loss", result.loss)] + result.metrics
            }
            let report = EpochReport(
                model: model.name, epoch: instance.epochsTrained, epochs: instance.epochsTrained + configuration.epochs - epoch,
                loss: lossSum / Double(seen), metrics: zip(configuration.metrics, metricSums).map { ($0.rawValue, $1 / Double(seen)) },
                validation: validationResults, seconds: trainingSeconds, samples: seen)
            observer?.epochFinished(report)
            lastReport = report
        }
        return lastReport
    }
}
