// The model block: `model NAME { layer* }`, each layer `[name:] kind arguments`, and the block
// loop shared with train settings. Stage: syntax (tokens -> AST).

extension Parser {
    /// model_statement = "model" identifier "{" { separator } { layer separator { separator } } [ layer ] "}" ;
    func parseModelStatement() -> StatementKind? {
        let keyword = current
        advance()
        guard let name = expectIdentifier("a model name after 'model'") else { return nil }
        guard check(.leftBrace) else {
            error("expected '{' after model name '\(name)', found \(current.displayName)")
            return nil
        }
        guard let layers = parseBlock(closing: "model '\(name)'", item: { $0.parseLayer() }) else {
            return nil
        }
        let range = keyword.range.union(previous?.range ?? keyword.range)
        return .model(ModelDecl(name: name, layers: layers, range: range))
    }

    /// The items of a `{ ... }` block, one per line (or `;`), from the `{` at the cursor through
    /// its `}`. A broken item is dropped after one error and parsing resumes on the next line;
    /// `nil` when the block is not closed (at end of file or at a statement keyword).
    func parseBlock<Item>(closing what: String, item parseItem: (Parser) -> Item?) -> [Item]? {
        let opener = current
        advance()
        var items: [Item] = []
        while true {
            skipSeparators()
            panicking = false
            if match(.rightBrace) { return items }
            if check(.endOfFile) || atStatementKeyword {
                error("expected '}' to close \(what) (opened at \(location(opener)))", at: insertionPoint,
                      id: "unclosed-delimiter", notes: [DiagnosticNote("'{' opened here", at: opener.range)])
                return nil
            }
            let start = position
            if let item = parseItem(self), !panicking { items.append(item) }
            if panicking { synchronizeLine() }
            if position == start, !check(.rightBrace), !isSeparator { advance() }
        }
    }

    /// An empty range just after the last token before the current line break: where a missing
    /// `}` belongs.
    var insertionPoint: SourceRange {
        var index = position - 1
        while index >= 0, tokens[index].kind == .newline || tokens[index].kind == .semicolon { index -= 1 }
        let end = index >= 0 ? tokens[index].range.end : 0
        return SourceRange(file: file, start: end, end: end)
    }

    /// Whether the current token ends a layer or setting.
    var atItemEnd: Bool { isSeparator || check(.rightBrace) || check(.endOfFile) }

    /// layer = [ identifier ":" ] identifier [ argument { "," argument } ] ;
    func parseLayer() -> LayerDecl? {
        let first = current
        var name: Identifier?
        if check(.identifier), peek().kind == .colon {
            name = Identifier(current.text, range: current.range)
            advance()
            advance()
        }
        guard let kind = expectIdentifier(name.map { "a layer kind after '\($0):'" } ?? "a layer kind") else {
            return nil
        }
        var arguments: [Argument] = []
        if !atItemEnd {
            repeat {
                let expected = arguments.isEmpty ? "an argument for '\(kind)'" : "an argument after ','"
                guard let argument = parseArgument(expected: expected) else { return nil }
                arguments.append(argument)
            } while match(.comma)
            guard atItemEnd else {
                error("expected ',' or a newline after the argument of '\(kind)', found \(current.displayName)")
                return nil
            }
        }
        return LayerDecl(name: name, kind: kind, arguments: arguments,
                         range: first.range.union(previous?.range ?? first.range))
    }

    /// argument = [ identifier ":" ] expression ;
    func parseArgument(expected: String) -> Argument? {
        let label = check(.identifier) && peekKind() == .colon ? parseLabel() : nil
        guard let value = parseExpression(expected: label.map(Parser.valueExpected) ?? expected) else { return nil }
        return Argument(label: label, value: value)
    }

    /// `name:` at the cursor, consumed, with the newlines after it inside brackets.
    @inline(never)
    func parseLabel() -> Identifier {
        let label = takeIdentifier()
        advance()
        skipNewlinesInBrackets()
        return label
    }

    @inline(never)
    static func valueExpected(for label: Identifier) -> String { "a value for '\(label):'" }
}
