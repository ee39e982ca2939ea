// `gan` pairings: declaration checks (shapes fit before any data is read), adversarial
// training with per-epoch logs and collapse warnings, and sample grids. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    struct GANEntry {
        let name: Identifier
        let statement: Statement
        let generator: String
        let discriminator: String
        let loss: GANLoss
        let noise: NoiseKind
        let generatorOptimizer: OptimizerSettings
        let discriminatorOptimizer: OptimizerSettings
        let discriminatorSteps: Int
        let realLabel: Float
        let instanceNoise: Float
        let r1Penalty: Float
        /// Decay of the generator's moving average (`generator_ema`); 0: none.
        let generatorAverageDecay: Float
        var trainer: GANTrainer?
    }

    static let ganSettings = Signature("gan", [
        ParameterSpec("generator", expects: "a model mapping noise to samples", required: true),
        ParameterSpec("discriminator", expects: "a model mapping a sample to one score", required: true),
        ParameterSpec("noise", expects: "normal(dimension) or uniform(dimension)"),
        ParameterSpec("loss", expects: GANLoss.allCases.map(\.rawValue).joined(separator: ", ")),
        ParameterSpec("generator_optimizer", expects: "an optimizer such as adam(lr: 0.0002, beta1: 0.5)"),
        ParameterSpec("discriminator_optimizer", expects: "an optimizer such as adam(lr: 0.0002, beta1: 0.5)"),
        ParameterSpec("discriminator_steps", expects: "discriminator steps per generator step"),
        ParameterSpec("label_smoothing", expects: "the target for real samples, e.g. 0.9 (one-sided smoothing)"),
        ParameterSpec("instance_noise", expects: "the standard deviation of the noise added to the discriminator's inputs at the start, e.g. 0.1"),
        ParameterSpec("r1_penalty", expects: "the weight γ of the R1 gradient penalty on real samples, e.g. 10"),
        ParameterSpec("generator_ema", expects: "the decay of the moving average of the generator's weights that sampling uses, e.g. 0.999"),
    ])

    func defineGAN(_ name: Identifier, settings: [Setting], statement: Statement) throws {
        do throws(Diagnostic) {
            let bound = try Binder.bind(try evaluateSettings(settings), to: Interpreter.ganSettings, at: statement.range)
            let generatorName = try modelName(bound, "generator")
            let discriminatorName = try modelName(bound, "discriminator")
            let generator = try lowered(generatorName, bound["generator"]!)
            let discriminator = try lowered(discriminatorName, bound["discriminator"]!)
            var noise = NoiseKind.normal
            var noiseSize = elementCount(generator.inputShape)
            if let value = bound["noise"] {
                guard case .call(let callee, let arguments) = value.kind, let kind = NoiseKind(rawValue: callee.name) else {
                    throw .error("type-mismatch", "expected normal(dimension) or uniform(dimension), found '\(value)'", at: value.range)
                }
                noise = kind
                let noiseArguments = try Binder.bind(arguments, to: Signature("noise '\(callee.name)'", [
                    ParameterSpec("dimension", expects: "the size of a noise vector", required: true, positional: true),
                ]), at: value.range)
                noiseSize = try noiseArguments.integer("dimension", minimum: 1)
                if noiseSize != elementCount(generator.inputShape) {
                    throw .error("shape-mismatch",
                                 "the noise has \(noiseSize) values but generator '\(generatorName)' takes input \(describeShape(generator.inputShape))",
                                 at: value.range, notes: [DiagnosticNote("'\(generatorName)' defined here", at: generator.declaration.name.range)])
                }
            }
            let sample = generator.outputShape
            if elementCount(sample) != elementCount(discriminator.inputShape) {
                throw .error("shape-mismatch",
                             "generator '\(generatorName)' produces \(describeShape(sample)) but discriminator '\(discriminatorName)' expects \(describeShape(discriminator.inputShape))",
                             at: bound["discriminator"]!.range,
                             notes: [DiagnosticNote("'\(generatorName)' defined here", at: generator.declaration.name.range),
                                     DiagnosticNote("'\(discriminatorName)' defined here", at: discriminator.declaration.name.range)],
                             help: "shapes exclude the batch dimension")
            }
            if elementCount(discriminator.outputShape) != 1 {
                throw .error("shape-mismatch",
                             "discriminator '\(discriminatorName)' must output one score per sample, but outputs \(describeShape(discriminator.outputShape))",
                             at: bound["discriminator"]!.range,
                             help: "end it with 'dense 1, activation: sigmoid'")
            }
            let loss = GANLoss(rawValue: try bound.symbol("loss", choices: GANLoss.allCases.map(\.rawValue), default: "non_saturating"))!
            if loss != .leastSquares, discriminator.finalActivation != .pointwise(.sigmoid) {
                throw .error("invalid-argument",
                             "the \(loss.rawValue) loss needs a discriminator that ends in a sigmoid; '\(discriminatorName)' does not",
                             at: bound["discriminator"]!.range, help: "end it with 'dense 1, activation: sigmoid', or use loss: least_squares")
            }
            let defaultOptimizer = OptimizerSettings(kind: .adam(beta1: 0.5, beta2: 0.999, epsilon: 1e-8), learningRate: 2e-4)
            let entry = GANEntry(
                name: name, statement: statement, generator: generatorName, discriminator: discriminatorName, loss: loss,
                noise: noise,
                generatorOptimizer: try bound["generator_optimizer"].map { v throws(Diagnostic) in try optimizerSettings(v) } ?? defaultOptimizer,
                discriminatorOptimizer: try bound["discriminator_optimizer"].map { v throws(Diagnostic) in try optimizerSettings(v) } ?? defaultOptimizer,
                discriminatorSteps: try bound.integer("discriminator_steps", default: 1, minimum: 1),
                realLabel: Float(try bound.number("label_smoothing", default: 1, in: 0.5...1)),
                instanceNoise: Float(try bound.number("instance_noise", default: 0, in: 0...1)),
                r1Penalty: Float(try bound.number("r1_penalty", default: 0, in: 0...1000)),
                generatorAverageDecay: Float(try bound.number("generator_ema", default: 0, in: 0...1, exclusiveUpper: true)))
            gans[name.name] = entry
        } catch {
            throw StatementFailure.diagnostics([error])
        }
    }

    func evaluateSettings(_ settings: [Setting]) throws(Diagnostic) -> [EvaluatedArgument] {
        try settings.map { setting throws(Diagnostic) in
            EvaluatedArgument(label: setting.key, value: try Evaluator.evaluate(setting.value, in: constants))
        }
    }

    /// The model a pairing setting names (`generator: g`).
    func modelName(_ bound: BoundArguments, _ key: String) throws(Diagnostic) -> String {
        let value = bound[key]!
        guard case .symbol(let name) = value.kind else {
            throw .error("type-mismatch", "'\(key)' must name a model, found \(value.kindName) '\(value)'", at: value.range)
        }
        return name
    }

    func lowered(_ name: String, _ value: Value) throws(Diagnostic) -> LoweredModel {
        guard let entry = models[name] else {
            throw unknownName(name, at: value.range, kind: "model", candidates: Array(models.keys))
        }
        return entry.lowered
    }

    static let ganTrainSettings = Signature("train (gan)", [
        ParameterSpec("epochs", expects: "a positive integer"),
        ParameterSpec("batch", expects: "samples per step"),
        ParameterSpec("seed", expects: "an integer seed"),
        ParameterSpec("samples", expects: "a PNG path for sample grids; '{epoch}' is replaced by the epoch"),
        ParameterSpec("sample_every", expects: "write a sample grid every N epochs"),
        ParameterSpec("sample_count", expects: "images per sample grid"),
    ] + pairingTrustSettings)

    func trainGAN(_ entry: GANEntry, on datasetExpr: Expr, settings: [Setting], statement: Statement) throws {
        let bound: BoundArguments
        let configuration: GANConfiguration
        do throws(Diagnostic) {
            bound = try Binder.bind(try evaluateSettings(settings), to: Interpreter.ganTrainSettings, at: statement.range)
            configuration = GANConfiguration(
                name: entry.name.name, loss: entry.loss, noise: entry.noise,
                generatorOptimizer: try clipped(entry.generatorOptimizer, bound),
                discriminatorOptimizer: try clipped(entry.discriminatorOptimizer, bound), discriminatorSteps: entry.discriminatorSteps,
                realLabel: entry.realLabel, epochs: try bound.integer("epochs", default: 1, minimum: 1),
                batchSize: try bound.integer("batch", default: 128, minimum: 1),
                seed: UInt64(try bound.integer("seed", default: Int(options.seed % 1_000_000_007), minimum: 0)),
                checkpoint: try checkpointPolicy(bound), onNonFinite: try nonFinitePolicy(bound),
                instanceNoise: entry.instanceNoise, r1Penalty: entry.r1Penalty,
                generatorAverageDecay: entry.generatorAverageDecay)
            if bound.has("samples") { _ = try bound.string("samples") }
        } catch {
            throw StatementFailure.diagnostics([error])
        }
        try claimCheckpointDirectory(configuration.checkpoint, at: bound["checkpoint"]?.range)
        guard let (data, dataName) = try dataset(datasetExpr),
              let generator = models[entry.generator]?.instance, let discriminator = models[entry.discriminator]?.instance
        else { return }
        if elementCount(data.featureShape) != elementCount(discriminator.model.inputShape) {
            throw StatementFailure.diagnostics([.error(
                "data-mismatch",
                "discriminator '\(entry.discriminator)' expects samples of shape \(describeShape(discriminator.model.inputShape)) but '\(dataName)' has \(describeShape(data.featureShape))",
                at: datasetExpr.range, help: "shapes exclude the batch dimension")])
        }
        if data.count < configuration.batchSize {
            throw StatementFailure.diagnostics([.error("data-mismatch", "'\(dataName)' has \(data.count) samples, fewer than one batch of \(configuration.batchSize)", at: datasetExpr.range)])
        }
        var current = entry
        // Training again continues the pairing's trainer (optimizer state, epoch count) unless a
        // model was redefined since or the optimizers, batch or seed changed.
        let continued = entry.trainer.flatMap { trainer in
            trainer.generator === generator && trainer.discriminator === discriminator && trainer.adopt(configuration) ? trainer : nil
        }
        // A new trainer for the same generator starts from the raw weights the old one kept, not
        // from the average it left in the generator (generator_ema).
        if continued == nil, let previous = entry.trainer, previous.generator === generator {
            previous.generatorAverage?.takeBack()
        }
        let trainer = continued
            ?? GANTrainer(generator: generator, discriminator: discriminator, configuration: configuration, useReference: options.useReference)
        current.trainer = trainer
        gans[entry.name.name] = current
        let samplePath = try? bound.string("samples")
        let every = (try? bound.integer("sample_every", default: 1, minimum: 1)) ?? 1
        let count = (try? bound.integer("sample_count", default: 64, minimum: 1)) ?? 64
        let reporter = GANReporter(console: console, log: options.log, entry: entry, samplesEvery: every) { epoch in
            guard let samplePath else { return }
            let path = samplePath.replacingOccurrences(of: "{epoch}", with: String(epoch))
            try? self.writeGrid(trainer.sample(count: count, seed: configuration.seed &+ 99), shape: generator.model.outputShape,
                                count: count, to: path)
        }
        let checkpoint: Checkpoint?
        switch try resumePairing(entry.name.name, policy: configuration.checkpoint,
                                 settings: GANTrainer.settings(configuration, data: data), epochs: configuration.epochs,
                                 modelHash: GANTrainer.modelHash(generator: generator.model, discriminator: discriminator.model),
                                 statement: statement, problems: { trainer.problems(resuming: $0, data: data) },
                                 restoreWeights: { try trainer.restoreFinished(from: $0) }) {
        case .start: checkpoint = nil
        case .resume(let found): checkpoint = found
        case .finished: return
        }
        do {
            try trainer.train(on: data, observer: reporter, resumingFrom: checkpoint)
        } catch {
            throw pairingFailure(error, models: [generator.model, discriminator.model], policy: configuration.checkpoint,
                                 statement: statement, checkpointRange: bound["checkpoint"]?.range, data: datasetExpr.range)
        }
        if let average = trainer.generatorAverage {
            console.line("train \(entry.name.name): '\(entry.generator)' now holds the moving average of its weights "
                         + "(generator_ema \(Fingerprint.format(average.decay)), \(average.updates) updates)")
        }
    }

    /// `sample NAME to "grid.png", count: 64, seed: 1`: a grid from a GAN's generator or a
    /// VAE's decoder (noise drawn from the prior).
    func sample(_ name: Identifier, to pathExpr: Expr, arguments: [Argument], statement: Statement) throws {
        let path = try stringValue(pathExpr, what: "an image path")
        let count: Int, seed: UInt64
        do throws(Diagnostic) {
            let evaluated = try arguments.map { argument throws(Diagnostic) in
                EvaluatedArgument(label: argument.label, value: try Evaluator.evaluate(argument.value, in: constants))
            }
            let bound = try Binder.bind(evaluated, to: Signature("sample", [
                ParameterSpec("count", expects: "how many images", positional: true),
                ParameterSpec("seed", expects: "an integer seed for the noise"),
            ]), at: statement.range)
            count = try bound.integer("count", default: 64, minimum: 1)
            seed = UInt64(try bound.integer("seed", default: 1, minimum: 0))
        } catch {
            throw StatementFailure.diagnostics([error])
        }
        let source: (generator: ModelInstance?, noise: NoiseKind)
        do throws(Diagnostic) {
            source = try generativeSource(name.name, at: name.range)
        } catch {
            throw StatementFailure.diagnostics([error])
        }
        guard let generator = source.generator else { return }
        let noise = source.noise
        do {
            try writeGrid(GANTrainer.sample(generator, noise: noise, count: count, seed: seed), shape: generator.model.outputShape,
                          count: count, to: path)
            console.line("sample \(name.name): wrote \(count) images to \(path)")
        } catch {
            throw StatementFailure.diagnostics([.error("io-error", "\(error)", at: pathExpr.range)])
        }
    }

    /// What draws samples for `name`: a GAN's generator with its noise, or a VAE's decoder fed
    /// from the prior N(0, I). The instance is nil in check mode.
    func generativeSource(_ name: String, at range: SourceRange) throws(Diagnostic) -> (generator: ModelInstance?, noise: NoiseKind) {
        if let gan = gans[name] { return (models[gan.generator]?.instance, gan.noise) }
        if let vae = vaes[name], vae.variational { return (models[vae.decoder]?.instance, .normal) }
        if vaes[name] != nil {
            throw .error("type-mismatch", "autoencoder '\(name)' has no prior to sample from", at: range,
                         help: "declare it as a 'vae' to sample from its decoder")
        }
        throw unknownName(name, at: range, kind: "gan or vae", candidates: Array(gans.keys) + Array(vaes.keys))
    }

    /// `data generated = samples(fashion_gan, n: 1000)`: a dataset of `n` images drawn when the
    /// statement runs (inference mode, noise from `seed:`), with no targets: for classifying
    /// or evaluating what a generator makes.
    func generatedSamples(_ bound: BoundArguments, seed: UInt64, name: String) throws(Diagnostic) -> DatasetGroup? {
        let value = bound["from"]!
        guard case .symbol(let sourceName) = value.kind else {
            throw .error("type-mismatch", "'samples' needs the name of a gan or vae, found \(value.kindName) '\(value)'", at: value.range)
        }
        let count = try bound.integer("n", minimum: 1)
        let source = try generativeSource(sourceName, at: value.range)
        let sampleSize = (gans[sourceName].map { models[$0.generator] } ?? vaes[sourceName].map { models[$0.decoder] })??
            .lowered.outputShape.reduce(1, *) ?? 1
        if count > Int(Int32.max) / max(sampleSize, 1) {
            throw .error("tensor-too-large", "\(count) samples of \(sampleSize) values are more than 2^31 - 1 values",
                         at: bound["n"]!.range)
        }
        if options.checkOnly { return nil }
        guard let generator = source.generator else { return nil }
        let images = GANTrainer.sample(generator, noise: source.noise, count: count, seed: seed)
        unlabelledDatasets.insert(name)
        let data = Dataset(name: name, featureShape: generator.model.outputShape, features: images, targetShape: [],
                           targets: [Float](repeating: 0, count: count))
        return DatasetGroup(name: name, splits: [("train", data)])
    }

    /// Writes images of `shape` ([h, w, c], [h, w] or a square [n]) as a PNG grid.
    func writeGrid(_ images: [Float], shape: [Int], count: Int, to path: String) throws {
        let (height, width, channels) = try imageLayout(shape)
        try ImageGrid.write(images: images, count: count, height: height, width: width, channels: channels, to: path)
    }

    func imageLayout(_ shape: [Int]) throws -> (Int, Int, Int) {
        switch shape.count {
        case 3 where shape[2] == 1 || shape[2] == 3: return (shape[0], shape[1], shape[2])
        case 2: return (shape[0], shape[1], 1)
        case 1:
            let side = Int(Double(shape[0]).squareRoot().rounded())
            if side * side == shape[0] { return (side, side, 1) }
        default: break
        }
        throw DataError(path: nil, "samples of shape \(describeShape(shape)) are not images: expected [height, width, 1 or 3]")
    }
}

