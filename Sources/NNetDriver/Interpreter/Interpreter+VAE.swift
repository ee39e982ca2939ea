// `vae` and `autoencoder` pairings: an encoder and a decoder trained together on reconstruction
// (plus β·KL for a VAE), evaluated per sample, with reconstruction and sample grids. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    struct VAEEntry {
        let name: Identifier
        let variational: Bool
        let encoder: String
        let decoder: String
        let reconstruction: LossKind
        let beta: Float
        let optimizer: OptimizerSettings
        var trainer: VAETrainer?
    }

    static func vaeSettings(_ kind: String) -> Signature {
        Signature(kind, [
            ParameterSpec("encoder", expects: "a model from a sample to its code", required: true),
            ParameterSpec("decoder", expects: "a model from a code back to a sample", required: true),
            ParameterSpec("reconstruction", expects: "binary_crossentropy (default) or mse"),
            ParameterSpec("optimizer", expects: "an optimizer such as adam(lr: 0.001)"),
        ] + (kind == "vae" ? [ParameterSpec("beta", expects: "the weight of the KL term (default 1)")] : []))
    }

    func defineVAE(_ name: Identifier, settings: [Setting], variational: Bool, statement: Statement) throws {
        let kind = variational ? "vae" : "autoencoder"
        do throws(Diagnostic) {
            let bound = try Binder.bind(try evaluateSettings(settings), to: Interpreter.vaeSettings(kind), at: statement.range)
            let encoder = try lowered(try modelName(bound, "encoder"), bound["encoder"]!)
            let decoder = try lowered(try modelName(bound, "decoder"), bound["decoder"]!)
            let latent = elementCount(decoder.inputShape)
            let code = elementCount(encoder.outputShape)
            if code != (variational ? 2 * latent : latent) {
                throw .error("shape-mismatch",
                             variational
                                ? "encoder '\(encoder.name)' outputs \(describeShape(encoder.outputShape)) but a VAE's encoder must output the mean and log-variance of decoder '\(decoder.name)''s \(latent)-value code: [\(2 * latent)]"
                                : "encoder '\(encoder.name)' outputs \(describeShape(encoder.outputShape)) but decoder '\(decoder.name)' takes \(describeShape(decoder.inputShape))",
                             at: bound["encoder"]!.range,
                             notes: [DiagnosticNote("'\(encoder.name)' defined here", at: encoder.declaration.name.range),
                                     DiagnosticNote("'\(decoder.name)' defined here", at: decoder.declaration.name.range)],
                             help: "shapes exclude the batch dimension")
            }
            if elementCount(decoder.outputShape) != elementCount(encoder.inputShape) {
                throw .error("shape-mismatch",
                             "decoder '\(decoder.name)' outputs \(describeShape(decoder.outputShape)) but encoder '\(encoder.name)' takes \(describeShape(encoder.inputShape)): the reconstruction must match the input",
                             at: bound["decoder"]!.range)
            }
            let reconstruction = LossKind(rawValue: try bound.symbol("reconstruction", choices: ["binary_crossentropy", "mse"],
                                                                     default: "binary_crossentropy"))!
            vaes[name.name] = VAEEntry(
                name: name, variational: variational, encoder: encoder.name, decoder: decoder.name,
                reconstruction: reconstruction, beta: Float(try bound.number("beta", default: 1, in: 0...1e6)),
                optimizer: try optimizerSettings(bound["optimizer"]))
        } catch {
            throw StatementFailure.diagnostics([error])
        }
    }

    static let vaeTrainSettings = Signature("train (vae)", [
        ParameterSpec("epochs", expects: "a positive integer"),
        ParameterSpec("batch", expects: "samples per step"),
        ParameterSpec("seed", expects: "an integer seed"),
        ParameterSpec("samples", expects: "a PNG path for grids sampled from the prior; '{epoch}' is replaced"),
        ParameterSpec("reconstructions", expects: "a PNG path for inputs beside their reconstructions; '{epoch}' is replaced"),
        ParameterSpec("validation", expects: "a dataset whose loss is reported after each epoch"),
    ] + pairingTrustSettings)

    func trainVAE(_ entry: VAEEntry, on datasetExpr: Expr, settings: [Setting], statement: Statement) throws {
        var validationExpr: Expr?
        let bound: BoundArguments
        let configuration: VAEConfiguration
        do throws(Diagnostic) {
            var arguments: [EvaluatedArgument] = []
            for setting in settings {
                if setting.key.name == "validation" { validationExpr = setting.value; continue }
                arguments.append(EvaluatedArgument(label: setting.key, value: try Evaluator.evaluate(setting.value, in: constants)))
            }
            bound = try Binder.bind(arguments, to: Interpreter.vaeTrainSettings, at: statement.range)
            configuration = VAEConfiguration(
                name: entry.name.name, variational: entry.variational, reconstruction: entry.reconstruction, beta: entry.beta,
                optimizer: try clipped(entry.optimizer, bound), epochs: try bound.integer("epochs", default: 1, minimum: 1),
                batchSize: try bound.integer("batch", default: 128, minimum: 1),
                seed: UInt64(try bound.integer("seed", default: Int(options.seed % 1_000_000_007), minimum: 0)),
                checkpoint: try checkpointPolicy(bound), onNonFinite: try nonFinitePolicy(bound))
            for key in ["samples", "reconstructions"] where bound.has(key) { _ = try bound.string(key) }
        } catch {
            throw StatementFailure.diagnostics([error])
        }
        try claimCheckpointDirectory(configuration.checkpoint, at: bound["checkpoint"]?.range)
        guard let (data, dataName) = try dataset(datasetExpr),
              let encoder = models[entry.encoder]?.instance, let decoder = models[entry.decoder]?.instance else { return }
        let validation = try validationExpr.map { try dataset($0) } ?? nil
        for (set, name, range) in [(data, dataName, datasetExpr.range)] + (validation.map { [($0.data, $0.name, validationExpr!.range)] } ?? [])
        where elementCount(set.featureShape) != elementCount(encoder.model.inputShape) {
            throw StatementFailure.diagnostics([.error(
                "data-mismatch", "encoder '\(entry.encoder)' expects samples of shape \(describeShape(encoder.model.inputShape)) but '\(name)' has \(describeShape(set.featureShape))",
                at: range, help: "shapes exclude the batch dimension")])
        }
        let trainer = VAETrainer(encoder: encoder, decoder: decoder, configuration: configuration, useReference: options.useReference)
        var current = entry
        current.trainer = trainer
        vaes[entry.name.name] = current
        let samplesPath = try? bound.string("samples"), reconstructionsPath = try? bound.string("reconstructions")
        let reporter = VAEReporter(console: console, log: options.log, name: entry.name.name, variational: entry.variational) { epoch in
            if let samplesPath {
                let path = samplesPath.replacingOccurrences(of: "{epoch}", with: String(epoch))
                try? self.writeGrid(GANTrainer.sample(decoder, noise: .normal, count: 64, seed: configuration.seed &+ 99),
                                    shape: decoder.model.outputShape, count: 64, to: path)
            }
            if let reconstructionsPath {
                let path = reconstructionsPath.replacingOccurrences(of: "{epoch}", with: String(epoch))
                let source = validation?.data ?? data
                let (originals, outputs) = trainer.reconstruct(source, count: 32)
                if let (h, w, c) = try? self.imageLayout(decoder.model.outputShape) {
                    try? ImageGrid.writePairs(originals: originals, reconstructions: outputs, count: min(32, source.count),
                                              height: h, width: w, channels: c, to: path)
                }
            }
            if let validation {
                let losses = trainer.evaluate(on: validation.data)
                self.console.line("  \(validation.name): " + VAEReporter.describe(losses, variational: entry.variational))
            }
        }
        let checkpoint: Checkpoint?
        switch try resumePairing(entry.name.name, policy: configuration.checkpoint,
                                 settings: VAETrainer.settings(configuration, data: data), epochs: configuration.epochs,
                                 modelHash: VAETrainer.modelHash(encoder: encoder.model, decoder: decoder.model),
                                 statement: statement, problems: { trainer.problems(resuming: $0, data: data) },
                                 restoreWeights: { try $0.restorePairWeights(into: encoder, decoder) }) {
        case .start: checkpoint = nil
        case .resume(let found): checkpoint = found
        case .finished: return
        }
        do {
            try trainer.train(on: data, observer: reporter, resumingFrom: checkpoint)
        } catch {
            throw pairingFailure(error, models: [encoder.model, decoder.model], policy: configuration.checkpoint,
                                 statement: statement, checkpointRange: bound["checkpoint"]?.range, data: datasetExpr.range)
        }
    }

    /// `evaluate NAME on data` for a vae or autoencoder.
    func evaluateVAE(_ entry: VAEEntry, on datasetExpr: Expr) throws {
        guard let (data, name) = try dataset(datasetExpr) else { return }
        // Built from the models as they are now (the REPL may have redefined one since training).
        let trainer = models[entry.encoder]?.instance.flatMap { encoder in
            models[entry.decoder]?.instance.map { decoder in
                VAETrainer(encoder: encoder, decoder: decoder, configuration: VAEConfiguration(
                    name: entry.name.name, variational: entry.variational, reconstruction: entry.reconstruction, beta: entry.beta,
                    optimizer: entry.optimizer, epochs: 0, batchSize: 128, seed: options.seed))
            }
        }
        guard let trainer else { return }
        let losses = trainer.evaluate(on: data)
        console.line("evaluate \(entry.name.name) on \(name): " + VAEReporter.describe(losses, variational: entry.variational)
                     + " (\(losses.samples) samples)")
        options.log?.write(EventLog.evaluateEvent(model: entry.name.name, dataset: name, loss: losses.loss,
                                                  metrics: [("reconstruction", losses.reconstruction), ("kl", losses.divergence)]))
    }
}

