// Lowering a `model` block: resolves layer kinds and arguments, infers every layer's shape,
// numbers the parameters, and builds forward graphs. Stage: IR.

import NNetSyntax

public struct LoweredLayer: Sendable {
    public let name: String
    public let kind: String
    public let declaration: LayerDecl
    public let inputShape: [Int]
    public let config: LayerConfig
    /// Indices into LoweredModel.parameters.
    public let parameterIndices: [Int]
    public var outputShape: [Int] { config.outputShape }
}

public struct LoweredModel: Sendable {
    public let name: String
    public let declaration: ModelDecl
    public let inputShape: [Int]
    public let layers: [LoweredLayer]
    public let parameters: [ParameterInfo]

    public var outputShape: [Int] { layers.last?.outputShape ?? inputShape }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
    /// The activation that ends the model, when it is softmax or sigmoid (fused into losses).
    public var finalActivation: Activation? {
        for layer in layers.reversed() {
            if let activation = layer.config.finalActivation { return activation }
            if layer.kind == "dropout" || layer.kind == "reshape" || layer.kind == "flatten" { continue }
            return nil
        }
        return nil
    }
}

public enum ModelLowering {
    /// Lowers a model declaration, or returns the diagnostics explaining why it cannot be.
    public static func lower(_ model: ModelDecl, constants: ConstantScope) -> Result<LoweredModel, DiagnosticList> {
        var diagnostics: [Diagnostic] = []
        var inputShape: [Int]?
        var shape: [Int] = []
        var layers: [LoweredLayer] = []
        var parameters: [ParameterInfo] = []
        var namesSeen: [String: SourceRange] = [:]
        var kindCounts: [String: Int] = [:]

        guard let first = model.layers.first else {
            return .failure(DiagnosticList([.error("empty-model", "model '\(model.name.name)' has no layers", at: model.name.range,
                                                   help: "start it with an input shape, e.g. 'input [784]'")]))
        }
        for (position, layer) in model.layers.enumerated() {
            do throws(Diagnostic) {
                let arguments = try layer.arguments.map { argument throws(Diagnostic) in
                    EvaluatedArgument(label: argument.label, value: try Evaluator.evaluate(argument.value, in: constants))
                }
                if layer.kind.name == "input" {
                    guard position == 0 else {
                        throw .error("misplaced-input", "'input' must be the first layer of model '\(model.name.name)'",
                                     at: layer.kind.range,
                                     notes: [DiagnosticNote("the model starts here", at: first.range)])
                    }
                    let bound = try Binder.bind(arguments, to: Signature("layer 'input'", [
                        ParameterSpec("shape", expects: "a shape such as [784] or [28, 28, 1]", required: true, positional: true),
                    ]), at: layer.range)
                    shape = try bound.shape("shape")
                    inputShape = shape
                    continue
                }
                if position == 0 {
                    throw .error("missing-input", "model '\(model.name.name)' must start with its input shape",
                                 at: layer.kind.range, help: "add a first line such as 'input [784]' (the batch dimension is implicit)")
                }
                guard let definition = LayerRegistry.definition(for: layer.kind.name) else {
                    throw .error("unknown-layer", "unknown layer kind '\(layer.kind.name)'", at: layer.kind.range,
                                 help: closestMatch(to: layer.kind.name, in: LayerRegistry.kinds).map { "did you mean '\($0)'?" }
                                    ?? "layer kinds are \(LayerRegistry.kinds.joined(separator: ", "))")
                }
                let count = (kindCounts[layer.kind.name] ?? 0) + 1
                kindCounts[layer.kind.name] = count
                let name = layer.name?.name ?? "\(layer.kind.name)_\(count)"
                if let nameRange = layer.name?.range {
                    if let previous = namesSeen[name] {
                        throw .error("duplicate-layer-name", "layer name '\(name)' is already used in model '\(model.name.name)'",
                                     at: nameRange, notes: [DiagnosticNote("'\(name)' defined here", at: previous)])
                    }
                    namesSeen[name] = nameRange
                }
                let bound = try Binder.bind(arguments, to: definition.signature, at: layer.range)
                let config: LayerConfig
                if let multiInput = definition as? any MultiInputLayerDefinition.Type {
                    let earlier = EarlierLayers(inputShape: inputShape ?? [], inputRange: first.range,
                                                layers: layers.map { ($0.name, $0.outputShape, $0.declaration.range) })
                    config = try multiInput.configure(bound, earlier: earlier, layer: layer, name: name)
                } else {
                    config = try definition.configure(bound, input: shape, layer: layer, name: name)
                }
                try checkSizes(config, layer: layer, name: name)
                var indices: [Int] = []
                for parameter in config.parameters {
                    indices.append(parameters.count)
                    parameters.append(ParameterInfo(name: "\(name).\(parameter.suffix)", shape: parameter.shape,
                                                    initializer: parameter.initializer, layer: layers.count,
                                                    isTrainable: parameter.isTrainable))
                }
                layers.append(LoweredLayer(name: name, kind: layer.kind.name, declaration: layer, inputShape: shape,
                                           config: config, parameterIndices: indices))
                shape = config.outputShape
            } catch {
                diagnostics.append(error)
                // Later layers' shapes depend on this one: checking them would only cascade.
                break
            }
        }
        guard diagnostics.isEmpty, let inputShape else { return .failure(DiagnosticList(diagnostics)) }
        return .success(LoweredModel(name: model.name.name, declaration: model, inputShape: inputShape,
                                     layers: layers, parameters: parameters))
    }

    /// Rejects a layer whose output or a parameter has more than `maximumElementCount` elements
    /// (`dense 999999999999`), before anything multiplies their dimensions.
    static func checkSizes(_ config: LayerConfig, layer: LayerDecl, name: String) throws(Diagnostic) {
        let tensors = [("output", config.outputShape)] + config.parameters.map { ($0.suffix, $0.shape) }
        for (what, shape) in tensors {
            try checkElementCount(shape, of: what, layer: layer.kind.name, name, at: layer.range)
        }
    }
}

/// Several diagnostics as one error.
public struct DiagnosticList: Error, Sendable {
    public let items: [Diagnostic]
    public init(_ items: [Diagnostic]) { self.items = items }
}
