// DiagnosticRenderer: the exact text of rendered diagnostics.

import NNetSyntax
import Testing

@Suite struct RendererTests {
    /// The range of the `occurrence`-th match of `text` in `file`.
    func range(of text: String, in file: SourceFile, occurrence: Int = 1) -> SourceRange {
        let needle = Array(text.utf8)
        var found = 0
        for start in 0...(file.bytes.count - needle.count) where Array(file.bytes[start..<start + needle.count]) == needle {
            found += 1
            if found == occurrence { return SourceRange(file: file, start: start, end: start + needle.count) }
        }
        fatalError("'\(text)' not found")
    }

    @Test func errorWithNoteAndHelp() {
        let lines = (1...8).map { "# line \($0)" } + ["  h1: dense 64", "  fc1: dense 32", "", "  dense 10, from: h1"]
        let file = source(lines.joined(separator: "\n") + "\n", name: "model.nnet")
        let diagnostic = Diagnostic.error(
            "shape-mismatch", "dense 'fc2' expects input [32] but 'h1' produces [64]",
            at: range(of: "dense 10", in: file),
            notes: [DiagnosticNote("'h1' defined here", at: range(of: "h1", in: file))],
            help: "did you mean 'kernel_size'?")
        #expect(DiagnosticRenderer.render(diagnostic, color: false) == """
            model.nnet:12:3: error: dense 'fc2' expects input [32] but 'h1' produces [64]
               12 |   dense 10, from: h1
                  |   ^~~~~~~~
            model.nnet:9:3: note: 'h1' defined here
                9 |   h1: dense 64
                  |   ^~
            help: did you mean 'kernel_size'?
            """)
    }

    @Test func noRangeAndNoteWithoutRange() {
        let diagnostic = Diagnostic.error("io", "cannot open 'x.nnet'", at: nil,
                                          notes: [DiagnosticNote("the working directory is /tmp")])
        #expect(DiagnosticRenderer.render(diagnostic, color: false) == """
            error: cannot open 'x.nnet'
            note: the working directory is /tmp
            """)
    }

    @Test func warningSeverity() {
        let file = source("let a = 1")
        let diagnostic = Diagnostic(.warning, id: "unused", "constant 'a' is never used", at: range(of: "a", in: file))
        #expect(DiagnosticRenderer.render(diagnostic, color: false) == """
            test.nnet:1:5: warning: constant 'a' is never used
                1 | let a = 1
                  |     ^
            """)
    }

    @Test func caretAfterLastCharacterAtNewlineAndEndOfFile() {
        let program = parse("let x = adam(lr: 0.1\nprint x\n")
        #expect(DiagnosticRenderer.render(program.diagnostics, color: false) == """
            test.nnet:1:21: error: expected ')' to close '(' at 1:13, found newline
                1 | let x = adam(lr: 0.1
                  |                     ^
            """)
        let end = parse("model m {\n  dense 3\n\n# trailing comment\n")
        #expect(DiagnosticRenderer.render(end.diagnostics, color: false) == """
            test.nnet:2:10: error: expected '}' to close model 'm' (opened at 1:9)
                2 |   dense 3
                  |          ^
            test.nnet:1:9: note: '{' opened here
                1 | model m {
                  |         ^
            """)
        // A range at the very end of a file ending with a newline goes after the last character.
        let file = source("print 1\n")
        let atEnd = Diagnostic.error("x", "at the end", at: SourceRange(file: file, start: 8, end: 8))
        #expect(DiagnosticRenderer.render(atEnd, color: false) == """
            test.nnet:1:8: error: at the end
                1 | print 1
                  |        ^
            """)
    }

    @Test func tabsAreExpandedConsistently() {
        let file = source("model m {\n\tdense\t3, activation: relu\n}")
        let diagnostic = Diagnostic.error("x", "bad units", at: range(of: "3, activation", in: file))
        #expect(DiagnosticRenderer.render(diagnostic, color: false) == """
            test.nnet:2:8: error: bad units
                2 |     dense   3, activation: relu
                  |             ^~~~~~~~~~~~~
            """)
        let spanning = Diagnostic.error("x", "spans the tab", at: range(of: "dense\t3", in: file))
        #expect(DiagnosticRenderer.render(spanning, color: false) == """
            test.nnet:2:2: error: spans the tab
                2 |     dense   3, activation: relu
                  |     ^~~~~~~~~
            """)
    }

    @Test func multiLineRangeIsUnderlinedToTheEndOfItsFirstLine() {
        let file = source("model m {\n  dense 3\n}")
        let diagnostic = Diagnostic.error("x", "model has no input", at: range(of: "model m {\n  dense 3\n}", in: file))
        #expect(DiagnosticRenderer.render(diagnostic, color: false) == """
            test.nnet:1:1: error: model has no input
                1 | model m {
                  | ^~~~~~~~~
            """)
    }

    @Test func charactersNotBytes() {
        let file = source("print \"héllo\", x")
        let diagnostic = Diagnostic.error("x", "unknown name 'x'", at: range(of: "x", in: file))
        #expect(DiagnosticRenderer.render(diagnostic, color: false) == """
            test.nnet:1:16: error: unknown name 'x'
                1 | print "héllo", x
                  |                ^
            """)
    }

    @Test func wideLineNumbersAndEmptyRange() {
        let text = String(repeating: "\n", count: 123_456) + "let a = 1"
        let file = source(text)
        let start = file.bytes.count - 1
        let diagnostic = Diagnostic.error("x", "here", at: SourceRange(file: file, start: start, end: start))
        #expect(DiagnosticRenderer.render(diagnostic, color: false) == """
            test.nnet:123457:9: error: here
            123457 | let a = 1
                   |         ^
            """)
    }

    @Test func color() {
        let file = source("let a = 1")
        let diagnostic = Diagnostic.error("x", "bad", at: range(of: "1", in: file), help: "fix it")
        let escape = "\u{1B}["
        #expect(DiagnosticRenderer.render(diagnostic, color: true) == """
            \(escape)1mtest.nnet:1:9:\(escape)0m \(escape)1;31merror:\(escape)0m \(escape)1mbad\(escape)0m
                1 | let a = 1
                  |         \(escape)1;32m^\(escape)0m
            \(escape)1mhelp:\(escape)0m fix it
            """)
        #expect(!DiagnosticRenderer.render(diagnostic, color: false).contains(escape))
    }
}
