// Evaluates expressions: substitutes `let` constants, folds arithmetic, keeps names symbolic.
// Stage: IR (semantic analysis). Errors are diagnostics with the expression's range.

import NNetSyntax

/// Constants visible to an expression, with where each was defined (for notes).
public struct ConstantScope: Sendable {
    public private(set) var values: [String: Value] = [:]
    public init() {}
    public mutating func define(_ name: String, _ value: Value) { values[name] = value }
    public func lookup(_ name: String) -> Value? { values[name] }
}

public enum Evaluator {
    public static func evaluate(_ expr: Expr, in scope: ConstantScope) throws(Diagnostic) -> Value {
        switch expr.kind {
        case .number(let v, let isInteger):
            return Value(.number(v, isInteger: isInteger), range: expr.range)
        case .string(let s):
            return Value(.string(s), range: expr.range)
        case .identifier(let name):
            if let constant = scope.lookup(name) { return Value(constant.kind, range: expr.range) }
            return Value(.symbol(name), range: expr.range)
        case .list(let items):
            var values: [Value] = []
            for item in items { values.append(try evaluate(item, in: scope)) }
            return Value(.list(values), range: expr.range)
        case .call(let callee, let arguments):
            var values: [EvaluatedArgument] = []
            for argument in arguments {
                values.append(EvaluatedArgument(label: argument.label, value: try evaluate(argument.value, in: scope)))
            }
            return Value(.call(name: callee, arguments: values), range: expr.range)
        case .member(let base, let member):
            return Value(.member(base: try evaluate(base, in: scope), member: member), range: expr.range)
        case .unary(let op, let operand):
            let value = try evaluate(operand, in: scope)
            guard case .number(let v, let isInteger) = value.kind else {
                throw .error("type-mismatch", "operator '\(op.rawValue)' needs a number, found \(value.kindName) '\(value)'",
                             at: operand.range)
            }
            return Value(.number(op == .negate ? -v : v, isInteger: isInteger), range: expr.range)
        case .binary(let op, let left, let right):
            let lhs = try evaluate(left, in: scope), rhs = try evaluate(right, in: scope)
            guard case .number(let a, let aInt) = lhs.kind else {
                throw .error("type-mismatch", "operator '\(op.rawValue)' needs numbers, found \(lhs.kindName) '\(lhs)'",
                             at: left.range)
            }
            guard case .number(let b, let bInt) = rhs.kind else {
                throw .error("type-mismatch", "operator '\(op.rawValue)' needs numbers, found \(rhs.kindName) '\(rhs)'",
                             at: right.range)
            }
            let result: Double
            switch op {
            case .add: result = a + b
            case .subtract: result = a - b
            case .multiply: result = a * b
            case .divide:
                guard b != 0 else { throw .error("division-by-zero", "division by zero", at: right.range) }
                result = a / b
            }
            let integral = aInt && bInt && op != .divide
            return Value(.number(result, isInteger: integral), range: expr.range)
        }
    }
}
