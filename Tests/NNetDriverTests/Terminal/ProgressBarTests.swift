// Tests of the training progress display: number formats, line fitting, throttling, and the
// plain per-epoch lines written when output is not a terminal.

import Testing
import NNetDriver

@Suite struct ProgressFormattingTests {
    @Test(arguments: [
        (0.41234, "0.4123"), (2.302585, "2.3026"), (0.0, "0.0000"), (1.0, "1.0000"),
        (0.00123456, "0.0012"), (0.00099996, "1.000e-03"), (-0.5, "-0.5000"), (12345.67891, "12345.6789"),
        (0.000012345, "1.235e-05"), (0.0001, "1.000e-04"), (123456.0, "1.235e+05"),
        (-0.00002, "-2.000e-05"), (9.9996e-5, "1.000e-04"), (1e300, "1.000e+300"),
        (Double.nan, "nan"), (Double.infinity, "inf"), (-Double.infinity, "-inf"),
    ])
    func numbers(value: Double, expected: String) {
        #expect(ProgressDisplay.formatNumber(value) == expected)
    }

    @Test(arguments: [
        (0.0, "0:00"), (12.0, "0:12"), (59.4, "0:59"), (59.6, "1:00"), (725.0, "12:05"),
        (3599.0, "59:59"), (3600.0, "1:00:00"), (3723.0, "1:02:03"), (360_000.0, "100:00:00"),
        (-1.0, "-:--"), (Double.nan, "-:--"), (Double.infinity, "-:--"),
    ])
    func durations(seconds: Double, expected: String) {
        #expect(ProgressDisplay.formatDuration(seconds) == expected)
    }

    @Test func secondsAndRates() {
        #expect(ProgressDisplay.formatSeconds(3.2149) == "3.21 s")
        #expect(ProgressDisplay.formatSeconds(0.004) == "0.00 s")
        #expect(ProgressDisplay.formatSeconds(59.999) == "1:00")
        #expect(ProgressDisplay.formatSeconds(75) == "1:15")
        #expect(ProgressDisplay.formatRate(51234.4) == "51234")
        #expect(ProgressDisplay.formatRate(100) == "100")
        #expect(ProgressDisplay.formatRate(42.46) == "42.5")
        #expect(ProgressDisplay.formatRate(0) == "0.0")
        #expect(ProgressDisplay.formatRate(.nan) == "-")
    }

    @Test func bars() {
        #expect(ProgressDisplay.formatBar(fraction: 0, width: 10) == "[----------]")
        #expect(ProgressDisplay.formatBar(fraction: 0.5, width: 10) == "[#####-----]")
        #expect(ProgressDisplay.formatBar(fraction: 0.99, width: 10) == "[#########-]")
        #expect(ProgressDisplay.formatBar(fraction: 1, width: 10) == "[##########]")
        #expect(ProgressDisplay.formatBar(fraction: 7, width: 4) == "[####]")
        #expect(ProgressDisplay.formatBar(fraction: .nan, width: 4) == "[----]")
    }
}

@Suite struct ProgressLineTests {
    static let sample = TrainingProgress(
        model: "classifier", epoch: 2, epochs: 5, step: 1234, steps: 1875, loss: 0.41234,
        metrics: [("accuracy", 0.85123)], samplesPerSecond: 51234, elapsed: 24.68)

    @Test func wideTerminalShowsEverything() {
        let line = ProgressDisplay.formatLine(Self.sample, width: 200)
        let bar = "[" + String(repeating: "#", count: 19) + String(repeating: "-", count: 11) + "]"
        #expect(line == "classifier epoch 2/5 \(bar) 1234/1875 loss 0.4123 accuracy 0.8512 | 51234 samples/s | ETA 0:13")
    }

    @Test func counterIsPaddedSoTheLineDoesNotJitter() {
        var progress = Self.sample
        progress.step = 7
        #expect(ProgressDisplay.formatLine(progress, width: 200).contains("]    7/1875 loss"))
    }

    @Test func etaIsUnknownBeforeTheFirstStep() {
        var progress = Self.sample
        progress.step = 0
        #expect(ProgressDisplay.formatLine(progress, width: 200).hasSuffix("| ETA -:--"))
    }

