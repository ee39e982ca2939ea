// Live training progress: one redrawn line per epoch on a terminal, one plain line per epoch
// otherwise (logs, CI, pipes). Stage: driver, presentation; the runtime reports, this draws.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A snapshot of one training loop, reported after each step and at the end of each epoch.
public struct TrainingProgress: Sendable {
    /// The model being trained, as named in the program.
    public var model: String
    /// The current epoch, 1-based, out of `epochs`.
    public var epoch: Int
    public var epochs: Int
    /// Steps (batches) finished in this epoch, 0...steps.
    public var step: Int
    public var steps: Int
    /// Mean training loss over the steps of this epoch so far.
    public var loss: Double
    /// Training metrics so far, in the order the program declared them.
    public var metrics: [(name: String, value: Double)]
    public var samplesPerSecond: Double
    /// Seconds since this epoch started.
    public var elapsed: Double

    public init(model: String, epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double,
                metrics: [(name: String, value: Double)] = [], samplesPerSecond: Double,
                elapsed: Double) {
        self.model = model
        self.epoch = epoch
        self.epochs = epochs
        self.step = step
        self.steps = steps
        self.loss = loss
        self.metrics = metrics
        self.samplesPerSecond = samplesPerSecond
        self.elapsed = elapsed
    }
}

/// Draws training progress. On a terminal, `update` redraws a single line in place (at most
/// ten times a second, but always for the last step) and `finishEpoch` ends it with a newline.
/// Elsewhere `update` prints nothing and `finishEpoch` prints exactly one plain line per epoch,
/// with no `\r` and no escape codes. Not thread-safe: report from the training thread.
public final class ProgressDisplay {
    /// Redraws closer together than this are skipped (except the last step of an epoch).
    public static let minimumRedrawInterval = 0.1

    public let isTTY: Bool
    private let output: (String) -> Void
    private let width: () -> Int
    private let clock: () -> Double
    private var lastDraw: (epoch: Int, time: Double)?
    private var lineVisible = false

    /// Draws to `output`; `width` is the terminal width in columns; `clock` returns seconds on a
    /// monotonic scale (injected so tests can check throttling without waiting).
    public init(output: @escaping (String) -> Void, isTTY: Bool, width: @escaping () -> Int,
                clock: @escaping () -> Double = ProgressDisplay.monotonicSeconds) {
        self.output = output
        self.isTTY = isTTY
        self.width = width
        self.clock = clock
    }

    /// Draws to a text stream (for example `StandardError()` or a `StringOutput`).
    public convenience init<Stream: TextOutputStream>(output stream: Stream, isTTY: Bool, width: Int,
                                                      clock: @escaping () -> Double = ProgressDisplay.monotonicSeconds) {
        var stream = stream
        self.init(output: { stream.write($0) }, isTTY: isTTY, width: { width }, clock: clock)
    }

    /// Draws to a file descriptor (standard error by default), asking the terminal whether it is
    /// one and, before each redraw, how wide it is, so resizing the window is followed.
    public convenience init(fileDescriptor fd: Int32 = 2) {
        var stream = FileDescriptorOutput(fd: fd)
        let tty = Terminal.supportsCursorControl(fd)
        self.init(output: { stream.write($0) }, isTTY: tty, width: { Terminal.width(of: fd) })
    }

    /// Reports progress within an epoch. Only draws on a terminal.
    public func update(_ progress: TrainingProgress) {
        guard isTTY else { return }
        let now = clock()
        let isLastStep = progress.step >= progress.steps
        if let last = lastDraw, last.epoch == progress.epoch, !isLastStep,
           now - last.time < Self.minimumRedrawInterval {
            return
        }
        lastDraw = (progress.epoch, now)
        lineVisible = true
        output("\r" + Self.formatLine(progress, width: width()) + ANSI.clearToEndOfLine)
    }

    /// Reports the end of an epoch, with validation results when the program asked for them.
    public func finishEpoch(_ progress: TrainingProgress, validation: [(name: String, value: Double)]? = nil) {
        if isTTY {
            let line = Self.formatLine(progress, width: width(), validation: validation, finished: true)
            output("\r" + line + ANSI.clearToEndOfLine + "\n")
        } else {
            output(Self.formatEpochLine(progress, validation: validation) + "\n")
        }
        lineVisible = false
        lastDraw = nil
    }

