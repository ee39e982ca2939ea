// The statement productions: program, statement dispatch, and the one-line statements
// (let, data, evaluate, predict, print, save, load). Model and train have their own files.
// Stage: syntax (tokens -> AST).

extension Parser {
    /// program = { separator } { statement separator { separator } } [ statement ] ;
    func parseProgram() -> [Statement] {
        var statements: [Statement] = []
        while true {
            skipSeparators()
            if check(.endOfFile) { break }
            let start = position
            panicking = false
            let statement = parseStatement()
            if let statement, !panicking { statements.append(statement) }
            if panicking { synchronizeStatement() }
            if position == start { advance() }
        }
        return statements
    }

    /// statement = let_statement | data_statement | model_statement | train_statement
    ///           | evaluate_statement | predict_statement | print_statement | save_statement
    ///           | load_statement | pairing_statement | sample_statement ;
    func parseStatement() -> Statement? {
        guard check(.identifier) else {
            error("expected a statement, found \(current.displayName)",
                  help: check(.rightBrace) ? "this '}' closes no block" : nil)
            return nil
        }
        let keyword = current
        let kind: StatementKind?
        let what: String
        switch keyword.text {
        case "let":
            kind = parseBinding(.constant, what: "constant")
            what = "let statement"
        case "data":
            kind = parseBinding(.data, what: "dataset")
            what = "data statement"
        case "model":
            kind = parseModelStatement()
            what = "model block"
        case "train":
            kind = parseTrainStatement()
            what = "train statement"
        case "evaluate":
            kind = parseEvaluateStatement()
            what = "evaluate statement"
        case "predict":
            kind = parsePredictStatement()
            what = "predict statement"
        case "print":
            kind = parsePrintStatement()
            what = "print statement"
        case "save", "load":
            kind = parseSaveOrLoadStatement()
            what = "\(keyword.text) statement"
        case "gan", "vae", "autoencoder":
            kind = parsePairing()
            what = "\(keyword.text) block"
        case "sample":
            kind = parseSampleStatement()
            what = "sample statement"
        default:
            reportUnknownStatement()
            return nil
        }
        guard let kind else { return nil }
        guard isSeparator || check(.endOfFile) else {
            error("expected a newline after the \(what), found \(current.displayName)")
            return nil
        }
        return Statement(kind, range: keyword.range.union(previous?.range ?? keyword.range))
    }

    /// `unknown statement 'trian'`, with the likeliest fix as help.
    func reportUnknownStatement() {
        let word = current.text
        let help: String
        if peek().kind == .equals {
            help = "to define a constant, write 'let \(word) = ...'"
        } else if let suggestion = closestMatch(to: word, in: Parser.statementKeywords) {
            help = "did you mean '\(suggestion)'?"
        } else {
            help = "a statement starts with one of: " + Parser.statementKeywords.joined(separator: ", ")
        }
        error("unknown statement '\(word)'", id: "unknown-statement", help: help)
        advance()
    }

    enum BindingKind { case constant, data }

    /// let_statement = "let" identifier "=" expression ;
    /// data_statement = "data" identifier "=" expression ;
    func parseBinding(_ binding: BindingKind, what: String) -> StatementKind? {
        let keyword = current.text
        advance()
        guard let name = expectIdentifier("a \(what) name after '\(keyword)'") else { return nil }
        guard match(.equals) else {
            error("expected '=' after \(what) name '\(name)', found \(current.displayName)")
            return nil
        }
        guard let value = parseExpression(expected: "a value for '\(name)'") else { return nil }
        switch binding {
        case .constant: return .constant(name: name, value: value)
        case .data: return .data(name: name, value: value)
        }
    }

    /// evaluate_statement = "evaluate" identifier "on" expression ;
    func parseEvaluateStatement() -> StatementKind? {
        guard let (model, dataset) = parseModelOnDataset("evaluate") else { return nil }
        return .evaluate(model: model, dataset: dataset)
    }

    /// predict_statement = "predict" identifier "on" expression { "," argument } ;
    func parsePredictStatement() -> StatementKind? {
        guard let (model, dataset) = parseModelOnDataset("predict") else { return nil }
        var arguments: [Argument] = []
        while match(.comma) {
            guard let argument = parseArgument(expected: "an argument after ','") else { return nil }
            arguments.append(argument)
        }
        return .predict(model: model, dataset: dataset, arguments: arguments)
    }

    /// The shared head of train, evaluate and predict: `KEYWORD MODEL on DATASET`.
    func parseModelOnDataset(_ keyword: String) -> (Identifier, Expr)? {
        advance()
        guard let model = expectIdentifier("a model name after '\(keyword)'"),
              expectWord("on", "expected 'on' after model name in \(keyword) statement"),
              let dataset = parseExpression(expected: "a dataset after 'on'")
        else { return nil }
        return (model, dataset)
    }

    /// print_statement = "print" expression { "," expression } ;
    func parsePrintStatement() -> StatementKind? {
        advance()
        guard let first = parseExpression(expected: "an expression after 'print'") else { return nil }
        var values = [first]
        while match(.comma) {
            guard let value = parseExpression(expected: "an expression after ','") else { return nil }
            values.append(value)
        }
        return .print(values)
    }

    /// save_statement = "save" identifier "to" expression ;
    /// load_statement = "load" identifier "from" expression ;
    func parseSaveOrLoadStatement() -> StatementKind? {
        let isSave = current.text == "save"
        let keyword = isSave ? "save" : "load"
        let word = isSave ? "to" : "from"
        advance()
        guard let model = expectIdentifier("a model name after '\(keyword)'"),
              expectWord(word, "expected '\(word)' after model name in \(keyword) statement"),
              let path = parseExpression(expected: "a file path after '\(word)'")
        else { return nil }
        return isSave ? .save(model: model, path: path) : .load(model: model, path: path)
    }

    /// pairing_statement = ( "gan" | "vae" | "autoencoder" ) identifier settings ;
    func parsePairing() -> StatementKind? {
        let keyword = current.text
        advance()
        guard let name = expectIdentifier("a name after '\(keyword)'") else { return nil }
        guard check(.leftBrace) else {
            error("expected '{' after the name of \(keyword) '\(name)', found \(current.displayName)")
            return nil
        }
        guard let settings = parseBlock(closing: "\(keyword) '\(name)'", item: { $0.parseSetting() }) else { return nil }
        return .pairing(PairingKind(rawValue: keyword)!, name: name, settings: settings)
    }

    /// sample_statement = "sample" identifier "to" expression { "," argument } ;
    func parseSampleStatement() -> StatementKind? {
        advance()
        guard let model = expectIdentifier("a model, gan or vae name after 'sample'"),
              expectWord("to", "expected 'to' after the name in sample statement"),
              let path = parseExpression(expected: "an image file path after 'to'")
        else { return nil }
        var arguments: [Argument] = []
        while match(.comma) {
            guard let argument = parseArgument(expected: "an argument after ','") else { return nil }
            arguments.append(argument)
        }
        return .sample(model: model, path: path, arguments: arguments)
    }
}