    @Test(arguments: [200, 120, 100, 80, 60, 50, 40, 30, 20, 12, 5, 1, 0])
    func lineNeverReachesTheLastColumn(width: Int) {
        let line = ProgressDisplay.formatLine(Self.sample, width: width,
                                              validation: [("loss", 0.45), ("accuracy", 0.84)])
        #expect(line.count <= max(width - 1, 1))
        #expect(!line.contains("\n") && !line.contains("\r"))
        if width >= 12 { #expect(line.contains("epoch 2/5")) }
    }

    @Test func barShrinksBeforeTextIsDropped() {
        let full = ProgressDisplay.formatLine(Self.sample, width: 200)
        let textLength = full.count - 32  // the bar is 30 cells and 2 brackets at most
        let line = ProgressDisplay.formatLine(Self.sample, width: textLength + 1 + 12)
        #expect(line.contains("[" + String(repeating: "#", count: 6)))
        #expect(line.contains("samples/s") && line.contains("classifier") && line.contains("accuracy"))
        #expect(line.count == textLength + 12)
    }

    @Test func narrowTerminalDropsRateThenModelThenMetricsThenBar() {
        let at80 = ProgressDisplay.formatLine(Self.sample, width: 80)
        #expect(!at80.contains("samples/s"))
        #expect(at80.contains("classifier") && at80.contains("accuracy") && at80.contains("ETA"))
        #expect(ProgressDisplay.formatLine(Self.sample, width: 70)
                == "epoch 2/5 [#####---] 1234/1875 loss 0.4123 accuracy 0.8512 | ETA 0:13")
        #expect(ProgressDisplay.formatLine(Self.sample, width: 60)
                == "epoch 2/5 [#########-----] 1234/1875 loss 0.4123 | ETA 0:13")
        #expect(ProgressDisplay.formatLine(Self.sample, width: 50) == "epoch 2/5 1234/1875 loss 0.4123 | ETA 0:13")
        #expect(ProgressDisplay.formatLine(Self.sample, width: 40) == "epoch 2/5 1234/1875 loss 0.4123")
        #expect(ProgressDisplay.formatLine(Self.sample, width: 30) == "epoch 2/5 loss 0.4123")
        #expect(ProgressDisplay.formatLine(Self.sample, width: 20) == "epoch 2/5")
        #expect(ProgressDisplay.formatLine(Self.sample, width: 6) == "epoch")
    }

    @Test func manyMetricsGoLastFirstAndAllBeforeTheBar() {
        var progress = Self.sample
        progress.model = ""
        progress.metrics = [("a", 0.1), ("b", 0.2), ("c", 0.3)]
        let validation: [(name: String, value: Double)] = [("a", 0.4), ("b", 0.5)]
        let lines = (40...140).map { ProgressDisplay.formatLine(progress, width: $0, validation: validation) }
        let kept = ["val_b", "val_a", " c 0", " b 0", " a 0"].map { part in lines.firstIndex { $0.contains(part) }! }
        #expect(kept == kept.sorted(by: >))  // each needs more room than the one named after it
        let withBar = lines.firstIndex { $0.contains("[") }!
        #expect(withBar < kept.last!)  // the bar comes back before the first metric
        #expect(!lines[kept.last! - 1].contains(" a 0") && lines[kept.last! - 1].contains("[#"))
    }

    @Test func finishedLineShowsTheEpochTimeAndValidation() {
        var progress = Self.sample
        progress.step = progress.steps
        let line = ProgressDisplay.formatLine(progress, width: 300, validation: [("loss", 0.45)], finished: true)
        #expect(line.hasSuffix("1875/1875 loss 0.4123 accuracy 0.8512 val_loss 0.4500 | 51234 samples/s | 24.68 s"))
    }

    @Test func epochLineForLogs() {
        var progress = Self.sample
        progress.step = progress.steps
        progress.elapsed = 3.2149
        progress.samplesPerSecond = 18690.4
        let line = ProgressDisplay.formatEpochLine(progress, validation: [("loss", 0.45), ("val_accuracy", 0.84)])
        #expect(line == "classifier epoch 2/5: loss 0.4123 accuracy 0.8512 val_loss 0.4500 val_accuracy 0.8400 (3.21 s, 18690 samples/s)")
        progress.model = ""
        progress.metrics = []
        #expect(ProgressDisplay.formatEpochLine(progress) == "epoch 2/5: loss 0.4123 (3.21 s, 18690 samples/s)")
    }
}

