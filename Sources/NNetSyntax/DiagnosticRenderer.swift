// Renders diagnostics the way clang and rustc do: `file:line:col: error: message`, the source
// line, and a caret with tildes under the range; then notes and help. Stage: syntax (shared).

/// Turns a diagnostic into text for a terminal or a log.
public enum DiagnosticRenderer {
    /// Tabs in source lines are expanded to the next multiple of this many columns.
    public static let tabWidth = 4
    /// Source lines longer than this many characters are shown as a window around the caret.
    public static let maximumLineWidth = 160

    /// One diagnostic, lines joined by "\n", no trailing newline. With `color`, ANSI escapes mark
    /// the severity, message and caret; without, the text is plain:
    ///
    ///     model.nnet:12:5: error: dense 'fc2' expects input [32] but 'h1' produces [64]
    ///        12 |   dense 10, from: h1
    ///           |   ^~~~~~~~
    ///     model.nnet:9:3: note: 'h1' defined here
    ///         9 |   h1: dense 64
    ///           |   ^~
    ///     help: did you mean 'kernel_size'?
    public static func render(_ diagnostic: Diagnostic, color: Bool) -> String {
        let style = Style(color: color)
        var lines: [String] = []
        lines += message(diagnostic.message, severity: diagnostic.severity, at: diagnostic.range, style: style)
        for note in diagnostic.notes {
            lines += message(note.message, severity: .note, at: note.range, style: style)
        }
        if let help = diagnostic.help {
            lines.append(style.help("help:") + " " + help)
        }
        return lines.joined(separator: "\n")
    }

    /// Several diagnostics, each rendered as by `render(_:color:)`, joined by "\n".
    public static func render(_ diagnostics: [Diagnostic], color: Bool) -> String {
        diagnostics.map { render($0, color: color) }.joined(separator: "\n")
    }

    /// The header line and, when there is a range, the source snippet.
    static func message(_ text: String, severity: Severity, at range: SourceRange?, style: Style) -> [String] {
        let label = style.severity(severity) + " " + style.bold(text)
        guard let range else { return [label] }
        let file = range.file
        let start = displayedOffset(range.start, in: file)
        let (line, column) = file.lineColumn(of: start)
        var lines = [style.bold("\(file.name):\(line):\(column):") + " " + label]
        lines += snippet(line: line, column: column, range: range, start: start, style: style)
        return lines
    }

    /// A range starting at the very end of a file that ends with a line break is shown after the
    /// last character of the last line rather than on an empty line past it.
    static func displayedOffset(_ offset: Int, in file: SourceFile) -> Int {
        let bytes = file.bytes
        let clamped = max(0, min(offset, bytes.count))
        if clamped == bytes.count, clamped > 0, bytes[clamped - 1] == UInt8(ascii: "\n") { return clamped - 1 }
        return clamped
    }

    /// `   12 |   dense 10` and `      |   ^~~~~~~`: a caret at the start of the range and tildes
    /// under the rest of it on that line; a range at a line break gets one caret after the line.
    static func snippet(line: Int, column: Int, range: SourceRange, start: Int, style: Style) -> [String] {
        let file = range.file
        var characters = Array(file.lineText(line))
        var first = min(column - 1, characters.count)
        let (endLine, endColumn) = file.lineColumn(of: max(start, min(range.end, file.bytes.count)))
        var last = endLine == line ? min(max(endColumn - 1, first), characters.count) : characters.count
        // A line longer than `maximumLineWidth` is cut to a window around the caret, marked `…`.
        var cutBefore = false, cutAfter = false
        if characters.count > maximumLineWidth {
            let low = max(0, min(first - maximumLineWidth / 4, characters.count - maximumLineWidth))
            let high = low + maximumLineWidth
            cutBefore = low > 0
            cutAfter = high < characters.count
            characters = Array(characters[low..<high])
            first -= low
            last = min(last - low, characters.count)
        }
        if cutBefore { characters.insert("…", at: 0); first += 1; last += 1 }
        if cutAfter { characters.append("…") }
        // Display column of each character boundary, tabs expanded.
        var columns = [0]
        for character in characters {
            let width = columns.last!
            columns.append(character == "\t" ? (width / tabWidth + 1) * tabWidth : width + 1)
        }
        let caretColumn = columns[first]
        let tildes = max(0, columns[last] - caretColumn - 1)

        var text = ""
        for character in characters {
            if character == "\t" {
                text += String(repeating: " ", count: tabWidth - text.count % tabWidth)
            } else {
                text.append(character)
            }
        }
        let number = String(line)
        let gutter = max(5, number.count)
        let sourceLine = String(repeating: " ", count: gutter - number.count) + number + " |"
            + (text.isEmpty ? "" : " " + text)
        let marker = String(repeating: " ", count: gutter) + " | " + String(repeating: " ", count: caretColumn)
            + style.caret("^" + String(repeating: "~", count: tildes))
        return [sourceLine, marker]
    }

    /// ANSI styling, or none.
    struct Style {
        let color: Bool

        func wrap(_ text: String, _ code: String) -> String {
            color ? "\u{1B}[\(code)m" + text + "\u{1B}[0m" : text
        }

        func bold(_ text: String) -> String { wrap(text, "1") }
        func help(_ text: String) -> String { wrap(text, "1") }
        func caret(_ text: String) -> String { wrap(text, "1;32") }

        func severity(_ severity: Severity) -> String {
            switch severity {
            case .error: return wrap("error:", "1;31")
            case .warning: return wrap("warning:", "1;35")
            case .note: return wrap("note:", "1;36")
            }
        }
    }
}
