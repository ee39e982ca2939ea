// `train`, `evaluate` and `predict` statements: settings, optimizers, compatibility checks,
// progress and the event log. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    static let trainSettings = Signature("train", [
        ParameterSpec("loss", expects: LossKind.allCases.map(\.rawValue).joined(separator: ", "), required: true),
        ParameterSpec("optimizer", expects: "gd(lr: …), sgd(lr: …, momentum: …, nesterov: …) or adam(lr: …)"),
        ParameterSpec("epochs", expects: "a positive integer"),
        ParameterSpec("batch", expects: "samples per step (gd uses the whole dataset)"),
        ParameterSpec("seed", expects: "an integer seed for shuffling and dropout"),
        ParameterSpec("shuffle", expects: "true or false"),
        ParameterSpec("metrics", expects: "a list such as [accuracy]"),
        ParameterSpec("validation", expects: "a dataset such as data.test, evaluated after each epoch"),
        ParameterSpec("report_every", expects: "print one line every N epochs (the log gets every epoch)"),
        ParameterSpec("checkpoint", expects: "a directory for checkpoints, such as \"runs/classifier\""),
        ParameterSpec("checkpoint_every", expects: "save a checkpoint every N epochs"),
        ParameterSpec("checkpoint_steps", expects: "also save a checkpoint every N steps"),
        ParameterSpec("keep", expects: "how many of the newest checkpoints to keep"),
        ParameterSpec("on_nan", expects: "stop or skip: what a step with NaN or infinite values does"),
        ParameterSpec("clip_norm", expects: "a positive number: the largest global norm of the gradients"),
        ParameterSpec("clip_value", expects: "a positive number: the largest magnitude of a gradient element"),
    ])

    static let optimizers: [String: Signature] = [
        "gd": Signature("optimizer 'gd'", [ParameterSpec("lr", expects: "a positive learning rate", positional: true)]),
        "sgd": Signature("optimizer 'sgd'", [
            ParameterSpec("lr", expects: "a positive learning rate", positional: true),
            ParameterSpec("momentum", expects: "a number in [0, 1)"),
            ParameterSpec("nesterov", expects: "true or false"),
        ]),
        "adam": Signature("optimizer 'adam'", [
            ParameterSpec("lr", expects: "a positive learning rate", positional: true),
            ParameterSpec("beta1", expects: "a number in [0, 1)"),
            ParameterSpec("beta2", expects: "a number in [0, 1)"),
            ParameterSpec("epsilon", expects: "a small positive number"),
        ]),
    ]

    func train(_ modelName: Identifier, on datasetExpr: Expr, settings: [Setting], statement: Statement) throws {
        if let gan = gans[modelName.name] { return try trainGAN(gan, on: datasetExpr, settings: settings, statement: statement) }
        if let vae = vaes[modelName.name] { return try trainVAE(vae, on: datasetExpr, settings: settings, statement: statement) }
        var entry = try modelEntry(modelName)
        let configuration: TrainingConfiguration
        let reportEvery: Int
        var validationExpr: Expr?
        var checkpointRange: SourceRange?
        do throws(Diagnostic) {
            var arguments: [EvaluatedArgument] = []
            for setting in settings {
                if setting.key.name == "validation" {
                    validationExpr = setting.value
                    arguments.append(EvaluatedArgument(label: setting.key, value: Value(.symbol("_"), range: setting.value.range)))
                    continue
                }
                arguments.append(EvaluatedArgument(label: setting.key, value: try Evaluator.evaluate(setting.value, in: constants)))
            }
            let bound = try Binder.bind(arguments, to: Interpreter.trainSettings, at: statement.range)
            configuration = try trainingConfiguration(bound)
            reportEvery = try bound.integer("report_every", default: 1, minimum: 1)
            checkpointRange = bound["checkpoint"]?.range
        } catch {
            throw StatementFailure.diagnostics([error])
        }
        let data = try dataset(datasetExpr)
        let validation = try validationExpr.map { try dataset($0) } ?? nil
        entry.loss = configuration.loss
        entry.metrics = configuration.metrics
        models[modelName.name] = entry
        try claimCheckpointDirectory(configuration.checkpoint, at: checkpointRange)
        if options.checkOnly {
            describeTrainingGraph(entry.lowered, loss: configuration.loss)
            return describeMemory(entry.lowered, configuration)
        }
        guard let (trainData, trainName) = data, let instance = entry.instance else { return }
        try checkCompatibility(entry.lowered, configuration.loss, trainData, trainName, at: datasetExpr.range)
        if let validation, let validationExpr {
            try checkCompatibility(entry.lowered, configuration.loss, validation.data, validation.name, at: validationExpr.range)
        }
        try guardMemory(entry.lowered, configuration, data: trainData, validation: validation?.data, statement: statement)
        let checkpoint: Checkpoint?
        switch try resumePoint(configuration, model: entry.lowered, instance: instance, data: trainData, statement: statement) {
        case .start: checkpoint = nil
        case .resume(let found): checkpoint = found
        case .finished: return
        }
        let reporter = TrainingReporter(console: console, log: options.log, every: reportEvery, model: modelName.name)
        let trainer = Trainer(instance: instance, configuration: configuration, useReference: options.useReference)
        do {
            try trainer.train(on: trainData, validation: validation?.data, observer: reporter, resumingFrom: checkpoint)
        } catch let fault as NumericalFault {
            reporter.abandonLine()
            throw StatementFailure.numeric(faultDiagnostic(fault, model: entry.lowered, configuration, statement: statement,
                                                           data: datasetExpr.range))
        } catch let interruption as TrainingInterrupted {
            reporter.abandonLine()
            Interruption.reset()
            throw StatementFailure.interrupted(interruptionMessage(interruption, configuration, statement: statement))
        } catch let error as CheckpointError {
            reporter.abandonLine()
            throw StatementFailure.diagnostics([.error("checkpoint-error", "\(error)", at: checkpointRange ?? statement.range)])
        } catch {
            reporter.abandonLine()
            throw StatementFailure.diagnostics([.error("data-error", "\(error)", at: datasetExpr.range)])
        }
    }

    private func trainingConfiguration(_ bound: BoundArguments) throws(Diagnostic) -> TrainingConfiguration {
        let loss = LossKind(rawValue: try bound.symbol("loss", choices: LossKind.allCases.map(\.rawValue)))!
        var optimizer = try optimizerSettings(bound["optimizer"])
        let epochs = try bound.integer("epochs", default: 1, minimum: 1)
        var batch: Int? = try bound.integer("batch", default: 32, minimum: 1)
        if optimizer.kind == .gd {
            if let given = bound["batch"] {
                throw .error("invalid-argument", "gd uses the whole dataset in every step, so it takes no 'batch'", at: given.range,
                             help: "use sgd(lr: …) for mini-batches")
            }
            batch = nil
        }
        let seed = UInt64(try bound.integer("seed", default: Int(options.seed % 1_000_000_007), minimum: 0))
        let shuffle = try bound.bool("shuffle", default: true)
        if bound.has("clip_norm") { optimizer.clipNorm = Float(try bound.number("clip_norm", in: 1e-12...1e30)) }
        if bound.has("clip_value") { optimizer.clipValue = Float(try bound.number("clip_value", in: 1e-12...1e30)) }
        let onNonFinite = try nonFinitePolicy(bound)
        var metrics: [Metric] = []
        if let value = bound["metrics"] {
            let items: [Value]
            if case .list(let list) = value.kind { items = list } else { items = [value] }
            for item in items {
                let name = try BoundArguments.symbol(item, choices: Metric.allCases.map(\.rawValue), what: "metric")
                metrics.append(Metric(rawValue: name)!)
            }
        }
        return TrainingConfiguration(loss: loss, optimizer: optimizer, epochs: epochs, batchSize: batch, seed: seed,
                                     shuffle: shuffle, metrics: metrics, onNonFinite: onNonFinite,
                                     checkpoint: try checkpointPolicy(bound))
    }

    /// `on_nan: stop|skip` (default stop).
    func nonFinitePolicy(_ bound: BoundArguments) throws(Diagnostic) -> NonFinitePolicy {
        NonFinitePolicy(rawValue: try bound.symbol("on_nan", choices: NonFinitePolicy.allCases.map(\.rawValue),
                                                   default: NonFinitePolicy.stop.rawValue))!
    }

    /// `checkpoint: "runs/m"` with `checkpoint_every`, `checkpoint_steps` and `keep`, which need it.
    func checkpointPolicy(_ bound: BoundArguments) throws(Diagnostic) -> CheckpointPolicy? {
        guard bound.has("checkpoint") else {
            for key in ["checkpoint_every", "checkpoint_steps", "keep"] where bound.has(key) {
                throw .error("missing-checkpoint", "'\(key)' needs a checkpoint directory", at: bound[key]!.range,
                             help: "add checkpoint: \"runs/NAME\" to the settings")
            }
            return nil
        }
        let directory = try bound.string("checkpoint")
        guard !directory.isEmpty else {
            throw .error("invalid-argument", "'checkpoint' needs a directory name", at: bound["checkpoint"]!.range)
        }
        return CheckpointPolicy(
            directory: directory, everyEpochs: try bound.integer("checkpoint_every", default: 1, minimum: 1),
            everySteps: bound.has("checkpoint_steps") ? try bound.integer("checkpoint_steps", minimum: 1) : nil,
            keep: try bound.integer("keep", default: 3, minimum: 1))
    }

    /// `adam`, `adam(lr: 0.001)`, `sgd(0.1, momentum: 0.9)`, `gd(lr: 0.5)`.
    func optimizerSettings(_ value: Value?) throws(Diagnostic) -> OptimizerSettings {
        guard let value else { return OptimizerSettings(kind: .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8), learningRate: 0.001) }
        let name: Identifier
        var arguments: [EvaluatedArgument] = []
        switch value.kind {
        case .symbol(let s): name = Identifier(s, range: value.range)
        case .call(let callee, let args): name = callee; arguments = args
        default:
            throw .error("type-mismatch", "expected an optimizer such as adam(lr: 0.001), found \(value.kindName) '\(value)'", at: value.range)
        }
        guard let signature = Interpreter.optimizers[name.name] else {
            throw .error("unknown-optimizer", "unknown optimizer '\(name.name)'", at: name.range,
                         help: closestMatch(to: name.name, in: Array(Interpreter.optimizers.keys)).map { "did you mean '\($0)'?" }
                            ?? "optimizers: \(Interpreter.optimizers.keys.sorted().joined(separator: ", "))")
        }
        let bound = try Binder.bind(arguments, to: signature, at: value.range)
        let defaultRate = name.name == "adam" ? 0.001 : 0.01
        let lr = Float(try bound.number("lr", default: defaultRate, in: 1e-12...1e6))
        switch name.name {
        case "gd":
            return OptimizerSettings(kind: .gd, learningRate: lr)
        case "sgd":
            let momentum = Float(try bound.number("momentum", default: 0, in: 0...1, exclusiveUpper: true))
            let nesterov = try bound.bool("nesterov", default: false)
            if nesterov && momentum == 0 {
                throw .error("invalid-argument", "nesterov needs a momentum above 0", at: bound["nesterov"]!.range)
            }
            return OptimizerSettings(kind: .sgd(momentum: momentum, nesterov: nesterov), learningRate: lr)
        default:
            let beta1 = Float(try bound.number("beta1", default: 0.9, in: 0...1, exclusiveUpper: true))
            let beta2 = Float(try bound.number("beta2", default: 0.999, in: 0...1, exclusiveUpper: true))
            let epsilon = Float(try bound.number("epsilon", default: 1e-8, in: 0...1))
            return OptimizerSettings(kind: .adam(beta1: beta1, beta2: beta2, epsilon: epsilon), learningRate: lr)
        }
    }

    /// `check --dump ir` / `--plan`: the training step's graph, with the target shape the loss implies.
    func describeTrainingGraph(_ model: LoweredModel, loss: LossKind) {
        guard options.dumpIR || options.showPlan else { return }
        let targetShape = loss == .sparseCategoricalCrossEntropy ? [] : model.outputShape
        let graph = GraphBuilder.training(model, loss: loss, targetShape: targetShape)
        if options.dumpIR { console.writeOut(graph.dump(title: "training step of \(model.name)")) }
        guard options.showPlan else { return }
        let bounds = Interpreter.planningBounds(graph, batch: 32)
        guard bounds.bytes < Interpreter.plannableBytes, bounds.flops < 0x1p62 else {
            return console.line("plan: training step of \(model.name) not planned: it would need more than 1 EiB or 2^62 FLOPs for batch 32")
        }
        console.writeOut(PlanDescription.render(graph, model: model))
    }

    func checkCompatibility(_ model: LoweredModel, _ loss: LossKind?, _ data: Dataset, _ name: String,
                            at range: SourceRange) throws {
        if let problem = Compatibility.problem(model: model, loss: loss, dataset: data, datasetName: name) {
            throw StatementFailure.diagnostics([.error("data-mismatch", problem.message, at: range,
                                                       notes: [DiagnosticNote("model '\(model.name)' defined here", at: model.declaration.name.range)],
                                                       help: problem.help)])
        }
    }

    func evaluate(_ modelName: Identifier, on datasetExpr: Expr) throws {
        if let vae = vaes[modelName.name] { return try evaluateVAE(vae, on: datasetExpr) }
        let entry = try modelEntry(modelName)
        guard let (data, name) = try dataset(datasetExpr), let instance = entry.instance else { return }
        let loss = entry.loss ?? defaultLoss(entry.lowered, data)
        try checkCompatibility(entry.lowered, loss, data, name, at: datasetExpr.range)
        var metrics = entry.metrics
        if metrics.isEmpty, data.hasClassLabels || entry.lowered.finalActivation == .softmax { metrics = [.accuracy] }
        let result: EvaluationResult
        do {
            result = try Evaluation.evaluate(instance, on: data, loss: loss, metrics: metrics, useReference: options.useReference)
        } catch {
            throw StatementFailure.diagnostics([.error("data-error", "\(error)", at: datasetExpr.range)])
        }
        let parts = ["loss \(formatMetric(result.loss))"] + result.metrics.map { "\($0.name) \(formatMetric($0.value))" }
        console.line("evaluate \(modelName.name) on \(name): " + parts.joined(separator: " ") + " (\(result.samples) samples)")
        options.log?.write(EventLog.evaluateEvent(model: modelName.name, dataset: name, loss: result.loss,
                                                  metrics: result.metrics.map { ($0.name, $0.value) }))
    }

    /// The loss used to evaluate a model that was never trained.
    func defaultLoss(_ model: LoweredModel, _ data: Dataset) -> LossKind {
        if data.hasClassLabels { return (model.outputShape.last ?? 1) == 1 ? .binaryCrossEntropy : .sparseCategoricalCrossEntropy }
        return model.finalActivation == .softmax ? .categoricalCrossEntropy : .meanSquaredError
    }

    func predict(_ modelName: Identifier, on datasetExpr: Expr, arguments: [Argument], statement: Statement) throws {
        let entry = try modelEntry(modelName)
        let count: Int, summary: Bool
        do throws(Diagnostic) {
            let evaluated = try arguments.map { argument throws(Diagnostic) in
                EvaluatedArgument(label: argument.label, value: try Evaluator.evaluate(argument.value, in: constants))
            }
            let bound = try Binder.bind(evaluated, to: Signature("predict", [
                ParameterSpec("count", expects: "how many samples to show", positional: true),
                ParameterSpec("summary", expects: "true to print how the predicted classes spread instead of each sample"),
            ]), at: statement.range)
            count = try bound.integer("count", default: 5, minimum: 1)
            summary = try bound.bool("summary", default: false)
            if summary { try requireClassifier(entry.lowered, at: bound["summary"]!.range) }
        } catch {
            throw StatementFailure.diagnostics([error])
        }
        guard let (data, name) = try dataset(datasetExpr), let instance = entry.instance else { return }
        let labelled = !unlabelledDatasets.contains(name.split(separator: ".").first.map(String.init) ?? name)
        if labelled { try checkCompatibility(entry.lowered, nil, data, name, at: datasetExpr.range) }
        let outputs = Evaluation.predict(instance, on: data, count: count)
        if summary { return printClassSummary(outputs, model: modelName.name, dataset: name) }
        console.line("predict \(modelName.name) on \(name):")
        for (i, output) in outputs.enumerated() {
            let target = labelled ? Array(data.targets[i * max(data.targetSize, 1) ..< (i + 1) * max(data.targetSize, 1)]) : nil
            console.line("  [\(i)] " + describePrediction(output, target: target, model: entry.lowered, data: data))
        }
    }

    /// One sample's prediction, beside its target when the dataset has one.
    private func describePrediction(_ output: [Float], target: [Float]?, model: LoweredModel, data: Dataset) -> String {
        if output.count > 1, model.finalActivation == .softmax || data.classCount != nil {
            let best = output.indices.max { output[$0] < output[$1] } ?? 0
            let probability = model.finalActivation == .softmax ? String(format3(output[best])) : nil
            let label = target.map { target in
                ", label \(data.hasClassLabels ? Int(target[0]) : (target.indices.max { target[$0] < target[$1] } ?? 0))"
            }
            return "class \(best)" + (probability.map { " (p \($0))" } ?? "") + (label ?? "")
        }
        return "prediction \(formatValues(output))" + (target.map { ", target \(formatValues($0))" } ?? "")
    }
}

func formatMetric(_ value: Double) -> String {
    let magnitude = abs(value)
    if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e5) { return String(format: "%.4e", value) }
    return String(format: "%.4f", value)
}

func format3(_ value: Float) -> String { String(format: "%.3f", Double(value)) }

func formatValues(_ values: [Float]) -> String {
    "[" + values.prefix(10).map { String(format: "%.4f", Double($0)) }.joined(separator: ", ") + (values.count > 10 ? ", …" : "") + "]"
}

import Foundation
