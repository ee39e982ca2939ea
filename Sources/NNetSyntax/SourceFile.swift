// A source text with precomputed line starts, so offsets map to line:column by binary search.
// Stage: syntax (shared by every later stage for diagnostics).

/// One `.nnet` source: a file, or one REPL entry. A class so that ranges can refer to it cheaply.
public final class SourceFile: @unchecked Sendable {
    /// The name shown in diagnostics (`model.nnet`, `<repl:3>`).
    public let name: String
    public let text: String
    /// The UTF-8 bytes of `text`; offsets in ranges index this array.
    public let bytes: [UInt8]
    /// Byte offset of the first character of each line.
    public let lineStarts: [Int]
    /// Whether each line is pure ASCII, where a column is a byte count (no grapheme clusters
    /// other than CR LF, and a line holds no LF).
    let lineIsASCII: [Bool]

    public init(name: String, text: String) {
        self.name = name
        self.text = text
        self.bytes = Array(text.utf8)
        var starts = [0]
        var isASCII: [Bool] = []
        var ascii = true
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") {
                starts.append(offset + 1)
                isASCII.append(ascii)
                ascii = true
            } else if byte >= 0x80 {
                ascii = false
            }
        }
        isASCII.append(ascii)
        self.lineStarts = starts
        self.lineIsASCII = isASCII
    }

    /// 1-based line and column (in characters) of a byte offset. Cost: O(log lines) on an ASCII
    /// line, O(log lines + column) otherwise (so that many diagnostics or `--dump=tokens` on one
    /// long line are not quadratic in the usual case).
    public func lineColumn(of offset: Int) -> (line: Int, column: Int) {
        let clamped = max(0, min(offset, bytes.count))
        let line = self.line(of: clamped)
        let start = lineStarts[line - 1]
        if lineIsASCII[line - 1] { return (line, clamped - start + 1) }
        let column = String(decoding: bytes[start..<clamped], as: UTF8.self).count + 1
        return (line, column)
    }

    /// 1-based line of a byte offset. Cost: O(log lines), unlike the column, which needs the
    /// characters before it: callers that only want the line (one lexer error per line) use this.
    public func line(of offset: Int) -> Int {
        let clamped = max(0, min(offset, bytes.count))
        var low = 0, high = lineStarts.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if lineStarts[mid] <= clamped { low = mid } else { high = mid - 1 }
        }
        return low + 1
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }
}

/// A half-open byte range `[start, end)` in a source file.
public struct SourceRange: Sendable, CustomStringConvertible {
    public let file: SourceFile
    public let start: Int
    public let end: Int

    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// The smallest range covering both.
    public func union(_ other: SourceRange) -> SourceRange {
        SourceRange(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    /// The source text the range covers.
    public var text: String { String(decoding: file.bytes[start..<min(end, file.bytes.count)], as: UTF8.self) }

    /// `file:line:col` of the start.
    public var description: String {
        let (line, column) = file.lineColumn(of: start)
        return "\(file.name):\(line):\(column)"
    }
}