@Suite struct ProgressDisplayTests {
    /// A display writing to a string, with a clock the test moves by hand.
    final class Harness {
        let output = StringOutput()
        var now = 100.0
        lazy var display = ProgressDisplay(output: { [output] in output.write($0) }, isTTY: isTTY,
                                           width: { 100 }, clock: { [unowned self] in self.now })
        let isTTY: Bool
        init(isTTY: Bool) { self.isTTY = isTTY }
    }

    static func progress(step: Int, steps: Int = 10, epoch: Int = 1) -> TrainingProgress {
        TrainingProgress(model: "m", epoch: epoch, epochs: 2, step: step, steps: steps, loss: 0.5,
                         metrics: [], samplesPerSecond: 1000, elapsed: Double(step))
    }

    @Test func terminalRedrawsAreThrottledButTheLastStepIsAlwaysDrawn() {
        let harness = Harness(isTTY: true)
        harness.display.update(Self.progress(step: 1))       // drawn: first
        harness.now += 0.05
        harness.display.update(Self.progress(step: 2))       // skipped: too soon
        harness.now += 0.06
        harness.display.update(Self.progress(step: 3))       // drawn: 0.11 s later
        harness.now += 0.01
        harness.display.update(Self.progress(step: 10))      // drawn: last step
        let draws = harness.output.text.split(separator: "\r")
        #expect(draws.count == 3)
        #expect(draws[0].contains(" 1/10 ") && draws[1].contains(" 3/10 ") && draws[2].contains("10/10 "))
        #expect(draws.allSatisfy { $0.hasSuffix("\u{1B}[K") })
        #expect(!harness.output.text.contains("\n"))
    }

    @Test func aNewEpochIsDrawnAtOnce() {
        let harness = Harness(isTTY: true)
        harness.display.update(Self.progress(step: 1, epoch: 1))
        harness.display.update(Self.progress(step: 1, epoch: 2))
        #expect(harness.output.text.split(separator: "\r").count == 2)
    }

    @Test func finishingAnEpochOnATerminalEndsTheLine() {
        let harness = Harness(isTTY: true)
        harness.display.update(Self.progress(step: 5))
        harness.display.finishEpoch(Self.progress(step: 10), validation: [("accuracy", 0.9)])
        let text = harness.output.text
        #expect(text.hasSuffix("val_accuracy 0.9000 | 1000 samples/s | 10.00 s\u{1B}[K\n"))
        #expect(text.filter { $0 == "\n" }.count == 1)
    }

    @Test func clearLineErasesOnlyAVisibleLine() {
        let harness = Harness(isTTY: true)
        harness.display.clearLine()
        #expect(harness.output.text.isEmpty)
        harness.display.update(Self.progress(step: 1))
        harness.display.clearLine()
        #expect(harness.output.text.hasSuffix("\r\u{1B}[K"))
        harness.now += 0.01
        harness.display.update(Self.progress(step: 2))  // drawn again though soon after
        #expect(harness.output.text.hasSuffix(" 2/10 loss 0.5000 | 1000 samples/s | ETA 0:08\u{1B}[K"))
    }

    @Test func notATerminalPrintsOnePlainLinePerEpoch() {
        let harness = Harness(isTTY: false)
        for epoch in 1...2 {
            for step in 1...10 {
                harness.now += 0.5
                harness.display.update(Self.progress(step: step, epoch: epoch))
            }
            harness.display.finishEpoch(Self.progress(step: 10, epoch: epoch), validation: nil)
        }
        harness.display.clearLine()
        #expect(harness.output.text == """
            m epoch 1/2: loss 0.5000 (10.00 s, 1000 samples/s)
            m epoch 2/2: loss 0.5000 (10.00 s, 1000 samples/s)

            """)
    }

    @Test func streamInitWritesToTheStream() {
        let output = StringOutput()
        let display = ProgressDisplay(output: output, isTTY: false, width: 80)
        display.finishEpoch(Self.progress(step: 10))
        #expect(output.text == "m epoch 1/2: loss 0.5000 (10.00 s, 1000 samples/s)\n")
    }
}
