// Evaluated argument values: what an expression in a layer, dataset or train setting means
// once constants are substituted and arithmetic is done. Stage: IR (semantic analysis).

import NNetSyntax

public indirect enum ValueKind: Sendable {
    case number(Double, isInteger: Bool)
    case string(String)
    case list([Value])
    /// A bare name that is not a constant: an activation, loss, metric, model or dataset name.
    case symbol(String)
    /// `name(args)`: an optimizer, an activation with parameters, a dataset constructor.
    case call(name: Identifier, arguments: [EvaluatedArgument])
    /// `base.member`, e.g. a dataset split `fashion.train`.
    case member(base: Value, member: Identifier)
}

public struct Value: Sendable, CustomStringConvertible {
    public let kind: ValueKind
    public let range: SourceRange
    public init(_ kind: ValueKind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }

    /// A short human name for the kind of value, used in "expected X, found Y" messages.
    public var kindName: String {
        switch kind {
        case .number(_, let isInteger): return isInteger ? "integer" : "number"
        case .string: return "string"
        case .list: return "list"
        case .symbol: return "name"
        case .call: return "call"
        case .member: return "member access"
        }
    }

    public var description: String {
        switch kind {
        // An integer too large for `Int` (`99999999999999999999`, `10000000000 * 10000000000`)
        // prints as a Double rather than trapping in the conversion.
        case .number(let v, let isInteger): return isInteger && abs(v) < 0x1p63 ? String(Int(v)) : String(v)
        case .string(let s): return "\"\(s)\""
        case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .symbol(let name): return name
        case .call(let name, let arguments):
            return name.name + "(" + arguments.map { ($0.label.map { "\($0.name): " } ?? "") + $0.value.description }
                .joined(separator: ", ") + ")"
        case .member(let base, let member): return "\(base).\(member.name)"
        }
    }
}

public struct EvaluatedArgument: Sendable {
    public let label: Identifier?
    public let value: Value
    public init(label: Identifier?, value: Value) {
        self.label = label
        self.value = value
    }
}
