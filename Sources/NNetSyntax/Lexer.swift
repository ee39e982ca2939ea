// The lexer: turns the bytes of a source file into tokens, one pass, no backtracking.
// Stage: syntax (source -> tokens). Problems become `.error` tokens that the parser reports.

/// Splits a source file into tokens. Never fails: bad input yields `.error` tokens carrying a
/// diagnostic (`unexpected-character`, `unterminated-string`, `invalid-escape`, `invalid-number`),
/// and the list always ends with exactly one `.endOfFile`.
public enum Lexer {
    /// All tokens of `file`, comments and whitespace dropped, newlines kept. Cost: O(bytes).
    public static func tokenize(_ file: SourceFile) -> [Token] {
        var scanner = Scanner(file: file)
        return scanner.run()
    }
}

private struct Scanner {
    let file: SourceFile
    let bytes: [UInt8]
    var position = 0
    var tokens: [Token] = []

    init(file: SourceFile) {
        self.file = file
        self.bytes = file.bytes
    }

    func byteAt(_ offset: Int) -> UInt8? { offset < bytes.count ? bytes[offset] : nil }
    var current: UInt8? { byteAt(position) }

    /// At a LF or a CR LF. A CR LF is one newline token, so that "found newline" points just
    /// after the line's last character (where the renderer puts its caret), not past the CR.
    var atLineBreak: Bool {
        current == UInt8(ascii: "\n") || (current == UInt8(ascii: "\r") && byteAt(position + 1) == UInt8(ascii: "\n"))
    }

    func range(from start: Int) -> SourceRange { SourceRange(file: file, start: start, end: position) }

    mutating func add(_ kind: TokenKind, from start: Int, value: Token.Value = .none) {
        tokens.append(Token(kind, range: range(from: start), value: value))
    }

    mutating func addError(from start: Int, _ diagnostic: Diagnostic) {
        add(.error, from: start, value: .error(diagnostic))
    }

    /// whitespace = " " | ? tab ? | ? carriage return ? ;
    /// newline = ? line feed ? ;
    mutating func run() -> [Token] {
        while let byte = current {
            let start = position
            if let kind = punctuation(byte) {
                if kind == .dot, let next = byteAt(position + 1), isDigit(next), !previousEndsOperand {
                    scanLeadingDotNumber()
                    continue
                }
                position += 1
                add(kind, from: start)
                continue
            }
            switch byte {
            case UInt8(ascii: "\r") where atLineBreak:
                position += 2
                add(.newline, from: start)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                position += 1
            case UInt8(ascii: "\n"):
                position += 1
                add(.newline, from: start)
            case UInt8(ascii: "#"):
                skipComment()
            case UInt8(ascii: "\""):
                scanString()
            case _ where isDigit(byte):
                scanNumber()
            case _ where isIdentifierStart(byte):
                scanIdentifier()
            default:
                scanUnexpectedCharacter()
            }
        }
        // End of file sits just after the last real token, so "found end of file" points there.
        let end = tokens.last { $0.kind != .newline }?.range.end ?? 0
        tokens.append(Token(.endOfFile, range: SourceRange(file: file, start: end, end: end)))
        return tokens
    }

    /// Whether a `.` here is member access (`a.b`, `f(x).b`) rather than the start of `.5`.
    var previousEndsOperand: Bool {
        guard let last = tokens.last, last.range.end == position else { return false }
        return [.identifier, .number, .string, .rightParen, .rightBracket].contains(last.kind)
    }

    func punctuation(_ byte: UInt8) -> TokenKind? {
        switch byte {
        case UInt8(ascii: "("): return .leftParen
        case UInt8(ascii: ")"): return .rightParen
        case UInt8(ascii: "["): return .leftBracket
        case UInt8(ascii: "]"): return .rightBracket
        case UInt8(ascii: "{"): return .leftBrace
        case UInt8(ascii: "}"): return .rightBrace
        case UInt8(ascii: ","): return .comma
        case UInt8(ascii: ":"): return .colon
        case UInt8(ascii: ";"): return .semicolon
        case UInt8(ascii: "."): return .dot
        case UInt8(ascii: "="): return .equals
        case UInt8(ascii: "+"): return .plus
        case UInt8(ascii: "-"): return .minus
        case UInt8(ascii: "*"): return .star
        case UInt8(ascii: "/"): return .slash
        default: return nil
        }
    }

    // MARK: - Comments, identifiers

    /// comment = "#" { comment_character } ;
    /// comment_character = ? any character except a line feed ? ;
    mutating func skipComment() {
        while current != nil, !atLineBreak { position += 1 }
    }

    /// identifier = ( letter | "_" ) { letter | digit | "_" } ;
    mutating func scanIdentifier() {
        let start = position
        while let byte = current, isIdentifierContinue(byte) { position += 1 }
        add(.identifier, from: start)
    }

    // MARK: - Numbers

    /// number = digit { digit } [ "." digit { digit } ] [ exponent ] ;
    mutating func scanNumber() {
        let start = position
        var isInteger = true
        skipDigits()
        if current == UInt8(ascii: ".") {
            position += 1
            guard let next = current, isDigit(next) else {
                let text = range(from: start).text
                addError(from: start, .error("invalid-number",
                    "invalid number '\(text)': expected a digit after the decimal point",
                    at: range(from: start), help: "write '\(text)0' or '\(text.dropLast())'"))
                return
            }
            isInteger = false
            skipDigits()
        }
        if scanExponent() { isInteger = false }
        finishNumber(from: start, isInteger: isInteger)
    }

