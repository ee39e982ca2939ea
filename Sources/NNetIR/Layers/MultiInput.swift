// Layers that read earlier layers by name instead of (only) the previous one: `add [skip, conv2d_3]`,
// `concat [a, b], axis: -1`. ModelLowering hands them the layers lowered so far; GraphBuilder
// passes them those layers' output nodes. Stage: IR.

import NNetSyntax

/// A layer kind whose inputs are named earlier layers. Its `configure(_:input:layer:name:)` is
/// never called: ModelLowering calls `configure(_:earlier:layer:name:)` instead.
public protocol MultiInputLayerDefinition: LayerDefinition {
    static func configure(_ arguments: BoundArguments, earlier: EarlierLayers, layer: LayerDecl,
                          name: String) throws(Diagnostic) -> LayerConfig
}

extension MultiInputLayerDefinition {
    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        preconditionFailure("\(kind) is configured with the earlier layers")
    }
}

/// One earlier layer a layer reads: its index in LoweredModel.layers (-1 for the model's input),
/// name, output shape, where the reference is written and where that layer is declared.
public struct LayerReference: Sendable {
    public let index: Int
    public let name: String
    public let shape: [Int]
    public let range: SourceRange
    public let declaration: SourceRange

    /// "'conv2d_2' is defined here", for diagnostics about this input.
    public var definedHere: DiagnosticNote {
        DiagnosticNote("'\(name)' (\(describeShape(shape))) is defined here", at: declaration)
    }
}

/// The model's input and the layers lowered before the current one, by name.
public struct EarlierLayers: Sendable {
    public let inputShape: [Int]
    /// Where the `input` line is.
    public let inputRange: SourceRange
    /// Name, output shape and declaration of each earlier layer, in order.
    public let layers: [(name: String, shape: [Int], declaration: SourceRange)]

    /// Resolves `[a, b, ...]` (at least `minimum` names) for `owner` (e.g. `add 'add_1'`).
    /// `input` names the model's input; a name used twice refers to the latest layer with it.
    public func resolve(_ value: Value, owner: String, minimum: Int = 2) throws(Diagnostic) -> [LayerReference] {
        guard case .list(let items) = value.kind else {
            throw .error("type-mismatch", "\(owner) takes a list of earlier layer names such as [skip, conv2d_2], found \(value.kindName) '\(value)'",
                         at: value.range)
        }
        guard items.count >= minimum else {
            throw .error("missing-argument", "\(owner) needs at least \(minimum) layers, found \(items.count)", at: value.range)
        }
        var references: [LayerReference] = []
        for item in items {
            guard case .symbol(let name) = item.kind else {
                throw .error("type-mismatch", "\(owner) takes layer names, found \(item.kindName) '\(item)'", at: item.range)
            }
            if let index = layers.lastIndex(where: { $0.name == name }) {
                references.append(LayerReference(index: index, name: name, shape: layers[index].shape, range: item.range,
                                                 declaration: layers[index].declaration))
            } else if name == "input" {
                references.append(LayerReference(index: -1, name: name, shape: inputShape, range: item.range,
                                                 declaration: inputRange))
            } else {
                let names = ["input"] + layers.map(\.name)
                throw .error("unknown-layer", "\(owner) reads '\(name)', which is not an earlier layer", at: item.range,
                             help: closestMatch(to: name, in: names).map { "did you mean '\($0)'?" }
                                ?? "earlier layers are \(names.joined(separator: ", "))")
            }
        }
        return references
    }
}
