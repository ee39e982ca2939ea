// Parameter lists for everything that takes arguments (layers, datasets, optimizers, settings),
// and the binder that matches written arguments against them with precise diagnostics.
// Stage: IR (semantic analysis).

import NNetSyntax

public struct ParameterSpec: Sendable {
    public let name: String
    /// Human description of the accepted values, for messages and docs (`positive integer`).
    public let expects: String
    public let isRequired: Bool
    /// May be given without its label, in declaration order.
    public let isPositional: Bool

    public init(_ name: String, expects: String, required: Bool = false, positional: Bool = false) {
        self.name = name
        self.expects = expects
        self.isRequired = required
        self.isPositional = positional
    }
}

/// What `owner` (e.g. `layer 'dense'`, `optimizer 'adam'`) accepts.
public struct Signature: Sendable {
    public let owner: String
    public let parameters: [ParameterSpec]
    public init(_ owner: String, _ parameters: [ParameterSpec]) {
        self.owner = owner
        self.parameters = parameters
    }
    public var usage: String {
        parameters.map { $0.isRequired ? $0.name : "[\($0.name)]" }.joined(separator: ", ")
    }
}

/// Arguments matched to parameter names, with typed accessors that report bad values precisely.
public struct BoundArguments: Sendable {
    public let owner: String
    public let values: [String: Value]
    /// Where the whole call or layer was written, for messages about missing arguments.
    public let range: SourceRange

    public func has(_ name: String) -> Bool { values[name] != nil }
    public subscript(_ name: String) -> Value? { values[name] }

    public func integer(_ name: String, default fallback: Int? = nil, minimum: Int? = nil) throws(Diagnostic) -> Int {
        guard let value = values[name] else { return try missing(name, fallback) }
        guard case .number(let v, _) = value.kind, v.rounded() == v, abs(v) < 1e15 else {
            throw .error("type-mismatch", "'\(name)' of \(owner) must be an integer, found \(value.kindName) '\(value)'",
                         at: value.range)
        }
        if let minimum, Int(v) < minimum {
            throw .error("value-out-of-range", "'\(name)' of \(owner) must be at least \(minimum), found \(Int(v))",
                         at: value.range)
        }
        return Int(v)
    }

    public func number(_ name: String, default fallback: Double? = nil,
                       in range: ClosedRange<Double>? = nil, exclusiveUpper: Bool = false) throws(Diagnostic) -> Double {
        guard let value = values[name] else { return try missing(name, fallback) }
        guard case .number(let v, _) = value.kind else {
            throw .error("type-mismatch", "'\(name)' of \(owner) must be a number, found \(value.kindName) '\(value)'",
                         at: value.range)
        }
        if let range, !range.contains(v) || (exclusiveUpper && v == range.upperBound) {
            let upper = formatNumber(range.upperBound) + (exclusiveUpper ? ")" : "]")
            throw .error("value-out-of-range",
                         "'\(name)' of \(owner) must be in [\(formatNumber(range.lowerBound)), \(upper), found \(formatNumber(v))",
                         at: value.range)
        }
        return v
    }

    public func string(_ name: String, default fallback: String? = nil) throws(Diagnostic) -> String {
        guard let value = values[name] else { return try missing(name, fallback) }
        guard case .string(let s) = value.kind else {
            throw .error("type-mismatch", "'\(name)' of \(owner) must be a string, found \(value.kindName) '\(value)'",
                         at: value.range)
        }
        return s
    }

    public func bool(_ name: String, default fallback: Bool? = nil) throws(Diagnostic) -> Bool {
        guard let value = values[name] else { return try missing(name, fallback) }
        if case .symbol(let s) = value.kind, s == "true" || s == "false" { return s == "true" }
        throw .error("type-mismatch", "'\(name)' of \(owner) must be true or false, found \(value.kindName) '\(value)'",
                     at: value.range)
    }

    /// A list of positive integers such as `[28, 28, 1]`; a single integer is a rank-1 shape.
    public func shape(_ name: String) throws(Diagnostic) -> [Int] {
        guard let value = values[name] else { return try missing(name, nil) }
        return try BoundArguments.shape(of: value, what: "'\(name)' of \(owner)")
    }