/// Prints and logs GAN epochs, writes sample grids, and warns once about a likely collapse.
final class GANReporter: GANObserver {
    let console: Console
    let log: EventLog?
    let entry: Interpreter.GANEntry
    let samplesEvery: Int
    let writeSamples: (Int) -> Void
    private var warned = false

    init(console: Console, log: EventLog?, entry: Interpreter.GANEntry, samplesEvery: Int, writeSamples: @escaping (Int) -> Void) {
        self.console = console
        self.log = log
        self.entry = entry
        self.samplesEvery = samplesEvery
        self.writeSamples = writeSamples
    }

    func epochFinished(_ report: GANEpochReport) {
        console.line("\(report.name) epoch \(report.epoch)/\(report.epochs): loss_d \(formatMetric(report.discriminatorLoss)) "
                     + "loss_g \(formatMetric(report.generatorLoss)) D(real) \(formatMetric(report.meanRealScore)) "
                     + "D(fake) \(formatMetric(report.meanFakeScore)) (\(String(format: "%.2f", report.seconds)) s)")
        log?.write(.object([
            ("event", "epoch"), ("model", .string(report.name)), ("epoch", .int(report.epoch)),
            ("loss", .number(report.discriminatorLoss + report.generatorLoss)),
            ("metrics", .object([("loss_d", .number(report.discriminatorLoss)), ("loss_g", .number(report.generatorLoss)),
                                 ("d_real", .number(report.meanRealScore)), ("d_fake", .number(report.meanFakeScore))])),
            ("seconds", .number(report.seconds)),
        ]))
        if report.epoch % samplesEvery == 0 || report.epoch == report.epochs { writeSamples(report.epoch) }
    }

    func collapseSuspected(_ report: GANEpochReport, steps: Int) {
        guard !warned else { return }
        warned = true
        console.report([Diagnostic(.warning, id: "gan-collapse",
                                   "gan '\(entry.name.name)' may be failing: for \(steps) steps the discriminator has won outright (loss_d \(formatMetric(report.discriminatorLoss)), D(fake) \(formatMetric(report.meanFakeScore)))",
                                   at: entry.name.range,
                                   help: "try a lower discriminator learning rate, label_smoothing: 0.9, or loss: least_squares")])
    }
}

import Foundation
