// Machine-readable training log (`nnet run --log FILE.jsonl`): one JSON object per line, written
// straight to the kernel so a crash keeps every line already logged. Stage: driver, presentation.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A JSON value whose objects keep their keys in the order given.
public enum JSONValue: Sendable, Equatable {
    case number(Double)
    case int(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.number(a), .number(b)): return a == b || (a.isNaN && b.isNaN)
        case let (.int(a), .int(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// An object from name-value pairs, e.g. training metrics, in their order.
    public static func object(numbers pairs: [(name: String, value: Double)]) -> JSONValue {
        .object(pairs.map { ($0.name, .number($0.value)) })
    }

    /// Compact JSON text (no spaces, no newline).
    public var serialized: String {
        var text = ""
        serialize(into: &text)
        return text
    }

    /// Appends compact JSON text to `text`.
    public func serialize(into text: inout String) {
        switch self {
        case .number(let value): text += JSONValue.formatNumber(value)
        case .int(let value): text += String(value)
        case .string(let value): JSONValue.appendString(value, to: &text)
        case .bool(let value): text += value ? "true" : "false"
        case .null: text += "null"
        case .array(let elements):
            text += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { text += "," }
                element.serialize(into: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { text += "," }
                JSONValue.appendString(key, to: &text)
                text += ":"
                value.serialize(into: &text)
            }
            text += "}"
        }
    }

    /// Integral values below 2^53 without a fraction (`3`, not `3.0`); others as the shortest
    /// text that reads back to the same Double (`0.1`, `1e-05`, `1e+20`, all valid JSON);
    /// NaN and infinities as `null`, since JSON has no spelling for them.
    static func formatNumber(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return value.description
    }

    /// `"` and `\` escaped, `\n \r \t \b \f` by name, other control characters as `\u00XX`.
    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: false)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// Dictionary literals keep their written order: `["event": "epoch", "epoch": 3]`.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
    public init(nilLiteral: ()) { self = .null }
}

/// Why an event log could not be opened.
public struct EventLogError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot open log file '\(path)': \(reason)" }
}

/// Writes JSON Lines (https://jsonlines.org): each `write` appends one object and one newline
/// with a single `write(2)`, so the file is complete up to the last event even after a crash.
/// The file is created or truncated on open.
public final class EventLog {
    public let path: String
    private var fd: Int32

    /// Opens `path` for writing, creating it (mode 0644) or truncating it.
    /// Throws `EventLogError` when the file cannot be opened.
    public init(path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EventLogError(path: path, reason: String(cString: strerror(errno)))
        }
        self.path = path
        self.fd = fd
    }

    deinit { close() }

    /// Appends one event as a line; a dictionary literal keeps its written key order:
    /// `log.write(["event": "start", "program": .string(path)])`.
    /// Returns false when the write failed (disk full, log closed); training need not stop for it.
    @discardableResult
    public func write(_ event: JSONValue) -> Bool {
        guard fd >= 0 else { return false }
        var line = event.serialized
        line += "\n"
        return line.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }

    /// Closes the file; later writes are ignored. Safe to call more than once.
    public func close() {
        guard fd >= 0 else { return }
        _ = closeDescriptor(fd)
        fd = -1
    }
}

/// `close(2)`, reachable from inside `EventLog`, whose own `close()` shadows it.
private func closeDescriptor(_ fd: Int32) -> Int32 { close(fd) }

// MARK: - Events

extension EventLog {
    /// `{"event":"epoch","model":…,"epoch":…,"loss":…,"metrics":{…},"seconds":…}`, with
    /// `"validation":{…}` after `metrics` when validation results are given.
    public static func epochEvent(model: String, epoch: Int, loss: Double,
                                  metrics: [(name: String, value: Double)],
                                  validation: [(name: String, value: Double)]? = nil,
                                  seconds: Double) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("event", "epoch"), ("model", .string(model)), ("epoch", .int(epoch)),
            ("loss", .number(loss)), ("metrics", .object(numbers: metrics)),
        ]
        if let validation { members.append(("validation", .object(numbers: validation))) }
        members.append(("seconds", .number(seconds)))
        return .object(members)
    }

    /// `{"event":"evaluate","model":…,"dataset":…,"loss":…,"metrics":{…}}`.
    public static func evaluateEvent(model: String, dataset: String, loss: Double,
                                     metrics: [(name: String, value: Double)]) -> JSONValue {
        [
            "event": "evaluate", "model": .string(model), "dataset": .string(dataset),
            "loss": .number(loss), "metrics": .object(numbers: metrics),
        ]
    }
}