    /// `.5`: rejected with a hint, since `a.b` uses the same dot.
    mutating func scanLeadingDotNumber() {
        let start = position
        position += 1
        skipDigits()
        _ = scanExponent()
        while let byte = current, isIdentifierContinue(byte) { position += 1 }
        let text = range(from: start).text
        addError(from: start, .error("invalid-number",
            "invalid number '\(text)': a number must start with a digit",
            at: range(from: start), help: "write '0\(text)'"))
    }

    /// exponent = ( "e" | "E" ) [ "+" | "-" ] digit { digit } ;
    mutating func scanExponent() -> Bool {
        guard current == UInt8(ascii: "e") || current == UInt8(ascii: "E") else { return false }
        var digitsAt = position + 1
        if let sign = byteAt(digitsAt), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            digitsAt += 1
        }
        guard let first = byteAt(digitsAt), isDigit(first) else { return false }
        position = digitsAt
        skipDigits()
        return true
    }

    mutating func finishNumber(from start: Int, isInteger: Bool) {
        // `3x`, `1e`, `2e5e`: letters glued to a number are a malformed number, not two tokens.
        if let byte = current, isIdentifierContinue(byte) {
            while let byte = current, isIdentifierContinue(byte) { position += 1 }
            let text = range(from: start).text
            addError(from: start, .error("invalid-number", "invalid number '\(text)'", at: range(from: start)))
            return
        }
        let text = range(from: start).text
        guard let value = Double(text), value.isFinite else {
            addError(from: start, .error("invalid-number", "number '\(text)' is out of range",
                                         at: range(from: start)))
            return
        }
        add(.number, from: start, value: .number(value, isInteger: isInteger))
    }

    mutating func skipDigits() {
        while let byte = current, isDigit(byte) { position += 1 }
    }

    // MARK: - Strings

    /// string = '"' { string_character | escape } '"' ;
    /// string_character = ? any character except '"', "\" and a line feed ? ;
    /// escape = "\" ( '"' | "\" | "n" | "t" ) ;
    mutating func scanString() {
        let start = position
        position += 1
        var contents: [UInt8] = []
        var badEscape: Diagnostic?
        while let byte = current, !atLineBreak {
            if byte == UInt8(ascii: "\"") {
                position += 1
                if let badEscape {
                    addError(from: start, badEscape)
                } else {
                    add(.string, from: start, value: .string(String(decoding: contents, as: UTF8.self)))
                }
                return
            }
            guard byte == UInt8(ascii: "\\") else {
                contents.append(byte)
                position += 1
                continue
            }
            let escapeStart = position
            position += 1
            guard let escaped = current, !atLineBreak else { break }
            position += scalarLength(at: position)
            switch escaped {
            case UInt8(ascii: "\""): contents.append(escaped)
            case UInt8(ascii: "\\"): contents.append(escaped)
            case UInt8(ascii: "n"): contents.append(UInt8(ascii: "\n"))
            case UInt8(ascii: "t"): contents.append(UInt8(ascii: "\t"))
            default:
                if badEscape == nil {
                    let escape = range(from: escapeStart)
                    badEscape = .error("invalid-escape", "unknown escape sequence '\(escape.text)' in string",
                                       at: escape, help: "the escapes are \\\" \\\\ \\n \\t")
                }
            }
        }
        var end = position
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let literal = SourceRange(file: file, start: start, end: end)
        addError(from: start, .error("unterminated-string", "unterminated string", at: literal,
                                     help: "add a closing '\"'; a string ends on the line it starts"))
    }

    // MARK: - Anything else

    mutating func scanUnexpectedCharacter() {
        let start = position
        position += scalarLength(at: position)
        let text = range(from: start).text
        let scalar = text.unicodeScalars.first.map { $0.value } ?? 0
        let hex = String(scalar, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let shown: String
        if scalar < 0x20 || scalar == 0x7F {
            shown = code
        } else if scalar < 0x80 {
            shown = "'\(text)'"
        } else {
            shown = "'\(text)' (\(code))"
        }
        let help = text == "'" ? "strings are written in double quotes: \"...\"" : nil
        addError(from: start, .error("unexpected-character", "unexpected character \(shown)",
                                     at: range(from: start), help: help))
    }

    /// Bytes in the UTF-8 sequence starting at `offset` (1 for a stray continuation byte).
    func scalarLength(at offset: Int) -> Int {
        guard let lead = byteAt(offset) else { return 0 }
        let length: Int
        switch lead {
        case 0xF0...: length = 4
        case 0xE0...: length = 3
        case 0xC0...: length = 2
        default: length = 1
        }
        return min(length, bytes.count - offset)
    }
}

// MARK: - Character classes

/// letter = ? "A" to "Z" or "a" to "z" ? ;
func isLetter(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
}

/// digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" ;
func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

func isIdentifierStart(_ byte: UInt8) -> Bool { isLetter(byte) || byte == UInt8(ascii: "_") }

func isIdentifierContinue(_ byte: UInt8) -> Bool { isIdentifierStart(byte) || isDigit(byte) }
