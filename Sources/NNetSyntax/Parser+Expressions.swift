// Expressions: arithmetic with the usual precedence, member chains, calls, lists, groups.
// Newlines inside `()` and `[]` are insignificant. Stage: syntax (tokens -> AST).

extension Parser {
    /// expression = term { ( "+" | "-" ) term } ;
    /// `expected` names what the caller wants, for `expected EXPECTED, found ...`.
    mutating func parseExpression(expected: String) -> Expr? {
        guard expressionDepth < Parser.maximumNesting else {
            error("expression nested too deeply (more than \(Parser.maximumNesting) levels)", id: "nesting-too-deep")
            return nil
        }
        expressionDepth += 1
        defer { expressionDepth -= 1 }
        guard var left = parseTerm(expected: expected) else { return nil }
        while continues(with: [.plus, .minus]) {
            let symbol = current.kind
            advance()
            guard let right = parseTerm(expected: "an expression after '\(symbol.rawValue)'") else { return nil }
            let op: BinaryOperator = symbol == .plus ? .add : .subtract
            left = Expr(.binary(op, left, right), range: left.range.union(right.range))
        }
        return left
    }

    /// term = unary { ( "*" | "/" ) unary } ;
    mutating func parseTerm(expected: String) -> Expr? {
        guard var left = parseUnary(expected: expected) else { return nil }
        while continues(with: [.star, .slash]) {
            let symbol = current.kind
            advance()
            guard let right = parseUnary(expected: "an expression after '\(symbol.rawValue)'") else { return nil }
            let op: BinaryOperator = symbol == .star ? .multiply : .divide
            left = Expr(.binary(op, left, right), range: left.range.union(right.range))
        }
        return left
    }

    /// unary = ( "-" | "+" ) unary | postfix ;
    /// Iterative, so a long run of signs cannot exhaust the stack.
    mutating func parseUnary(expected: String) -> Expr? {
        var signs: [Token] = []
        skipNewlinesInBrackets()
        while check(.minus) || check(.plus) {
            signs.append(current)
            advance()
            skipNewlinesInBrackets()
        }
        let operand = signs.last.map { "an expression after '\($0.kind.rawValue)'" } ?? expected
        guard var result = parsePostfix(expected: operand) else { return nil }
        for sign in signs.reversed() {
            result = Expr(.unary(sign.kind == .minus ? .negate : .plus, result), range: sign.range.union(result.range))
        }
        return result
    }

    /// postfix = primary { "." identifier } ;
    mutating func parsePostfix(expected: String) -> Expr? {
        guard var result = parsePrimary(expected: expected) else { return nil }
        while continues(with: [.dot]) {
            advance()
            guard let member = expectIdentifier("a member name after '.'") else { return nil }
            result = Expr(.member(base: result, member: member), range: result.range.union(member.range))
        }
        return result
    }

    /// primary = number | string | call | identifier | list | group ;
    mutating func parsePrimary(expected: String) -> Expr? {
        let token = current
        switch (token.kind, token.value) {
        case (.number, .number(let value, let isInteger)):
            advance()
            return Expr(.number(value, isInteger: isInteger), range: token.range)
        case (.string, .string(let contents)):
            advance()
            return Expr(.string(contents), range: token.range)
        case (.identifier, _):
            if peek().kind == .leftParen { return parseCall() }
            advance()
            return Expr(.identifier(token.text), range: token.range)
        case (.leftBracket, _):
            return parseList()
        case (.leftParen, _):
            return parseGroup()
        default:
            error("expected \(expected), found \(token.displayName)")
            return nil
        }
    }

    /// call = identifier "(" [ argument { "," argument } [ "," ] ] ")" ;
    mutating func parseCall() -> Expr? {
        let callee = Identifier(current.text, range: current.range)
        advance()
        let opener = current
        advance()
        bracketDepth += 1
        defer { bracketDepth -= 1 }
        var arguments: [Argument] = []
        skipNewlinesInBrackets()
        while !check(.rightParen) {
            let expected = arguments.isEmpty ? "an argument or ')'" : "an argument after ','"
            guard let argument = parseArgument(expected: expected) else { return nil }
            arguments.append(argument)
            guard continues(with: [.comma, .rightParen]), match(.comma) else { break }
            skipNewlinesInBrackets()
        }
        guard check(.rightParen) else {
            unclosed(.rightParen, opener: opener)
            return nil
        }
        let range = callee.range.union(current.range)
        advance()
        return Expr(.call(callee: callee, arguments: arguments), range: range)
    }

    /// list = "[" [ expression { "," expression } [ "," ] ] "]" ;
    mutating func parseList() -> Expr? {
        let opener = current
        advance()
        bracketDepth += 1
        defer { bracketDepth -= 1 }
        var elements: [Expr] = []
        skipNewlinesInBrackets()
        while !check(.rightBracket) {
            let expected = elements.isEmpty ? "an expression or ']'" : "an expression after ','"
            guard let element = parseExpression(expected: expected) else { return nil }
            elements.append(element)
            guard continues(with: [.comma, .rightBracket]), match(.comma) else { break }
            skipNewlinesInBrackets()
        }
        guard check(.rightBracket) else {
            unclosed(.rightBracket, opener: opener)
            return nil
        }
        let range = opener.range.union(current.range)
        advance()
        return Expr(.list(elements), range: range)
    }

    /// group = "(" expression ")" ;
    mutating func parseGroup() -> Expr? {
        let opener = current
        advance()
        bracketDepth += 1
        defer { bracketDepth -= 1 }
        guard let inner = parseExpression(expected: "an expression after '('") else { return nil }
        guard continues(with: [.rightParen]) else {
            unclosed(.rightParen, opener: opener)
            return nil
        }
        let range = opener.range.union(current.range)
        advance()
        return Expr(inner.kind, range: range)
    }
}