final class VAEReporter: VAEObserver {
    let console: Console
    let log: EventLog?
    let name: String
    let variational: Bool
    let afterEpoch: (Int) -> Void

    init(console: Console, log: EventLog?, name: String, variational: Bool, afterEpoch: @escaping (Int) -> Void) {
        self.console = console
        self.log = log
        self.name = name
        self.variational = variational
        self.afterEpoch = afterEpoch
    }

    static func describe(_ losses: VAELosses, variational: Bool) -> String {
        variational
            ? "loss \(formatMetric(losses.loss)) reconstruction \(formatMetric(losses.reconstruction)) kl \(formatMetric(losses.divergence)) (per sample)"
            : "loss \(formatMetric(losses.loss)) (reconstruction per sample)"
    }

    func epochFinished(name: String, epoch: Int, epochs: Int, losses: VAELosses, seconds: Double) {
        console.line("\(name) epoch \(epoch)/\(epochs): " + VAEReporter.describe(losses, variational: variational)
                     + " (\(String(format: "%.2f", seconds)) s)")
        log?.write(EventLog.epochEvent(model: name, epoch: epoch, loss: losses.loss,
                                       metrics: [("reconstruction", losses.reconstruction), ("kl", losses.divergence)],
                                       seconds: seconds))
        afterEpoch(epoch)
    }
}

import Foundation
