// Training you can trust for `gan`, `vae` and `autoencoder` pairings, the driver's side: their
// checkpoint and clipping settings, `--resume` (which checkpoint, what changed, refusing one that
// does not fit), and what a NaN, Ctrl-C or a bad checkpoint becomes. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    /// The settings a pairing's `train` shares with a model's (`checkpoint`, `clip_norm`, …).
    static let pairingTrustSettings = trainSettings.parameters.filter {
        ["checkpoint", "checkpoint_every", "checkpoint_steps", "keep", "clip_norm", "clip_value", "on_nan"].contains($0.name)
    }

    /// `optimizer` with the statement's `clip_norm` and `clip_value`, when given.
    func clipped(_ optimizer: OptimizerSettings, _ bound: BoundArguments) throws(Diagnostic) -> OptimizerSettings {
        var optimizer = optimizer
        if bound.has("clip_norm") { optimizer.clipNorm = Float(try bound.number("clip_norm", in: 1e-12...1e30)) }
        if bound.has("clip_value") { optimizer.clipValue = Float(try bound.number("clip_value", in: 1e-12...1e30)) }
        return optimizer
    }

    /// Under `--resume`: the newest valid checkpoint of a pairing's directory, checked with
    /// `problems`, with each changed setting printed; corrupt newer files are reported and
    /// skipped. A finished schedule loads its weights with `restoreWeights`.
    func resumePairing(_ name: String, policy: CheckpointPolicy?, settings: [(key: String, value: String)], epochs: Int,
                       modelHash: UInt64, statement: Statement, problems: (Checkpoint) -> [String],
                       restoreWeights: (Checkpoint) throws -> Void) throws -> ResumePoint {
        guard options.resume else { return .start }
        guard let policy else {
            console.line("train \(name): no 'checkpoint' setting, so nothing to resume; training from the start")
            return .start
        }
        guard let (checkpoint, path) = try newestCheckpoint(policy, training: name, statement: statement) else { return .start }
        let mismatches = problems(checkpoint)
        if !mismatches.isEmpty {
            throw StatementFailure.diagnostics([.error(
                "checkpoint-mismatch", "cannot resume training '\(name)' from \(path)", at: statement.range,
                notes: mismatches.map { DiagnosticNote($0) },
                help: "restore the models and settings, or train from the start: without --resume, or with a new checkpoint directory")])
        }
        let position = checkpoint.position
        if position.epochsDone >= epochs {
            do { try restoreWeights(checkpoint) } catch {
                throw StatementFailure.diagnostics([.error("checkpoint-error", "\(error)", at: statement.range)])
            }
            console.line("train \(name): already finished: \(position.epochsDone) of \(epochs) epochs done (\(path)); loaded its weights")
            console.line("  to train longer, raise epochs (e.g. epochs: \(max(epochs, position.epochsDone) * 2)) and run with --resume again")
            return .finished
        }
        let epoch = position.epochsBefore + position.epochsDone + 1
        let place = position.batchIndex == 0 ? "epoch \(epoch)" : "epoch \(epoch), step \(position.batchIndex + 1)"
        console.line("train \(name): resuming from \(path) at \(place) (\(position.epochsDone) of \(epochs) epochs done)")
        if checkpoint.modelHash != modelHash {
            console.line("  the layers changed since the checkpoint; its parameters still fit")
        }
        let changes = Fingerprint.changes(from: checkpoint.settings, to: settings)
        for change in changes {
            console.line("  \(change.key) \(change.old) -> \(change.new) at \(place)")
        }
        options.log?.write(["event": "resume", "model": .string(name), "checkpoint": .string(path),
                            "epoch": .int(epoch), "step": .int(position.batchIndex),
                            "changes": .array(changes.map { ["setting": .string($0.key), "from": .string($0.old), "to": .string($0.new)] })])
        return .resume(checkpoint)
    }

    /// What an error thrown by a pairing's training becomes: a NaN at its layer's source line
    /// (in whichever of `models` it appeared), the Ctrl-C message, a checkpoint or data error.
    func pairingFailure(_ error: Error, models: [LoweredModel], policy: CheckpointPolicy?, statement: Statement,
                        checkpointRange: SourceRange?, data: SourceRange) -> StatementFailure {
        switch error {
        case let fault as NumericalFault:
            let model = models.first { $0.name == fault.model } ?? models[0]
            var diagnostic = faultDiagnostic(fault, model: model, checkpoint: policy, statement: statement, data: data)
            if fault.layer != nil, fault.tensor != .inputData, fault.tensor != .targetData {
                diagnostic.notes.insert(DiagnosticNote("model '\(model.name)' defined here", at: model.declaration.name.range), at: 0)
            }
            return .numeric(diagnostic)
        case let interruption as TrainingInterrupted:
            Interruption.reset()
            return .interrupted(interruptionMessage(interruption, checkpoint: policy, statement: statement))
        case let error as CheckpointError:
            return .diagnostics([.error("checkpoint-error", "\(error)", at: checkpointRange ?? statement.range)])
        default:
            return .diagnostics([.error("data-error", "\(error)", at: data)])
        }
    }
}

/// Checkpoint events of a pairing's training: logged when saved, a warning when saving failed.
func reportCheckpointEvent(_ event: TrainingEvent, model: String, console: Console, log: EventLog?) {
    switch event {
    case .checkpointSaved(let path, let epoch, let step):
        log?.write(["event": "checkpoint", "model": .string(model), "path": .string(path), "epoch": .int(epoch), "step": .int(step)])
    case .checkpointFailed(let error):
        console.report([Diagnostic(.warning, id: "checkpoint-failed", "could not save a checkpoint: \(error); training goes on", at: nil)])
    case .stepSkipped(let fault):
        log?.write(["event": "skipped", "model": .string(model), "epoch": .int(fault.epoch), "step": .int(fault.step),
                    "reason": .string(fault.what)])
        console.report([Diagnostic(.warning, id: "step-skipped", "skipped epoch \(fault.epoch), step \(fault.step): \(fault.what)", at: nil)])
    }
}

extension GANReporter {
    func trainingEvent(_ event: TrainingEvent) {
        reportCheckpointEvent(event, model: entry.name.name, console: console, log: log)
    }
}

extension VAEReporter {
    func trainingEvent(_ event: TrainingEvent) {
        reportCheckpointEvent(event, model: name, console: console, log: log)
    }
}
