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

extension Diagnostic {
    /// How many errors one run reports before it stops with `too-many-errors` (clang stops at 20,
    /// javac at 100): plenty to fix a file by, and it bounds the work and the output for garbled
    /// input (each rendered error shows its source line, which may be very long).
    public static let errorLimit = 100

    /// The last diagnostic of a run that reached `errorLimit`.
    public static var tooManyErrors: Diagnostic {
        .error("too-many-errors", "too many errors (\(errorLimit)); stopping here", at: nil,
               help: "fix these and run again")
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

/// Suggests the candidate closest to `name` by edit distance (ignoring case), if it is close
/// enough to be a typo: at most 1 to 3 edits, growing with the length of `name`. Ties go to the
/// earlier candidate. Cost: O(candidates × |name|) however long the name or the candidates are
/// (a candidate whose length differs by more than the limit is skipped after counting at most
/// |name| + 4 of its characters; the others get a banded edit distance).
public func closestMatch(to name: String, in candidates: [String]) -> String? {
    let length = name.count
    let limit = max(1, min(3, (length + 2) / 3))
    var written: [Character]?
    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let bound = best.map { $0.distance - 1 } ?? limit
        guard bound >= 0 else { break }
        guard abs(candidate.prefix(length + limit + 1).count - length) <= limit else { continue }
        if written == nil { written = Array(name.lowercased()) }
        if let distance = editDistance(written!, Array(candidate.lowercased()), limit: bound) {
            best = (candidate, distance)
        }
    }
    return best?.candidate
}

/// The Levenshtein distance of `a` and `b` when it is at most `limit`, else nil. Only the band of
/// cells within `limit` of the diagonal is computed: O(|a| × limit) time.
func editDistance(_ a: [Character], _ b: [Character], limit: Int) -> Int? {
    guard abs(a.count - b.count) <= limit else { return nil }
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    let outside = limit + 1
    var previous = [Int](repeating: outside, count: b.count + 1)
    for j in 0...min(b.count, limit) { previous[j] = j }
    var current = [Int](repeating: outside, count: b.count + 1)
    for i in 1...a.count {
        let low = max(1, i - limit), high = min(b.count, i + limit)
        current[0] = i <= limit ? i : outside
        if low > 1 { current[low - 1] = outside }
        var rowMinimum = current[0]
        for j in low...high {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost, outside)
            rowMinimum = min(rowMinimum, current[j])
        }
        if high < b.count { current[high + 1] = outside }
        if rowMinimum > limit { return nil }
        swap(&previous, &current)
    }
    return previous[b.count] <= limit ? previous[b.count] : nil
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
