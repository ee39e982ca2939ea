// Expressions: arithmetic with the usual precedence, member chains, calls, lists, groups.
// Newlines inside `()` and `[]` are insignificant. Stage: syntax (tokens -> AST).
//
// Nesting recurses through parseExpression -> parseUnary -> parsePrimary -> parseList/Call/Group.
// Those four frames are kept thin, with the work and the messages in @inline(never) helpers
// that are not on the stack during the recursion: unoptimised builds give every temporary its
// own stack slot. Measured in a debug build: `maximumNesting` levels of any bracket kind fit in
// 768 KiB of stack (about 6 KiB per level before this split and `Parser` becoming a class).

extension Parser {
    /// expression = term { ( "+" | "-" ) term } ;
    /// `expected` names what the caller wants, for `expected EXPECTED, found ...`.
    func parseExpression(expected: String) -> Expr? {
        guard expressionDepth < Parser.maximumNesting else {
            reportNestingTooDeep()
            return nil
        }
        expressionDepth += 1
        defer { expressionDepth -= 1 }
        guard let first = parseUnary(expected: expected) else { return nil }
        guard binaryOperatorAhead() != nil else { return first }
        return parseOperators(after: first)
    }

    /// term = unary { ( "*" | "/" ) unary } ;
    /// Both binary levels in one loop with an operator stack: `*` `/` bind tighter than `+` `-`,
    /// and operators of one level associate to the left (`8 / 2 / 2` is `(8 / 2) / 2`).
    @inline(never)
    func parseOperators(after first: Expr) -> Expr? {
        var operands = [first]
        var operators: [BinaryOperator] = []
        while let op = binaryOperatorAhead() {
            advance()
            while let top = operators.last, top.precedence >= op.precedence {
                operators.removeLast()
                guard reduce(top, &operands) else { return nil }
            }
            operators.append(op)
            guard let operand = parseUnary(expected: Parser.operand(after: op.rawValue)) else { return nil }
            operands.append(operand)
        }
        while let top = operators.popLast() {
            guard reduce(top, &operands) else { return nil }
        }
        return operands[0]
    }

    /// The binary operator at the cursor (looking past newlines inside brackets), not consumed.
    func binaryOperatorAhead() -> BinaryOperator? {
        guard continues(with: .plus, .minus) || continues(with: .star, .slash) else { return nil }
        return BinaryOperator(rawValue: currentKind.rawValue)
    }

    /// Replaces the last two operands by `left op right`; false when that is too deep.
    func reduce(_ op: BinaryOperator, _ operands: inout [Expr]) -> Bool {
        let right = operands.removeLast()
        let left = operands.removeLast()
        guard let binary = node(.binary(op, left, right), range: left.range.union(right.range)) else { return false }
        operands.append(binary)
        return true
    }

    /// unary = ( "-" | "+" ) unary | postfix ;
    /// Signs are collected in a loop, so that a long run of them cannot exhaust the stack.
    func parseUnary(expected: String) -> Expr? {
        skipNewlinesInBrackets()
        let signs = check(.minus) || check(.plus) ? parseSigns() : []
        guard let primary = parsePrimary(expected: signs.isEmpty ? expected : Parser.operand(after: signs.last!))
        else { return nil }
        guard continues(with: .dot) || !signs.isEmpty else { return primary }
        return applying(signs, to: primary)
    }

    /// The run of `-` and `+` at the cursor, consumed.
    @inline(never)
    func parseSigns() -> [Token] {
        var signs: [Token] = []
        while check(.minus) || check(.plus) {
            signs.append(current)
            advance()
            skipNewlinesInBrackets()
        }
        return signs
    }

    /// The member chain after `operand`, then the signs before it, innermost first.
    @inline(never)
    func applying(_ signs: [Token], to operand: Expr) -> Expr? {
        guard var result = parseMembers(of: operand) else { return nil }
        for sign in signs.reversed() {
            let op: UnaryOperator = sign.kind == .minus ? .negate : .plus
            guard let signed = node(.unary(op, result), range: sign.range.union(result.range)) else { return nil }
            result = signed
        }
        return result
    }

    /// postfix = primary { "." identifier } ;
    @inline(never)
    func parseMembers(of base: Expr) -> Expr? {
        var result = base
        while continues(with: .dot) {
            advance()
            guard let member = expectIdentifier("a member name after '.'") else { return nil }
            guard let access = node(.member(base: result, member: member), range: result.range.union(member.range))
            else { return nil }
            result = access
        }
        return result
    }

