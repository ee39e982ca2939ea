// Diagnostics: what every stage reports when the input is wrong. Rendered by DiagnosticRenderer.
// Stage: syntax (shared by every later stage).

public enum Severity: String, Sendable {
    case error, warning, note
}

/// A secondary message attached to a diagnostic, e.g. `'h1' defined here`.
public struct DiagnosticNote: Sendable {
    public let message: String
    public let range: SourceRange?
    public init(_ message: String, at range: SourceRange? = nil) {
        self.message = message
        self.range = range
    }
}

/// One problem found in a program. `id` is stable (`shape-mismatch`, `unknown-layer`) so tests
/// and tools can match on it; `message` is for people.
public struct Diagnostic: Error, Sendable {
    public let severity: Severity
    public let id: String
    public let message: String
    public let range: SourceRange?
    public var notes: [DiagnosticNote]
    /// A closing hint such as `did you mean 'kernel_size'?`.
    public var help: String?

    public init(_ severity: Severity = .error, id: String, _ message: String, at range: SourceRange?,
                notes: [DiagnosticNote] = [], help: String? = nil) {
        self.severity = severity
        self.id = id
        self.message = message
        self.range = range
        self.notes = notes
        self.help = help
    }

    public static func error(_ id: String, _ message: String, at range: SourceRange?,
                             notes: [DiagnosticNote] = [], help: String? = nil) -> Diagnostic {
        Diagnostic(.error, id: id, message, at: range, notes: notes, help: help)
    }
}

/// Collects diagnostics across stages; a stage keeps going after an error where it can.
public struct DiagnosticBag: Sendable {
    public private(set) var items: [Diagnostic] = []
    public init() {}
    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public mutating func add(_ diagnostic: Diagnostic) { items.append(diagnostic) }
    public mutating func add(contentsOf other: [Diagnostic]) { items.append(contentsOf: other) }
}

/// Suggests the candidate closest to `name` by edit distance, if it is close enough to be a typo.
public func closestMatch(to name: String, in candidates: [String]) -> String? {
    var best: (String, Int)?
    for candidate in candidates {
        let distance = editDistance(name.lowercased(), candidate.lowercased())
        if best == nil || distance < best!.1 { best = (candidate, distance) }
    }
    guard let (candidate, distance) = best else { return nil }
    let limit = max(1, min(3, (name.count + 2) / 3))
    return distance <= limit ? candidate : nil
}

/// Levenshtein distance over characters.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
