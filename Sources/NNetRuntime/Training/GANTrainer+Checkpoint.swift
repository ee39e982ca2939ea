// The adversarial loop's checkpoints: both models' weights and optimizer states, the noise and
// shuffling generator, each executor's dropout generator, the sample order, the position and
// the epoch's running sums, and the generator's moving average with its update count
// (`generator_ema`), so a resumed run continues bitwise where the saved one stopped.
// Stage: runtime (training).

import NNetIR

extension GANTrainer {
    /// The settings that decide what training does, named as in the program (`g_lr`, `d_beta1`).
    public static func settings(_ configuration: GANConfiguration, data: Dataset) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = [
            ("loss", configuration.loss.rawValue), ("noise", configuration.noise.rawValue),
        ]
        pairs += Fingerprint.settings(configuration.generatorOptimizer, prefix: "generator_")
        pairs += Fingerprint.settings(configuration.discriminatorOptimizer, prefix: "discriminator_")
        pairs += [
            ("discriminator_steps", String(configuration.discriminatorSteps)),
            ("label_smoothing", Fingerprint.format(configuration.realLabel)),
        ]
        // Only when set, so that checkpoints written before the setting existed still match.
        if configuration.instanceNoise > 0 { pairs.append(("instance_noise", Fingerprint.format(configuration.instanceNoise))) }
        if configuration.r1Penalty > 0 { pairs.append(("r1_penalty", Fingerprint.format(configuration.r1Penalty))) }
        if configuration.generatorAverageDecay > 0 {
            pairs.append(("generator_ema", Fingerprint.format(configuration.generatorAverageDecay)))
        }
        pairs += Fingerprint.run(epochs: configuration.epochs, batch: configuration.batchSize, seed: configuration.seed,
                                 data: data)
        return pairs
    }

    /// Layer kinds and names and parameter shapes of both models.
    public static func modelHash(generator: LoweredModel, discriminator: LoweredModel) -> UInt64 {
        Fingerprint.hash(["gan", String(Fingerprint.model(generator)), String(Fingerprint.model(discriminator))])
    }

    /// The state between two steps.
    func snapshot(data: Dataset) -> Checkpoint {
        let settings = GANTrainer.settings(configuration, data: data)
        let g = generatorOptimizer.stateValues, d = discriminatorOptimizer.stateValues
        return Checkpoint(
            modelHash: GANTrainer.modelHash(generator: generator.model, discriminator: discriminator.model),
            settingsHash: Fingerprint.hash(settings: settings),
            layers: Fingerprint.layers(of: generator.model).map { "generator \($0)" }
                + Fingerprint.layers(of: discriminator.model).map { "discriminator \($0)" },
            settings: settings, position: position, sums: Checkpoint.EpochSums(metrics: 0),
            randomState: random.stateWords, optimizerKind: configuration.generatorOptimizer.kind.name,
            optimizerStep: g.step, optimizerState: g.values, parameters: Checkpoint.tensors(of: generator.parameters),
            companion: Checkpoint.Companion(optimizerKind: configuration.discriminatorOptimizer.kind.name, optimizerStep: d.step,
                                            optimizerState: d.values, parameters: Checkpoint.tensors(of: discriminator.parameters)),
            extraRandomStates: [generatorExecutor.randomState, discriminatorExecutor.randomState, throughDiscriminator.randomState],
            counters: [sums.lossD, sums.lossG, sums.realScore, sums.fakeScore, Double(suspiciousSteps)],
            order: order, averagedWeights: generatorAverage?.saved)
    }

    /// Saves the current state; failures are reported to the observer, and training goes on.
    @discardableResult
    func save(data: Dataset, observer: GANObserver?) -> Result<String, CheckpointError>? {
        guard let directory, let policy = configuration.checkpoint else { return nil }
        let (epoch, step) = (epochsTrained + (position.batchIndex > 0 ? 1 : 0), position.batchIndex)
        return directory.save(snapshot(data: data), keep: policy.keep, report: { observer?.trainingEvent($0) },
                              saved: { .checkpointSaved(path: $0, epoch: epoch, step: step) })
    }

    func interruption(data: Dataset, observer: GANObserver?) -> TrainingInterrupted {
        TrainingInterrupted(model: configuration.name, epoch: epochsTrained + 1, step: position.batchIndex,
                            saved: save(data: data, observer: observer))
    }

    /// Whether `checkpoint` can continue this GAN on `data`, and if not, why (one line each).
    public func problems(resuming checkpoint: Checkpoint, data: Dataset) -> [String] {
        var problems = checkpoint.parameterMismatches(generator.model, discriminator.model)
        let kinds = (configuration.generatorOptimizer.kind.name, configuration.discriminatorOptimizer.kind.name)
        if checkpoint.optimizerKind != kinds.0 || checkpoint.companion?.optimizerKind != kinds.1 {
            problems.append("it holds \(checkpoint.optimizerKind) and \(checkpoint.companion?.optimizerKind ?? "no") optimizer state "
                            + "but the optimizers are now \(kinds.0) and \(kinds.1)")
        }
        if generatorAverage != nil, let average = checkpoint.averagedWeights {
            problems += Checkpoint.mismatches(average.parameters, generator.model).map { "\(generator.model.name)'s average: \($0)" }
        }
        if checkpoint.order.count != data.count {
            problems.append("it was trained on \(checkpoint.order.count) samples but the data now has \(data.count)")
        }
        if checkpoint.randomState.count != 4 || checkpoint.extraRandomStates.count != 3
            || checkpoint.extraRandomStates.contains(where: { $0.count != 4 }) || checkpoint.counters.count != 5 {
            problems.append("it is not a GAN checkpoint")
        }
        return problems
    }

    /// Loads a checkpoint's state. Throws CheckpointError when it does not fit (see `problems`).
    func restore(_ checkpoint: Checkpoint, data: Dataset) throws {
        let problems = problems(resuming: checkpoint, data: data)
        guard problems.isEmpty, let companion = checkpoint.companion,
              companion.optimizerState.count == discriminatorOptimizer.stateValues.values.count,
              checkpoint.optimizerState.count == generatorOptimizer.stateValues.values.count else {
            throw CheckpointError(path: directory?.path ?? "checkpoint", "does not fit gan '\(configuration.name)': "
                                  + (problems.isEmpty ? ["its optimizer state has the wrong size"] : problems).joined(separator: "; "))
        }
        try restoreWeightsAndAverage(from: checkpoint)
        generatorOptimizer.restore(step: checkpoint.optimizerStep, values: checkpoint.optimizerState)
        discriminatorOptimizer.restore(step: companion.optimizerStep, values: companion.optimizerState)
        random.stateWords = checkpoint.randomState
        generatorExecutor.randomState = checkpoint.extraRandomStates[0]
        discriminatorExecutor.randomState = checkpoint.extraRandomStates[1]
        throughDiscriminator.randomState = checkpoint.extraRandomStates[2]
        let counters = checkpoint.counters
        sums = GANEpochSums(lossD: counters[0], lossG: counters[1], realScore: counters[2], fakeScore: counters[3])
        suspiciousSteps = Int(counters[4])
        order = checkpoint.order
        position = checkpoint.position
        epochsTrained = position.epochsBefore + position.epochsDone
        // A changed batch size keeps the samples already seen this epoch (rounded down to a batch).
        if let old = checkpoint.settings.first(where: { $0.key == "batch" })?.value, let oldBatch = Int(old),
           oldBatch != configuration.batchSize, position.batchIndex > 0 {
            position.batchIndex = position.batchIndex * oldBatch / configuration.batchSize
        }
        position.batchIndex = min(position.batchIndex, data.count / configuration.batchSize)
    }

    /// A finished schedule's weights (`--resume` with nothing left to train): both models' from
    /// `checkpoint`; with `generator_ema`, the generator then holds the checkpoint's average, as
    /// after any `train` statement.
    public func restoreFinished(from checkpoint: Checkpoint) throws {
        generatorAverage?.takeBack()
        defer { generatorAverage?.publish() }
        try restoreWeightsAndAverage(from: checkpoint)
    }

    /// Both models' weights and the generator's average from `checkpoint` (a checkpoint without
    /// one, saved before `generator_ema` was set, starts the average at its weights).
    func restoreWeightsAndAverage(from checkpoint: Checkpoint) throws {
        try checkpoint.restorePairWeights(into: generator, discriminator)
        guard let generatorAverage else { return }
        if let saved = checkpoint.averagedWeights {
            generatorAverage.restore(saved)
        } else {
            generatorAverage.restart()
        }
    }
}

extension GANTrainer {
    /// Takes a later `train` statement's epochs and checkpoint settings when it can continue
    /// with this trainer (its optimizers' moments, its generators): the same batch, seed and
    /// optimizers. Returns false, changing nothing, when it cannot.
    public func adopt(_ configuration: GANConfiguration) -> Bool {
        let current = self.configuration
        guard current.batchSize == configuration.batchSize, current.seed == configuration.seed,
              current.generatorOptimizer == configuration.generatorOptimizer,
              current.discriminatorOptimizer == configuration.discriminatorOptimizer else { return false }
        self.configuration.epochs = configuration.epochs
        self.configuration.checkpoint = configuration.checkpoint
        return true
    }
}