    /// primary = number | string | call | identifier | list | group ;
    func parsePrimary(expected: String) -> Expr? {
        switch currentKind {
        case .number, .string, .identifier:
            return peekKind() == .leftParen && check(.identifier) ? parseCall() : parseName()
        case .leftBracket:
            return parseList()
        case .leftParen:
            return parseGroup()
        default:
            reportExpected(expected)
            return nil
        }
    }

    /// A literal or a name, consumed.
    @inline(never)
    func parseName() -> Expr? {
        let token = current
        advance()
        switch token.value {
        case .number(let value, let isInteger): return Expr(.number(value, isInteger: isInteger), range: token.range)
        case .string(let contents): return Expr(.string(contents), range: token.range)
        case .none, .error: return Expr(.identifier(token.text), range: token.range)
        }
    }

    /// call = identifier "(" [ argument { "," argument } [ "," ] ] ")" ;
    func parseCall() -> Expr? {
        let callee = position
        advance()
        advance()
        bracketDepth += 1
        defer { bracketDepth -= 1 }
        var arguments: [Argument] = []
        skipNewlinesInBrackets()
        while !check(.rightParen) {
            guard let argument = parseArgument(expected: Parser.expected(arguments.isEmpty, first: "an argument or ')'"))
            else { return nil }
            arguments.append(argument)
            guard continues(with: .comma, .rightParen), match(.comma) else { break }
            skipNewlinesInBrackets()
        }
        return closeCall(callee: callee, arguments: arguments)
    }

    @inline(never)
    func closeCall(callee: Int, arguments: [Argument]) -> Expr? {
        guard check(.rightParen) else {
            unclosed(.rightParen, opener: tokens[callee + 1])
            return nil
        }
        let name = Identifier(tokens[callee].text, range: tokens[callee].range)
        let range = name.range.union(current.range)
        advance()
        return node(.call(callee: name, arguments: arguments), range: range)
    }

    /// list = "[" [ expression { "," expression } [ "," ] ] "]" ;
    func parseList() -> Expr? {
        let opener = position
        advance()
        bracketDepth += 1
        defer { bracketDepth -= 1 }
        var elements: [Expr] = []
        skipNewlinesInBrackets()
        while !check(.rightBracket) {
            guard let element = parseExpression(expected: Parser.expected(elements.isEmpty, first: "an expression or ']'"))
            else { return nil }
            elements.append(element)
            guard continues(with: .comma, .rightBracket), match(.comma) else { break }
            skipNewlinesInBrackets()
        }
        return close(.rightBracket, opener: opener, making: .list(elements))
    }

    /// group = "(" expression ")" ;
    func parseGroup() -> Expr? {
        let opener = position
        advance()
        bracketDepth += 1
        defer { bracketDepth -= 1 }
        guard let inner = parseExpression(expected: "an expression after '('") else { return nil }
        _ = continues(with: .rightParen)
        return close(.rightParen, opener: opener, making: inner.kind)
    }

    /// Consumes the `closer` of the bracket opened at token `opener` and makes the expression
    /// spanning both; otherwise reports `expected ']' to close '[' at 3:14, found ...`.
    @inline(never)
    func close(_ closer: TokenKind, opener: Int, making kind: ExprKind) -> Expr? {
        guard check(closer) else {
            unclosed(closer, opener: tokens[opener])
            return nil
        }
        let range = tokens[opener].range.union(current.range)
        advance()
        return node(kind, range: range)
    }

    /// A new expression node, or `nil` after `nesting-too-deep` when the tree would be deeper
    /// than `maximumNesting` (`- - - 1`, `a.b.c` and `1 + 2 + 3` deepen it as brackets do).
    @inline(never)
    func node(_ kind: ExprKind, range: SourceRange) -> Expr? {
        let expression = Expr(kind, range: range)
        guard expression.depth <= Parser.maximumNesting else {
            reportNestingTooDeep()
            return nil
        }
        return expression
    }

    // MARK: - Messages

    @inline(never)
    static func operand(after symbol: String) -> String { "an expression after '\(symbol)'" }

    @inline(never)
    static func operand(after sign: Token) -> String { operand(after: sign.kind.rawValue) }

    /// What a list or call wants next: `first` before any item, something after the `,` later.
    @inline(never)
    static func expected(_ isFirst: Bool, first: String) -> String {
        isFirst ? first : (first.hasPrefix("an argument") ? "an argument after ','" : "an expression after ','")
    }

    @inline(never)
    func reportNestingTooDeep() {
        error("expression nested too deeply (more than \(Parser.maximumNesting) levels)", id: "nesting-too-deep")
    }
}

extension BinaryOperator {
    /// Binding strength: `*` and `/` bind tighter than `+` and `-`.
    var precedence: Int {
        switch self {
        case .add, .subtract: return 1
        case .multiply, .divide: return 2
        }
    }
}
