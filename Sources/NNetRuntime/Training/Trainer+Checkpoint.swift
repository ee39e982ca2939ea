// The supervised loop's checkpoints: capturing the state between two steps, saving it on the
// schedule and on Ctrl-C, and restoring it to resume. Stage: runtime (training).

import NNetIR

extension SupervisedRun {
    /// Saves the current state; failures are reported to the observer, and training goes on.
    @discardableResult
    func save(epoch: Int, step: Int, observer: TrainingObserver?) -> Result<String, CheckpointError>? {
        guard let directory, let policy = configuration.checkpoint else { return nil }
        return directory.save(snapshot(), keep: policy.keep, report: { observer?.trainingEvent($0) },
                              saved: { .checkpointSaved(path: $0, epoch: epoch, step: step) })
    }

    func interruption(epoch: Int, observer: TrainingObserver?) -> TrainingInterrupted {
        TrainingInterrupted(model: model.name, epoch: epoch, step: position.batchIndex,
                            saved: save(epoch: epoch, step: position.batchIndex, observer: observer))
    }

    /// The state between two steps.
    func snapshot() -> Checkpoint {
        let state = optimizer.stateValues
        let store = trainer.instance.parameters
        return Checkpoint(
            modelHash: Fingerprint.model(model), settingsHash: Fingerprint.hash(settings: settings),
            layers: Fingerprint.layers(of: model), settings: settings, position: position, sums: sums,
            randomState: executor.randomState, optimizerKind: configuration.optimizer.kind.name,
            optimizerStep: state.step, optimizerState: state.values,
            parameters: store.infos.indices.map { Checkpoint.Tensor(name: store.infos[$0].name, shape: store.infos[$0].shape,
                                                                    values: store.values($0)) })
    }

    /// Loads a checkpoint's state. Throws CheckpointError when its parameters or optimizer state
    /// do not fit (callers check first, to explain; this guards the invariant).
    func restore(_ checkpoint: Checkpoint) throws {
        let problems = checkpoint.parameterMismatches(model)
        guard problems.isEmpty else {
            throw CheckpointError(path: directory?.path ?? "checkpoint", "does not fit the model: " + problems.joined(separator: "; "))
        }
        guard checkpoint.optimizerKind == configuration.optimizer.kind.name,
              checkpoint.optimizerState.count == optimizer.stateValues.values.count, checkpoint.randomState.count == 4 else {
            throw CheckpointError(path: directory?.path ?? "checkpoint",
                                  "its \(checkpoint.optimizerKind) state does not fit the \(configuration.optimizer.kind.name) optimizer")
        }
        try checkpoint.restoreWeights(into: trainer.instance)
        optimizer.restore(step: checkpoint.optimizerStep, values: checkpoint.optimizerState)
        executor.randomState = checkpoint.randomState
        position = checkpoint.position
        sums = checkpoint.sums
        if sums.metrics.count != configuration.metrics.count {
            sums.metrics = [Double](repeating: 0, count: configuration.metrics.count)
        }
        // A changed batch size keeps the samples already seen this epoch (rounded down to a batch).
        if let old = checkpoint.settings.first(where: { $0.key == "batch" })?.value, let oldBatch = Int(old),
           oldBatch != batcher.batchSize, position.batchIndex > 0 {
            position.batchIndex = position.batchIndex * oldBatch / batcher.batchSize
        }
        position.batchIndex = min(position.batchIndex, stepsPerEpoch)
    }
}

extension OptimizerKind {
    /// `gd`, `sgd` or `adam`: what the optimizer state's layout depends on.
    public var name: String {
        switch self {
        case .gd: return "gd"
        case .sgd(let momentum, _): return momentum == 0 ? "sgd" : "sgd with momentum"
        case .adam: return "adam"
        }
    }
}
