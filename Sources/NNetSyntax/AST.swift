// The abstract syntax tree produced by the parser and consumed by lowering and the interpreter.
// Stage: syntax. Every node carries its source range for diagnostics.

/// A name as written, with where it was written.
public struct Identifier: Sendable, CustomStringConvertible {
    public let name: String
    public let range: SourceRange
    public init(_ name: String, range: SourceRange) {
        self.name = name
        self.range = range
    }
    public var description: String { name }
}

public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"
}

public enum UnaryOperator: String, Sendable {
    case negate = "-", plus = "+"
}

/// An expression: argument values, dataset constructors, optimizer calls, shapes.
public indirect enum ExprKind: Sendable {
    /// A numeric literal; `isInteger` when written without '.' or exponent (`32`, not `32.0`).
    case number(Double, isInteger: Bool)
    case string(String)
    /// A bare name: a constant, a model, a dataset, an activation (`relu`), a loss.
    case identifier(String)
    /// `[a, b, c]`
    case list([Expr])
    /// `name(args)`, e.g. `adam(lr: 0.001)`, `leaky_relu(0.2)`, `idx("path", scale: 1/255)`.
    case call(callee: Identifier, arguments: [Argument])
    /// `base.member`, e.g. `fashion.train`.
    case member(base: Expr, member: Identifier)
    case binary(BinaryOperator, Expr, Expr)
    case unary(UnaryOperator, Expr)
}

public struct Expr: Sendable {
    public let kind: ExprKind
    public let range: SourceRange
    /// Height of the tree rooted here: 1 for a literal or name, 1 + the deepest child otherwise.
    /// The parser rejects expressions deeper than `Parser.maximumNesting`, so recursive walks
    /// over the AST (and its deallocation) stay far from the stack limit.
    public let depth: Int
    public init(_ kind: ExprKind, range: SourceRange) {
        self.kind = kind
        self.range = range
        switch kind {
        case .number, .string, .identifier: depth = 1
        case .list(let elements): depth = 1 + (elements.map(\.depth).max() ?? 0)
        case .call(_, let arguments): depth = 1 + (arguments.map(\.value.depth).max() ?? 0)
        case .member(let base, _): depth = 1 + base.depth
        case .binary(_, let left, let right): depth = 1 + max(left.depth, right.depth)
        case .unary(_, let operand): depth = 1 + operand.depth
        }
    }
}

/// A positional (`label == nil`) or keyword (`units: 32`) argument.
public struct Argument: Sendable {
    public let label: Identifier?
    public let value: Expr
    public init(label: Identifier?, value: Expr) {
        self.label = label
        self.value = value
    }
    public var range: SourceRange { label.map { $0.range.union(value.range) } ?? value.range }
}

/// One line of a model block: `[name:] kind args`, e.g. `h1: dense 32, activation: relu`.
public struct LayerDecl: Sendable {
    public let name: Identifier?
    public let kind: Identifier
    public let arguments: [Argument]
    public let range: SourceRange
    public init(name: Identifier?, kind: Identifier, arguments: [Argument], range: SourceRange) {
        self.name = name
        self.kind = kind
        self.arguments = arguments
        self.range = range
    }
}

/// `model NAME { layer* }`
public struct ModelDecl: Sendable {
    public let name: Identifier
    public let layers: [LayerDecl]
    public let range: SourceRange
    public init(name: Identifier, layers: [LayerDecl], range: SourceRange) {
        self.name = name
        self.layers = layers
        self.range = range
    }
}

/// `key: value` inside a `train` block.
public struct Setting: Sendable {
    public let key: Identifier
    public let value: Expr
    public init(key: Identifier, value: Expr) {
        self.key = key
        self.value = value
    }
    public var range: SourceRange { key.range.union(value.range) }
}

public enum StatementKind: Sendable {
    /// `let NAME = expr`
    case constant(name: Identifier, value: Expr)
    /// `data NAME = expr`
    case data(name: Identifier, value: Expr)
    /// `model NAME { ... }`
    case model(ModelDecl)
    /// `train MODEL on DATASET { settings }`
    case train(model: Identifier, dataset: Expr, settings: [Setting])
    /// `evaluate MODEL on DATASET`
    case evaluate(model: Identifier, dataset: Expr)
    /// `predict MODEL on DATASET [, count: N]`
    case predict(model: Identifier, dataset: Expr, arguments: [Argument])
    /// `print expr, ...`
    case print([Expr])
    /// `save MODEL to "path"`
    case save(model: Identifier, path: Expr)
    /// `load MODEL from "path"`
    case load(model: Identifier, path: Expr)
    /// `gan NAME { generator: G, discriminator: D, ... }`, `vae NAME { encoder: E, decoder: D }`,
    /// `autoencoder NAME { encoder: E, decoder: D }`: two models trained together.
    case pairing(PairingKind, name: Identifier, settings: [Setting])
    /// `sample NAME to "grid.png" [, count: 64, seed: 1]`
    case sample(model: Identifier, path: Expr, arguments: [Argument])
}

public enum PairingKind: String, Sendable, CaseIterable {
    case gan, vae, autoencoder
}

public struct Statement: Sendable {
    public let kind: StatementKind
    /// The whole statement; its first token is the keyword.
    public let range: SourceRange
    public init(_ kind: StatementKind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// A parsed file or REPL entry. `statements` holds everything that parsed, even when
/// `diagnostics` has errors (the parser recovers at statement boundaries).
public struct Program: Sendable {
    public let file: SourceFile
    public let statements: [Statement]
    public let diagnostics: [Diagnostic]
    public init(file: SourceFile, statements: [Statement], diagnostics: [Diagnostic]) {
        self.file = file
        self.statements = statements
        self.diagnostics = diagnostics
    }
}
