// Connects the training loop to the terminal (live progress bar or one line per epoch) and
// to the JSON Lines event log. Stage: driver.

import NNetRuntime

final class TrainingReporter: TrainingObserver {
    private let display: ProgressDisplay
    private let log: EventLog?
    /// Print one epoch line in this many (the last epoch always prints); the log gets them all.
    private let every: Int

    init(console: Console, log: EventLog?, every: Int = 1) {
        self.every = every
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

    /// Ends a half-drawn progress line before an error is printed.
    func abandonLine() { display.clearLine() }
}

extension TrainingProgress {
    init(_ progress: StepProgress) {
        self.init(model: progress.model, epoch: progress.epoch, epochs: progress.epochs, step: progress.step,
                  steps: progress.steps, loss: progress.loss, metrics: progress.metrics,
                  samplesPerSecond: progress.samplesPerSecond, elapsed: progress.elapsed)
    }
}
