// Where the interpreter's output goes: the terminal in the CLI, a string buffer in tests.
// Stage: driver.

import NNetSyntax

public final class Console {
    public let writeOut: (String) -> Void
    public let writeError: (String) -> Void
    /// Standard output is a terminal (live progress bars) rather than a pipe or file.
    public let isTTY: Bool
    public let color: Bool

    public init(isTTY: Bool = false, color: Bool = false, out: @escaping (String) -> Void,
                error: @escaping (String) -> Void) {
        self.isTTY = isTTY
        self.color = color
        self.writeOut = out
        self.writeError = error
    }

    /// Prints a line to standard output.
    public func line(_ text: String) { writeOut(text + "\n") }

    /// Renders diagnostics to standard error.
    public func report(_ diagnostics: [Diagnostic]) {
        for diagnostic in diagnostics { writeError(DiagnosticRenderer.render(diagnostic, color: color) + "\n") }
    }

    /// A console that collects everything into strings (tests, benchmarks).
    public static func capturing() -> (Console, CapturedOutput) {
        let captured = CapturedOutput()
        let console = Console(out: { captured.standardOutput += $0 }, error: { captured.standardError += $0 })
        return (console, captured)
    }
}

public final class CapturedOutput {
    public var standardOutput = ""
    public var standardError = ""
}
