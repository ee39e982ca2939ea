// The autoencoder loop's checkpoints: encoder and decoder weights with their optimizers' states,
// the noise and shuffling generator, both executors' dropout generators, the epoch's sample
// order, the position and the running sums, so a resumed run continues bitwise where the saved
// one stopped. Stage: runtime (training).

import NNetIR

extension VAETrainer {
    /// The settings that decide what training does, named as in the program.
    public static func settings(_ configuration: VAEConfiguration, data: Dataset) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = [
            ("kind", configuration.variational ? "vae" : "autoencoder"),
            ("reconstruction", configuration.reconstruction.rawValue),
        ]
        if configuration.variational { pairs.append(("beta", Fingerprint.format(configuration.beta))) }
        pairs += Fingerprint.settings(configuration.optimizer, prefix: "")
        pairs += Fingerprint.run(epochs: configuration.epochs, batch: configuration.batchSize, seed: configuration.seed,
                                 data: data)
        return pairs
    }

    /// Layer kinds and names and parameter shapes of both models.
    public static func modelHash(encoder: LoweredModel, decoder: LoweredModel) -> UInt64 {
        Fingerprint.hash(["autoencoder", String(Fingerprint.model(encoder)), String(Fingerprint.model(decoder))])
    }

    /// The state between two steps of the `train` in progress.
    func snapshot(data: Dataset) -> Checkpoint? {
        guard let run else { return nil }
        let settings = VAETrainer.settings(configuration, data: data)
        let e = run.encoderOptimizer.stateValues, d = run.decoderOptimizer.stateValues
        let kind = configuration.optimizer.kind.name
        return Checkpoint(
            modelHash: VAETrainer.modelHash(encoder: encoder.model, decoder: decoder.model),
            settingsHash: Fingerprint.hash(settings: settings),
            layers: Fingerprint.layers(of: encoder.model).map { "encoder \($0)" }
                + Fingerprint.layers(of: decoder.model).map { "decoder \($0)" },
            settings: settings, position: position, sums: Checkpoint.EpochSums(metrics: 0),
            randomState: random.stateWords, optimizerKind: kind, optimizerStep: e.step, optimizerState: e.values,
            parameters: Checkpoint.tensors(of: encoder.parameters),
            companion: Checkpoint.Companion(optimizerKind: kind, optimizerStep: d.step, optimizerState: d.values,
                                            parameters: Checkpoint.tensors(of: decoder.parameters)),
            extraRandomStates: [run.encoder.randomState, run.decoder.randomState],
            counters: [sums.reconstruction, sums.divergence], order: order)
    }

    /// Saves the current state; failures are reported to the observer, and training goes on.
    @discardableResult
    func save(data: Dataset, observer: VAEObserver?) -> Result<String, CheckpointError>? {
        guard let directory, let policy = configuration.checkpoint, let checkpoint = snapshot(data: data) else { return nil }
        let (epoch, step) = (epochsTrained + (position.batchIndex > 0 ? 1 : 0), position.batchIndex)
        return directory.save(checkpoint, keep: policy.keep, report: { observer?.trainingEvent($0) },
                              saved: { .checkpointSaved(path: $0, epoch: epoch, step: step) })
    }

    func interruption(data: Dataset, observer: VAEObserver?) -> TrainingInterrupted {
        TrainingInterrupted(model: configuration.name, epoch: epochsTrained + 1, step: position.batchIndex,
                            saved: save(data: data, observer: observer))
    }

    /// Whether `checkpoint` can continue this pairing on `data`, and if not, why (one line each).
    public func problems(resuming checkpoint: Checkpoint, data: Dataset) -> [String] {
        var problems = checkpoint.parameterMismatches(encoder.model, decoder.model)
        let kind = configuration.optimizer.kind.name
        if checkpoint.optimizerKind != kind || checkpoint.companion?.optimizerKind != kind {
            problems.append("it holds \(checkpoint.optimizerKind) optimizer state but the optimizer is now \(kind)")
        }
        if checkpoint.order.count != data.count {
            problems.append("it was trained on \(checkpoint.order.count) samples but the data now has \(data.count)")
        }
        if checkpoint.randomState.count != 4 || checkpoint.extraRandomStates.count != 2
            || checkpoint.extraRandomStates.contains(where: { $0.count != 4 }) || checkpoint.counters.count != 2 {
            problems.append("it is not an autoencoder checkpoint")
        }
        return problems
    }

    /// Loads a checkpoint's state into the `train` in progress. Throws CheckpointError when it
    /// does not fit (see `problems`).
    func restore(_ checkpoint: Checkpoint, data: Dataset, batch: Int) throws {
        let problems = problems(resuming: checkpoint, data: data)
        guard problems.isEmpty, let companion = checkpoint.companion, let run,
              checkpoint.optimizerState.count == run.encoderOptimizer.stateValues.values.count,
              companion.optimizerState.count == run.decoderOptimizer.stateValues.values.count else {
            throw CheckpointError(path: directory?.path ?? "checkpoint", "does not fit '\(configuration.name)': "
                                  + (problems.isEmpty ? ["its optimizer state has the wrong size"] : problems).joined(separator: "; "))
        }
        try checkpoint.restorePairWeights(into: encoder, decoder)
        run.encoderOptimizer.restore(step: checkpoint.optimizerStep, values: checkpoint.optimizerState)
        run.decoderOptimizer.restore(step: companion.optimizerStep, values: companion.optimizerState)
        random.stateWords = checkpoint.randomState
        run.encoder.randomState = checkpoint.extraRandomStates[0]
        run.decoder.randomState = checkpoint.extraRandomStates[1]
        sums = (checkpoint.counters[0], checkpoint.counters[1])
        order = checkpoint.order
        position = checkpoint.position
        epochsTrained = position.epochsBefore + position.epochsDone
        // A changed batch size keeps the samples already seen this epoch (rounded down to a batch).
        if let old = checkpoint.settings.first(where: { $0.key == "batch" })?.value, let oldBatch = Int(old),
           min(oldBatch, data.count) != batch, position.batchIndex > 0 {
            position.batchIndex = position.batchIndex * min(oldBatch, data.count) / batch
        }
        position.batchIndex = min(position.batchIndex, (data.count + batch - 1) / batch)
    }
}