    /// Erases the live line, so other output (a `print` in the program, a warning) starts at the
    /// left margin; the next `update` draws it again.
    public func clearLine() {
        guard isTTY, lineVisible else { return }
        output("\r" + ANSI.clearToEndOfLine)
        lineVisible = false
        lastDraw = nil
    }

    /// Seconds from `CLOCK_MONOTONIC`.
    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}

// MARK: - Formatting

extension ProgressDisplay {
    /// The bar's interior grows to at most this many cells on a wide terminal...
    public static let maximumBarWidth = 30
    /// ...and shrinks to this many before any text is dropped.
    public static let minimumBarWidth = 5

    /// The live line, at most `width - 1` characters (writing the last column makes some
    /// terminals wrap), for example
    /// `classifier epoch 2/5 [####----] 1234/1875 loss 0.4123 accuracy 0.8512 | 51234 samples/s | ETA 0:12`.
    /// When it does not fit, the bar shrinks first, then parts are dropped in this order:
    /// samples/s, model name, metrics (validation first, last first), the bar, ETA, step
    /// counter, loss; what remains (`epoch 2/5`) is cut. `finished` shows the epoch's time for the ETA.
    public static func formatLine(_ progress: TrainingProgress, width: Int,
                                  validation: [(name: String, value: Double)]? = nil,
                                  finished: Bool = false) -> String {
        let limit = max(width - 1, 1)
        let p = progress
        let stepDigits = String(max(p.steps, 0)).count
        let counter = String(repeating: " ", count: max(0, stepDigits - String(p.step).count))
            + "\(p.step)/\(p.steps)"
        let metrics = p.metrics.map { "\($0.name) \(formatNumber($0.value))" }
            + (validation ?? []).map { "\(validationName($0.name)) \(formatNumber($0.value))" }

        // In display order; `nil` marks the bar. `dropOrder`: which goes first when space is
        // short (lowest first; none for the epoch, which is cut instead).
        let metricsDropped = 2, barDropped = metricsDropped + metrics.count
        var parts: [(text: String?, dropOrder: Int?)] = []
        if !p.model.isEmpty { parts.append((p.model, 1)) }
        parts.append(("epoch \(p.epoch)/\(p.epochs)", nil))
        parts.append((nil, barDropped))
        parts.append((counter, barDropped + 2))
        parts.append(("loss " + formatNumber(p.loss), barDropped + 3))
        for (index, text) in metrics.enumerated() {
            parts.append((text, metricsDropped + metrics.count - 1 - index))
        }
        parts.append(("| " + formatRate(p.samplesPerSecond) + " samples/s", 0))
        parts.append(("| " + (finished ? formatSeconds(p.elapsed) : "ETA " + formatETA(p)), barDropped + 1))

        while true {
            let texts = parts.compactMap(\.text)
            let textWidth = texts.reduce(0) { $0 + $1.count } + parts.count - 1  // one space between parts
            if texts.count < parts.count {
                let room = limit - textWidth - 2  // the brackets
                if room >= minimumBarWidth {
                    let bar = formatBar(fraction: p.steps > 0 ? Double(p.step) / Double(p.steps) : 0,
                                        width: min(room, maximumBarWidth))
                    return parts.map { $0.text ?? bar }.joined(separator: " ")
                }
            } else if textWidth <= limit {
                return texts.joined(separator: " ")
            }
            let droppable = parts.indices.filter { parts[$0].dropOrder != nil }
            guard let next = droppable.min(by: { parts[$0].dropOrder! < parts[$1].dropOrder! }) else {
                return String(texts.joined(separator: " ").prefix(limit))
            }
            parts.remove(at: next)
        }
    }

