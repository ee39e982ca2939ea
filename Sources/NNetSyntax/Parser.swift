// The parser: recursive descent from tokens to the AST, one function per grammar production
// (Grammar/nnet.ebnf). This file holds the entry points, the token cursor, error reporting and
// panic-mode recovery; the productions live in Parser+Statements/Model/Training/Expressions.
// Stage: syntax (tokens -> AST).

/// Parses `.nnet` source into a `Program`. Never fails and never traps: problems become
/// diagnostics, and the parser recovers at line and statement boundaries (clox-style panic mode)
/// so that one mistake gives one error and independent mistakes are all reported.
///
/// A class rather than a struct: calling a method on a struct from a mutating method copied the
/// whole parser into a stack slot per call site in unoptimised builds (~6 KiB per nesting level).
public final class Parser {
    /// How deep an expression tree may be (`[[[...]]]`, `((...))`, `- - 1`, `a.b.c`, `1 + 2 + 3`)
    /// before `nesting-too-deep`; keeps recursion, here and in later stages, far from the stack
    /// limit whatever the input.
    public static let maximumNesting = 256

    /// The statement keywords; they are identifiers recognised by position, usable as names.
    public static let statementKeywords = ["let", "data", "model", "train", "evaluate", "predict",
                                              "print", "save", "load", "gan", "vae", "autoencoder", "sample"]

    /// Parses a whole file or REPL entry. Cost: O(tokens).
    public static func parse(_ file: SourceFile) -> Program {
        let parser = Parser(file: file)
        let statements = parser.parseProgram()
        return Program(file: file, statements: statements, diagnostics: parser.diagnostics)
    }

    /// Parses one expression filling the whole input (blank lines and comments around it are
    /// fine), e.g. a REPL entry `fashion.train`. `nil` when the input is not an expression.
    public static func parseExpression(_ file: SourceFile) -> (Expr?, [Diagnostic]) {
        let parser = Parser(file: file)
        parser.skipSeparators()
        var expression = parser.parseExpression(expected: "an expression")
        if expression != nil {
            parser.skipSeparators()
            if parser.panicking { expression = nil }
            if expression != nil, parser.current.kind != .endOfFile {
                parser.error("expected end of input after the expression, found \(parser.current.displayName)")
                expression = nil
            }
        }
        return (expression, parser.diagnostics)
    }

    // MARK: - State

    let file: SourceFile
    /// The tokens without lexer `.error` tokens; always ends with `.endOfFile`.
    let tokens: [Token]
    /// The kinds of `tokens`, for cheap lookahead (a `Token` copy is far larger than its kind).
    let kinds: [TokenKind]
    /// Lexer errors, keyed by the index (in `tokens`) of the token that follows them; reported
    /// when the parser moves onto that token.
    let lexicalErrors: [Int: [Diagnostic]]
    var position = 0
    var diagnostics: [Diagnostic] = []
    /// Set by the first error of a statement, layer or setting; later errors are suppressed until
    /// recovery clears it, and the construct being parsed is dropped.
    var panicking = false
    /// Open `(` and `[` around the current token: inside them newlines are insignificant.
    var bracketDepth = 0
    var expressionDepth = 0
    /// The line of the last lexer error reported: one per line is enough.
    var lastLexicalErrorLine = 0

    init(file: SourceFile) {
        self.file = file
        var tokens: [Token] = []
        var lexicalErrors: [Int: [Diagnostic]] = [:]
        for token in Lexer.tokenize(file) {
            if case .error(let diagnostic) = token.value {
                lexicalErrors[tokens.count, default: []].append(diagnostic)
            } else {
                tokens.append(token)
            }
        }
        self.tokens = tokens
        self.kinds = tokens.map(\.kind)
        self.lexicalErrors = lexicalErrors
        reportLexicalErrors()
    }

    // MARK: - Cursor

    var current: Token { tokens[position] }
    var currentKind: TokenKind { kinds[position] }
    var previous: Token? { position > 0 ? tokens[position - 1] : nil }

    /// The token `offset` places ahead, or end of file.
    func peek(_ offset: Int = 1) -> Token { tokens[min(position + offset, tokens.count - 1)] }

    func check(_ kind: TokenKind) -> Bool { kinds[position] == kind }

    /// The kind of the token `offset` places ahead, or end of file.
    func peekKind(_ offset: Int = 1) -> TokenKind { kinds[min(position + offset, kinds.count - 1)] }

    /// Moves to the next token (never past end of file), reporting lexer errors passed over.
    func advance() {
        guard kinds[position] != .endOfFile else { return }
        position += 1
        reportLexicalErrors()
    }

    /// Consumes the current token when it has the kind.
    func match(_ kind: TokenKind) -> Bool {
        guard check(kind) else { return false }
        advance()
        return true
    }

    func reportLexicalErrors() {
        guard !lexicalErrors.isEmpty else { return }
        for diagnostic in lexicalErrors[position] ?? [] {
            panicking = true
            let line = diagnostic.range.map { file.line(of: $0.start) } ?? 0
            guard line != lastLexicalErrorLine else { continue }
            lastLexicalErrorLine = line
            record(diagnostic)
        }
    }

    /// Whether the current token ends a statement, layer or setting.
    /// separator = newline | ";" ;
    var isSeparator: Bool { check(.newline) || check(.semicolon) }

    func skipSeparators() {
        while isSeparator { advance() }
    }