    public static func shape(of value: Value, what: String) throws(Diagnostic) -> [Int] {
        let items: [Value]
        switch value.kind {
        case .list(let list): items = list
        case .number: items = [value]
        default:
            throw .error("type-mismatch", "\(what) must be a shape such as [28, 28, 1], found \(value.kindName) '\(value)'",
                         at: value.range)
        }
        guard !items.isEmpty else { throw .error("invalid-shape", "\(what) must not be empty", at: value.range) }
        var dims: [Int] = []
        for item in items {
            guard case .number(let v, _) = item.kind, v.rounded() == v, v >= 1, v < 1e9 else {
                throw .error("invalid-shape", "\(what): each dimension must be a positive integer, found '\(item)'",
                             at: item.range)
            }
            dims.append(Int(v))
        }
        guard checkedElementCount(dims) != nil else {
            throw .error("tensor-too-large", "\(what) has \(tooManyElements(dims))", at: value.range)
        }
        return dims
    }

    /// A name from `choices` (`relu`), returned with its range.
    public func symbol(_ name: String, choices: [String], default fallback: String? = nil) throws(Diagnostic) -> String {
        guard let value = values[name] else { return try missing(name, fallback) }
        return try BoundArguments.symbol(value, choices: choices, what: name)
    }

    public static func symbol(_ value: Value, choices: [String], what: String) throws(Diagnostic) -> String {
        let written: String
        switch value.kind {
        case .symbol(let s): written = s
        case .string(let s): written = s
        default:
            throw .error("type-mismatch", "\(what) must be one of \(choices.joined(separator: ", ")), found \(value.kindName) '\(value)'",
                         at: value.range)
        }
        guard choices.contains(written) else {
            throw .error("unknown-name", "unknown \(what) '\(written)'", at: value.range,
                         help: closestMatch(to: written, in: choices).map { "did you mean '\($0)'?" }
                            ?? "expected one of \(choices.joined(separator: ", "))")
        }
        return written
    }

    private func missing<T>(_ name: String, _ fallback: T?) throws(Diagnostic) -> T {
        if let fallback { return fallback }
        throw .error("missing-argument", "\(owner) needs '\(name)'", at: range)
    }
}

public enum Binder {
    /// Matches positional and keyword arguments to `signature`. Reports unknown keywords (with the
    /// closest parameter name), duplicates, surplus positional arguments and missing required ones.
    public static func bind(_ arguments: [EvaluatedArgument], to signature: Signature,
                            at range: SourceRange) throws(Diagnostic) -> BoundArguments {
        var values: [String: Value] = [:]
        var labelRanges: [String: SourceRange] = [:]
        let positional = signature.parameters.filter(\.isPositional)
        var nextPositional = 0
        for argument in arguments {
            let name: String
            if let label = argument.label {
                guard signature.parameters.contains(where: { $0.name == label.name }) else {
                    let names = signature.parameters.map(\.name)
                    throw .error("unknown-parameter", "\(signature.owner) has no parameter '\(label.name)'", at: label.range,
                                 help: closestMatch(to: label.name, in: names).map { "did you mean '\($0)'?" }
                                    ?? (names.isEmpty ? "it takes no arguments" : "it takes \(names.joined(separator: ", "))"))
                }
                name = label.name
            } else {
                while nextPositional < positional.count, values[positional[nextPositional].name] != nil { nextPositional += 1 }
                guard nextPositional < positional.count else {
                    throw .error("too-many-arguments",
                                 positional.isEmpty ? "\(signature.owner) takes no positional arguments"
                                    : "\(signature.owner) takes at most \(positional.count) positional argument\(positional.count == 1 ? "" : "s") (\(positional.map(\.name).joined(separator: ", ")))",
                                 at: argument.value.range,
                                 help: signature.parameters.isEmpty ? nil : "its parameters are \(signature.usage)")
                }
                name = positional[nextPositional].name
                nextPositional += 1
            }
            if let previous = values[name] {
                throw .error("duplicate-argument", "'\(name)' given twice to \(signature.owner)",
                             at: argument.label?.range ?? argument.value.range,
                             notes: [DiagnosticNote("first given here", at: labelRanges[name] ?? previous.range)])
            }
            values[name] = argument.value
            labelRanges[name] = argument.label?.range ?? argument.value.range
        }
        for parameter in signature.parameters where parameter.isRequired && values[parameter.name] == nil {
            throw .error("missing-argument", "\(signature.owner) needs '\(parameter.name)' (\(parameter.expects))", at: range,
                         help: "write it as \(parameter.isPositional ? "the first argument or " : "")'\(parameter.name): …'")
        }
        return BoundArguments(owner: signature.owner, values: values, range: range)
    }
}

/// `1` rather than `1.0`; other values as Swift prints them.
func formatNumber(_ v: Double) -> String {
    v.rounded() == v && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
