// Runs a source text through parse + `nnet check` in-process and checks what any input must
// give: success, or diagnostics that point inside the file. Shared by the fuzz regression and
// mutation property tests (Fuzz/Sources/NNetFuzz applies the same checks to every fuzz input).

import NNetSyntax
import NNetDriver

struct CheckResult {
    let file: SourceFile
    let parseDiagnostics: [Diagnostic]
    let outcome: Interpreter.Outcome
    let standardOutput: String
    let standardError: String
}

/// Parses `text` and runs it through the check-mode interpreter (no data read, nothing trained).
func checkSource(_ text: String, name: String = "input.nnet") -> CheckResult {
    let file = SourceFile(name: name, text: text)
    let program = Parser.parse(file)
    var options = InterpreterOptions()
    options.checkOnly = true
    let (console, captured) = Console.capturing()
    let outcome = Interpreter(options: options, console: console).execute(file)
    return CheckResult(file: file, parseDiagnostics: program.diagnostics, outcome: outcome,
                       standardOutput: captured.standardOutput, standardError: captured.standardError)
}

/// What is wrong with a check result, if anything: a failure without a rendered error, an error
/// after success, a diagnostic range outside the file, or a rendered `file:line:col` that is not
/// a position in the file. Empty for a sound result.
func soundnessProblems(_ result: CheckResult) -> [String] {
    var problems: [String] = []
    let file = result.file
    let headers = renderedPositions(result.standardError, fileName: file.name)
    switch result.outcome {
    case .failed:
        if !headers.contains(where: { $0.severity == "error" }) { problems.append("failed without a rendered error") }
    case .success:
        if headers.contains(where: { $0.severity == "error" }) { problems.append("succeeded but rendered an error") }
    case .diverged:
        problems.append("check mode reported divergence")
    }
    for diagnostic in result.parseDiagnostics {
        for range in [diagnostic.range] + diagnostic.notes.map(\.range) {
            guard let range else { continue }
            if range.start < 0 || range.end > file.bytes.count || range.start > range.end {
                problems.append("range \(range.start)..<\(range.end) outside \(file.bytes.count) bytes: \(diagnostic.message)")
            }
        }
    }
    for header in headers where !(1...file.lineStarts.count).contains(header.line)
        || !(1...file.lineText(header.line).count + 1).contains(header.column) {
        problems.append("rendered position \(header.line):\(header.column) is not in the file")
    }
    return problems
}

/// The `NAME:LINE:COLUMN: SEVERITY:` headers of rendered diagnostics.
func renderedPositions(_ text: String, fileName: String) -> [(line: Int, column: Int, severity: String)] {
    var positions: [(line: Int, column: Int, severity: String)] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix(fileName + ":") {
        let fields = line.dropFirst(fileName.count + 1).split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3, let lineNumber = Int(fields[0]), let column = Int(fields[1]) else { continue }
        let severity = fields[2].filter { $0 != " " }
        guard ["error", "note", "warning"].contains(severity) else { continue }
        positions.append((lineNumber, column, severity))
    }
    return positions
}