    /// Whether the current token begins a line (or follows a `;`).
    var atLineStart: Bool {
        guard let previous else { return true }
        return previous.kind == .newline || previous.kind == .semicolon
    }

    /// A statement keyword that begins a line and is not a key (`print:`): where an unclosed
    /// block ends and where recovery resumes.
    var atStatementKeyword: Bool {
        atLineStart && check(.identifier) && Parser.statementKeywords.contains(current.text)
            && peekKind() != .colon
    }

    /// The `line:column` of a token, for messages such as `to close '(' at 3:14`.
    func location(_ token: Token) -> String {
        let (line, column) = file.lineColumn(of: token.range.start)
        return "\(line):\(column)"
    }

    // MARK: - Newlines inside brackets

    /// Inside `()` or `[]`, skips newlines before an operand.
    func skipNewlinesInBrackets() {
        while bracketDepth > 0, check(.newline) { advance() }
    }

    /// Whether the current token is `kind` or `other`; inside brackets, looks past newlines and
    /// skips them when the next line continues with one of them (`,`, a closer, an operator).
    func continues(with kind: TokenKind, _ other: TokenKind? = nil) -> Bool {
        let here = kinds[position]
        if here == kind || here == other { return true }
        guard bracketDepth > 0, here == .newline else { return false }
        return skipNewlines(before: kind, other)
    }

    @inline(never)
    func skipNewlines(before kind: TokenKind, _ other: TokenKind?) -> Bool {
        var next = position
        while kinds[next] == .newline { next += 1 }
        guard kinds[next] == kind || kinds[next] == other else { return false }
        while position < next { advance() }
        return true
    }

    // MARK: - Errors

    /// Reports an error unless one was already reported for the construct being parsed. The
    /// message is built only when it is recorded (it may compute a `line:column`).
    func error(_ message: @autoclosure () -> String, at range: SourceRange? = nil, id: String = "syntax-error",
               notes: [DiagnosticNote] = [], help: String? = nil) {
        guard !panicking else { return }
        panicking = true
        record(.error(id, message(), at: range ?? current.range, notes: notes, help: help))
    }

    /// Appends a diagnostic while fewer than `Diagnostic.errorLimit` are recorded; the first one
    /// past the limit becomes `too-many-errors` and later ones are dropped unbuilt. Parsing goes
    /// on to the end (it is linear); only the recording stops.
    func record(_ diagnostic: @autoclosure () -> Diagnostic) {
        if diagnostics.count < Diagnostic.errorLimit {
            diagnostics.append(diagnostic())
        } else if diagnostics.count == Diagnostic.errorLimit {
            diagnostics.append(.tooManyErrors)
        }
    }

    /// `expected ')' to close '(' at 3:14, found newline`.
    @inline(never)
    func unclosed(_ closer: TokenKind, opener: Token) {
        error("expected '\(closer.rawValue)' to close '\(opener.kind.rawValue)' at \(location(opener)), "
              + "found \(current.displayName)", id: "unclosed-delimiter")
    }

    /// The identifier at the cursor, consumed; otherwise reports `expected WHAT, found ...`.
    func expectIdentifier(_ what: String) -> Identifier? {
        guard check(.identifier) else {
            reportExpected(what)
            return nil
        }
        return takeIdentifier()
    }

    /// The identifier at the cursor, consumed.
    @inline(never)
    func takeIdentifier() -> Identifier {
        let token = current
        advance()
        return Identifier(token.text, range: token.range)
    }

    /// `expected WHAT, found ...` about the current token.
    @inline(never)
    func reportExpected(_ what: String) {
        error("expected \(what), found \(current.displayName)")
    }

    /// Consumes a contextual keyword (`on`, `to`, `from`) or reports `message, found ...`.
    func expectWord(_ word: String, _ message: String) -> Bool {
        guard check(.identifier), current.text == word else {
            error("\(message), found \(current.displayName)")
            return false
        }
        advance()
        return true
    }

    // MARK: - Recovery

    /// After an error in a statement: skips to the start of the next statement, a statement
    /// keyword beginning a line, or a near miss such as `trian` once the brackets opened by the
    /// skipped tokens are closed. Lines beginning otherwise (`dense 3`, `epochs: 5`, `)`) are
    /// taken as the rest of the broken statement, so its block or continuation adds no errors.
    func synchronizeStatement() {
        var depth = 0
        while !check(.endOfFile) {
            if atLineStart, check(.identifier), peekKind() != .colon {
                let word = current.text
                if Parser.statementKeywords.contains(word) { break }
                if depth == 0, closestMatch(to: word, in: Parser.statementKeywords) != nil { break }
            }
            adjust(&depth)
            advance()
        }
        panicking = false
    }

    /// After an error in a layer or setting: skips to the end of its line (a newline or `;` outside
    /// brackets), the `}` closing the block, or a statement keyword beginning a line.
    func synchronizeLine() {
        var depth = 0
        while !check(.endOfFile) {
            if depth == 0, isSeparator || check(.rightBrace) { break }
            if depth > 0, atStatementKeyword { break }
            adjust(&depth)
            advance()
        }
        panicking = false
    }

    private func adjust(_ depth: inout Int) {
        switch currentKind {
        case .leftParen, .leftBracket, .leftBrace: depth += 1
        case .rightParen, .rightBracket, .rightBrace: depth = max(0, depth - 1)
        default: break
        }
    }
}
