// Tokens: what the lexer hands the parser. Statement keywords are ordinary identifiers here;
// the parser recognises them by position. Stage: syntax (source -> tokens).

/// The kind of a token; punctuation kinds spell their lexeme as the raw value.
public enum TokenKind: String, Sendable, Hashable {
    case identifier, number, string
    case leftParen = "(", rightParen = ")"
    case leftBracket = "[", rightBracket = "]"
    case leftBrace = "{", rightBrace = "}"
    case comma = ",", colon = ":", semicolon = ";", dot = ".", equals = "="
    case plus = "+", minus = "-", star = "*", slash = "/"
    /// A line break; it ends statements, layers and settings (the parser skips it inside `()` `[]`).
    case newline
    /// Always the last token; its range is empty and sits just after the last real token.
    case endOfFile
    /// Text the lexer could not turn into a token; the token carries the diagnostic.
    case error
}

/// One token with its source range and, for literals and errors, its decoded value.
public struct Token: Sendable, CustomStringConvertible {
    /// The decoded payload of a literal or the problem found in an error token.
    public enum Value: Sendable {
        case none
        /// `isInteger` when written without '.' or exponent.
        case number(Double, isInteger: Bool)
        /// The string contents with escapes resolved.
        case string(String)
        indirect case error(Diagnostic)
    }

    public let kind: TokenKind
    public let range: SourceRange
    public let value: Value

    public init(_ kind: TokenKind, range: SourceRange, value: Value = .none) {
        self.kind = kind
        self.range = range
        self.value = value
    }

    /// The source text of the token.
    public var text: String { range.text }

    /// How diagnostics name the token: `identifier 'dense'`, `number '32'`, `'('`, `newline`.
    public var displayName: String {
        switch kind {
        case .identifier: return "identifier '\(text)'"
        case .number: return "number '\(text)'"
        case .string: return "string \(text)"
        case .newline: return "newline"
        case .endOfFile: return "end of file"
        case .error: return "'\(text)'"
        default: return "'\(kind.rawValue)'"
        }
    }

    /// `line:column kind text`, one token per line of `--dump=tokens`.
    public var description: String {
        let (line, column) = range.file.lineColumn(of: range.start)
        let position = "\(line):\(column)"
        switch (kind, value) {
        case (.number, .number(let number, let isInteger)):
            return "\(position) number \(text) = \(isInteger ? "integer" : "\(number)")"
        case (.string, .string(let contents)):
            return "\(position) string \(quoted(contents))"
        case (.error, .error(let diagnostic)):
            return "\(position) error \(diagnostic.id): \(diagnostic.message)"
        case (.identifier, _):
            return "\(position) identifier \(text)"
        case (.newline, _), (.endOfFile, _):
            return "\(position) \(kind)"
        default:
            return "\(position) \(kind.rawValue)"
        }
    }
}

/// A string literal as it would be written in `.nnet` source, escapes included.
func quoted(_ contents: String) -> String {
    var result = "\""
    for character in contents {
        switch character {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\t": result += "\\t"
        default: result.append(character)
        }
    }
    return result + "\""
}
