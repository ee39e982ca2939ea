// Connects the training loop to the terminal (live progress bar or one line per epoch) and
// to the JSON Lines event log; reports saved checkpoints (log) and skipped steps (warnings).
// Stage: driver.

import NNetSyntax
import NNetRuntime

final class TrainingReporter: TrainingObserver {
    private let display: ProgressDisplay
    private let console: Console
    private let log: EventLog?
    /// Print one epoch line in this many (the last epoch always prints); the log gets them all.
    private let every: Int
    private let model: String
    /// Skipped steps warned about on the terminal; later ones go to the log only.
    private var skippedSteps = 0
    static let skipWarnings = 5

    init(console: Console, log: EventLog?, every: Int = 1, model: String = "") {
        self.every = every
        self.console = console
        self.model = model
        display = ProgressDisplay(output: console.writeOut, isTTY: console.isTTY, width: { Terminal.width(of: 1) })
        self.log = log
    }

    var wantsStepProgress: Bool { display.isTTY }

    func stepFinished(_ progress: StepProgress) {
        display.update(TrainingProgress(progress))
    }

    func epochFinished(_ report: EpochReport) {
        let progress = TrainingProgress(
            model: report.model, epoch: report.epoch, epochs: report.epochs, step: 1, steps: 1, loss: report.loss,
            metrics: report.metrics, samplesPerSecond: Double(report.samples) / max(report.seconds, 1e-9),
            elapsed: report.seconds)
        if report.epoch % every == 0 || report.epoch == report.epochs {
            display.finishEpoch(progress, validation: report.validation.map { $0.map { ("val_" + $0.name, $0.value) } })
        } else {
            display.clearLine()
        }
        log?.write(EventLog.epochEvent(model: report.model, epoch: report.epoch, loss: report.loss, metrics: report.metrics,
                                       validation: report.validation, seconds: report.seconds))
    }

    func trainingEvent(_ event: TrainingEvent) {
        switch event {
        case .checkpointSaved(let path, let epoch, let step):
            log?.write(["event": "checkpoint", "model": .string(model), "path": .string(path), "epoch": .int(epoch),
                        "step": .int(step)])
        case .checkpointFailed(let error):
            warn("checkpoint-failed", "could not save a checkpoint: \(error); training goes on")
        case .stepSkipped(let fault):
            skippedSteps += 1
            log?.write(["event": "skipped", "model": .string(model), "epoch": .int(fault.epoch), "step": .int(fault.step),
                        "reason": .string(fault.what)])
            guard skippedSteps <= Self.skipWarnings else { return }
            let more = skippedSteps == Self.skipWarnings ? " (further skipped steps are logged only)" : ""
            warn("step-skipped", "skipped epoch \(fault.epoch), step \(fault.step): \(fault.what)\(more)")
        }
    }

    /// Ends a half-drawn progress line before an error is printed.
    func abandonLine() { display.clearLine() }

    private func warn(_ id: String, _ message: String) {
        display.clearLine()
        console.report([Diagnostic(.warning, id: id, message, at: nil)])
    }
}

extension TrainingProgress {
    init(_ progress: StepProgress) {
        self.init(model: progress.model, epoch: progress.epoch, epochs: progress.epochs, step: progress.step,
                  steps: progress.steps, loss: progress.loss, metrics: progress.metrics,
                  samplesPerSecond: progress.samplesPerSecond, elapsed: progress.elapsed)
    }
}