    /// The line printed once per epoch when not on a terminal:
    /// `classifier epoch 2/5: loss 0.4123 accuracy 0.8512 val_loss 0.4500 (3.21 s, 18690 samples/s)`.
    public static func formatEpochLine(_ progress: TrainingProgress,
                                       validation: [(name: String, value: Double)]? = nil) -> String {
        let p = progress
        var parts = ["loss " + formatNumber(p.loss)]
        parts += p.metrics.map { "\($0.name) \(formatNumber($0.value))" }
        parts += (validation ?? []).map { "\(validationName($0.name)) \(formatNumber($0.value))" }
        let head = (p.model.isEmpty ? "" : p.model + " ") + "epoch \(p.epoch)/\(p.epochs):"
        let tail = "(\(formatSeconds(p.elapsed)), \(formatRate(p.samplesPerSecond)) samples/s)"
        return ([head] + parts + [tail]).joined(separator: " ")
    }

    /// `[#####-----]` with `width` cells inside the brackets; a cell fills only when complete.
    public static func formatBar(fraction: Double, width: Int) -> String {
        let clamped = fraction.isFinite ? min(max(fraction, 0), 1) : 0
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled)
            + String(repeating: "-", count: width - filled) + "]"
    }

    /// A loss or metric: four decimals between 0.001 and 100000 (`0.4123`, `2.3026`), three
    /// significant decimals in exponent form outside (`1.235e-05`), `0.0000` for zero, and
    /// `nan`/`inf`/`-inf` for non-finite values.
    public static func formatNumber(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        let magnitude = abs(value)
        if magnitude == 0 || (magnitude >= 0.001 && magnitude < 100_000) {
            return formatFixed(value, decimals: 4)
        }
        var exponent = Int(log10(magnitude).rounded(.down))
        var mantissa = magnitude / pow(10, Double(exponent))
        if mantissa < 1 { mantissa *= 10; exponent -= 1 }  // log10 rounding just below a power of 10
        if (mantissa * 1000).rounded() >= 10_000 { mantissa /= 10; exponent += 1 }  // 9.9996 -> 1.000e+1
        let sign = value < 0 ? "-" : ""
        let exponentDigits = String(abs(exponent))
        return sign + formatFixed(mantissa, decimals: 3) + "e" + (exponent < 0 ? "-" : "+")
            + (exponentDigits.count < 2 ? "0" : "") + exponentDigits
    }

    /// A throughput: whole numbers from 100 up (`51234`), one decimal below (`42.5`), `-` if unknown.
    public static func formatRate(_ value: Double) -> String {
        guard value.isFinite, value >= 0 else { return "-" }
        return value >= 100 ? formatFixed(value, decimals: 0) : formatFixed(value, decimals: 1)
    }

    /// A duration as `m:ss` below an hour (`0:12`, `12:05`), `h:mm:ss` from an hour
    /// (`1:02:03`), and `-:--` when unknown (negative or not finite).
    public static func formatDuration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e12 else { return "-:--" }
        let total = Int(seconds.rounded())
        let hours = total / 3600, minutes = (total % 3600) / 60, secs = total % 60
        func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))"
                         : "\(minutes):\(twoDigits(secs))"
    }

    /// An epoch's time: `3.21 s` below a minute, then as `formatDuration`.
    public static func formatSeconds(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "-:--" }
        return seconds < 59.995 ? formatFixed(seconds, decimals: 2) + " s" : formatDuration(seconds)
    }

    /// Time left in the epoch, extrapolated from the mean time per step so far.
    static func formatETA(_ p: TrainingProgress) -> String {
        guard p.step > 0, p.steps >= p.step, p.elapsed.isFinite else { return formatDuration(.nan) }
        return formatDuration(p.elapsed / Double(p.step) * Double(p.steps - p.step))
    }

    /// `loss` -> `val_loss`; names already starting with `val_` are kept.
    static func validationName(_ name: String) -> String {
        name.hasPrefix("val_") ? name : "val_" + name
    }

    /// `value` with exactly `decimals` digits after the point, rounded half away from zero;
    /// no Foundation and no locale. Valid while |value| * 10^decimals fits in an Int64.
    static func formatFixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return value.description }
        let units = Int64(scaled)
        let integerPart = units / Int64(scale), fraction = units % Int64(scale)
        var text = (value < 0 && units != 0 ? "-" : "") + String(integerPart)
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }
}
