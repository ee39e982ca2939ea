// Training you can trust, the driver's side: `--resume` (which checkpoint, what changed since,
// refusing one that does not fit), the message after Ctrl-C, the diagnostic for a NaN at its
// layer's source line, and the memory estimate. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    /// Where a `train` statement starts under `--resume`.
    enum ResumePoint {
        case start
        case resume(Checkpoint)
        /// The checkpoint finished the schedule: its weights are loaded, nothing to train.
        case finished
    }

    /// Each checkpoint directory belongs to one `train` statement, so `--resume` cannot mix them.
    func claimCheckpointDirectory(_ policy: CheckpointPolicy?, at range: SourceRange?) throws {
        guard let policy, let range, !options.allowRedefinition else { return }
        let key = canonicalDirectory(policy.directory)
        if let earlier = checkpointDirectories[key] {
            throw StatementFailure.diagnostics([.error(
                "duplicate-checkpoint", "checkpoint directory \"\(policy.directory)\" is already used by an earlier train statement",
                at: range, notes: [DiagnosticNote("used here", at: earlier)],
                help: "give each train statement its own directory, e.g. \"\(policy.directory)-2\"")])
        }
        checkpointDirectories[key] = range
    }

    private func canonicalDirectory(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." { parts.append(part) }
        return (path.hasPrefix("/") ? "/" : "") + parts.joined(separator: "/")
    }

    /// The newest valid checkpoint of `policy`'s directory for `--resume`; corrupt or truncated
    /// newer files are reported as warnings and skipped. Nil (said on the console) when none is valid.
    func newestCheckpoint(_ policy: CheckpointPolicy, training name: String,
                          statement: Statement) throws -> (Checkpoint, String)? {
        let search: CheckpointDirectory.Search
        do { search = try CheckpointDirectory(policy.directory, create: false).newest() } catch {
            throw StatementFailure.diagnostics([.error("checkpoint-error", "\(error)", at: statement.range)])
        }
        for rejected in search.rejected {
            let fallback = search.found.map { "falling back to \($0.path)" } ?? "no older checkpoint to fall back to"
            console.report([Diagnostic(.warning, id: "corrupt-checkpoint",
                                       "\(rejected.path): \(rejected.reason); not loaded, \(fallback)", at: nil)])
        }
        guard let found = search.found else {
            console.line("train \(name): no valid checkpoint in \(policy.directory); training from the start")
            return nil
        }
        return (found.checkpoint, found.path)
    }

    /// Under `--resume`: the newest valid checkpoint of the statement's directory, checked against
    /// the model and the optimizer, with each changed setting printed. Corrupt newer files are
    /// reported and skipped. Throws a diagnostic when the parameters or the optimizer changed.
    func resumePoint(_ configuration: TrainingConfiguration, model: LoweredModel, instance: ModelInstance,
                     data: Dataset, statement: Statement) throws -> ResumePoint {
        guard options.resume else { return .start }
        guard let policy = configuration.checkpoint else {
            console.line("train \(model.name): no 'checkpoint' setting, so nothing to resume; training from the start")
            return .start
        }
        guard let (checkpoint, path) = try newestCheckpoint(policy, training: model.name, statement: statement) else {
            return .start
        }
        try checkFit(checkpoint, path: path, model: model, configuration, statement: statement)
        let position = checkpoint.position
        if position.epochsDone >= configuration.epochs {
            try checkpoint.restoreWeights(into: instance)
            console.line("train \(model.name): already finished: \(position.epochsDone) of \(configuration.epochs) epochs done "
                         + "(\(path)); loaded its weights")
            console.line("  to train longer, raise epochs (e.g. epochs: \(max(configuration.epochs, position.epochsDone) * 2)) "
                         + "and run with --resume again")
            return .finished
        }
        let epoch = position.epochsBefore + position.epochsDone + 1
        let place = position.batchIndex == 0 ? "epoch \(epoch)" : "epoch \(epoch), step \(position.batchIndex + 1)"
        console.line("train \(model.name): resuming from \(path) at \(place) "
                     + "(\(position.epochsDone) of \(configuration.epochs) epochs done)")
        if checkpoint.modelHash != Fingerprint.model(model) {
            console.line("  the layers changed since the checkpoint; its parameters still fit")
        }
        let changes = Fingerprint.changes(from: checkpoint.settings, to: Fingerprint.settings(configuration, data: data))
        for change in changes {
            console.line("  \(change.key) \(change.old) -> \(change.new) at \(place)")
        }
        options.log?.write(["event": "resume", "model": .string(model.name), "checkpoint": .string(path),
                            "epoch": .int(epoch), "step": .int(position.batchIndex),
                            "changes": .array(changes.map { ["setting": .string($0.key), "from": .string($0.old), "to": .string($0.new)] })])
        return .resume(checkpoint)
    }

    /// Refuses a checkpoint whose parameters or optimizer state do not fit, listing why.
    private func checkFit(_ checkpoint: Checkpoint, path: String, model: LoweredModel,
                          _ configuration: TrainingConfiguration, statement: Statement) throws {
        let problems = checkpoint.parameterMismatches(model)
        if !problems.isEmpty {
            throw StatementFailure.diagnostics([.error(
                "checkpoint-mismatch", "cannot resume training '\(model.name)' from \(path): the model's parameters changed",
                at: statement.range,
                notes: problems.map { DiagnosticNote($0) } + [DiagnosticNote("model '\(model.name)' defined here", at: model.declaration.name.range)],
                help: "restore the model's shapes, or train from the start: without --resume, or with a new checkpoint directory")])
        }
        let kind = configuration.optimizer.kind.name
        if checkpoint.optimizerKind != kind {
            throw StatementFailure.diagnostics([.error(
                "checkpoint-mismatch", "cannot resume training '\(model.name)' from \(path): it holds \(checkpoint.optimizerKind) state "
                    + "but the optimizer is now \(kind)",
                at: statement.range,
                help: "use the optimizer the checkpoint was trained with, or train from the start without --resume")])
        }
    }

    /// What Ctrl-C left behind and how to continue.
    func interruptionMessage(_ interruption: TrainingInterrupted, _ configuration: TrainingConfiguration,
                             statement: Statement) -> String {
        interruptionMessage(interruption, checkpoint: configuration.checkpoint, statement: statement)
    }

    func interruptionMessage(_ interruption: TrainingInterrupted, checkpoint policy: CheckpointPolicy?,
                             statement: Statement) -> String {
        let program = statement.range.file.name
        var lines = ["nnet: \(interruption)"]
        if options.repl {
            lines.append(contentsOf: replInterruptionHelp(interruption, policy: policy))
        } else if let path = interruption.checkpoint {
            lines.append("saved a checkpoint: \(path)")
            lines.append("to continue, run: nnet run \(program) --resume (with the same other options)")
        } else if let failure = interruption.saveError {
            lines.append("the checkpoint could not be saved: \(failure)")
            if let policy {
                lines.append("'--resume' would continue from the newest earlier checkpoint in \(policy.directory)")
            }
        } else {
            lines.append("nothing was saved: this train statement has no 'checkpoint' setting")
            lines.append("help: add checkpoint: \"runs/\(interruption.model)\" to its settings to make training resumable")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// In the REPL: the model keeps the weights of its last step, and `:resume` continues.
    private func replInterruptionHelp(_ interruption: TrainingInterrupted, policy: CheckpointPolicy?) -> [String] {
        var lines = ["the weights of the last completed step are kept; every definition is intact"]
        if let path = interruption.checkpoint {
            lines.append("saved a checkpoint: \(path)")
            lines.append("to continue exactly where it stopped, enter :resume (runs the interrupted train statement again from its checkpoint)")
        } else {
            if let failure = interruption.saveError { lines.append("the checkpoint could not be saved: \(failure)") }
            if let policy, interruption.saveError != nil {
                lines.append(":resume would continue from the newest earlier checkpoint in \(policy.directory)")
            } else {
                lines.append("to train on from these weights (with a fresh optimizer), enter the train statement again; "
                             + "with checkpoint: \"runs/\(interruption.model)\" in its settings, :resume continues exactly")
            }
        }
        return lines
    }

    /// A NaN/Inf fault as a diagnostic at the layer where it appeared, at the dataset for bad data,
    /// at the statement otherwise (the loss).
    func faultDiagnostic(_ fault: NumericalFault, model: LoweredModel, _ configuration: TrainingConfiguration,
                         statement: Statement, data: SourceRange) -> Diagnostic {
        faultDiagnostic(fault, model: model, checkpoint: configuration.checkpoint, statement: statement, data: data)
    }

    func faultDiagnostic(_ fault: NumericalFault, model: LoweredModel, checkpoint: CheckpointPolicy?,
                         statement: Statement, data: SourceRange) -> Diagnostic {
        var notes: [DiagnosticNote] = []
        var layerRange = fault.layer.map { model.layers[$0].declaration.range }
        if fault.tensor == .inputData || fault.tensor == .targetData { layerRange = data }
        if layerRange != nil { notes.append(DiagnosticNote("while training '\(fault.pairing?.name ?? model.name)' here", at: statement.range)) }
        if let policy = checkpoint {
            notes.append(DiagnosticNote("the last good checkpoint in \(policy.directory) was kept (nothing with NaN is saved)"))
        }
        return .error("non-finite-value", fault.description, at: layerRange ?? statement.range, notes: notes, help: fault.advice)
    }

    // MARK: - Memory

    /// `nnet check`: one line with the memory a `train` statement will need (data not counted).
    func describeMemory(_ model: LoweredModel, _ configuration: TrainingConfiguration) {
        let targetShape = configuration.loss == .sparseCategoricalCrossEntropy ? [] : model.outputShape
        let batch = configuration.batchSize ?? 1
        let batchNote = configuration.batchSize == nil ? "; gd's batch is the whole dataset, so activations grow with it" : ""
        let graph = GraphBuilder.training(model, loss: configuration.loss, targetShape: targetShape)
        guard Interpreter.planningBounds(graph, batch: batch).bytes < Interpreter.plannableBytes else {
            console.line("train \(model.name): memory more than 1 EiB for batch \(batch), data not counted\(batchNote)")
            return
        }
        let estimate = MemoryEstimate.training(model, loss: configuration.loss, targetShape: targetShape,
                                               batch: batch, optimizer: configuration.optimizer)
        console.line("train \(model.name): memory \(estimate.description), data not counted\(batchNote)")
    }

    /// Upper bounds of the bytes of the training step's buffers for `batch` rows and of its FLOPs,
    /// computed in Double so that callers can keep the planner's `Int` arithmetic far from
    /// overflow: `nnet check` has no data to bound the batch (`batch: 99999999999999`), and an
    /// absurd but valid convolution's im2col scratch reaches 2^62 floats per row (both found by
    /// the fuzzer). Bytes: every output plus every node's saved state and scratch (the last two
    /// taken as linear in the batch). FLOPs: each of those elements costs at most 2 per element of
    /// the node's largest input (a row of it, or every row for a node that sums over the batch).
    static func planningBounds(_ graph: Graph, batch: Int) -> (bytes: Double, flops: Double) {
        let rows = Double(max(batch, 1))
        var floats = 0.0, flops = 0.0
        for node in graph.nodes {
            let output = (node.isBatched ? rows : 1) * Double(node.outputElements(batch: 1))
            let extra = rows * (Double(node.stateElements(batch: 1, in: graph)) + Double(node.workspaceElements(batch: 1, in: graph)))
            let widestInput = node.inputs.map { Double(graph[$0].outputElements(batch: 1)) }.max() ?? 1
            let summedRows = !node.isBatched && node.inputs.contains { graph[$0].isBatched } ? rows : 1
            floats += output + extra
            flops += 2 * (output * summedRows + extra) * widestInput
        }
        return (4 * floats, flops)
    }

    /// Buffers the planner can size in `Int` floats with room to spare: under an exabyte.
    static let plannableBytes = 0x1p60

    /// Stops a run that cannot fit in physical memory before its buffers are allocated.
    func guardMemory(_ model: LoweredModel, _ configuration: TrainingConfiguration, data: Dataset, validation: Dataset?,
                     statement: Statement) throws {
        let batch = min(configuration.batchSize ?? data.count, data.count)
        let estimate = MemoryEstimate.training(
            model, loss: configuration.loss, targetShape: data.targetShape, batch: batch, optimizer: configuration.optimizer,
            dataBytes: data.storage.byteCount + 4 * data.targets.count, validationSamples: validation?.count,
            useReference: options.useReference)
        guard let physical = MemoryEstimate.physicalMemory, estimate.total > physical else { return }
        throw StatementFailure.diagnostics([.error(
            "insufficient-memory",
            "training '\(model.name)' needs \(estimate.description), more than this machine's \(MemoryEstimate.format(physical))",
            at: statement.range, help: "use a smaller batch or a smaller model")])
    }
}

extension Interpreter {
    /// A model whose parameters alone exceed physical memory is refused before they are allocated.
    func guardParameterMemory(_ model: LoweredModel) throws {
        guard let physical = MemoryEstimate.physicalMemory else { return }
        let (bytes, overflow) = model.parameterCount.multipliedReportingOverflow(by: 4)
        guard overflow || bytes > physical else { return }
        throw StatementFailure.diagnostics([.error(
            "insufficient-memory",
            "model '\(model.name)' has \(ModelSummary.grouped(model.parameterCount)) parameters "
                + "(\(overflow ? "too many bytes to count" : MemoryEstimate.format(bytes))), "
                + "more than this machine's \(MemoryEstimate.format(physical)) of memory",
            at: model.declaration.name.range, help: "use fewer or smaller layers")])
    }
}
