// Activations as values (`relu`, `leaky_relu(0.2)`, `softmax`) and the `activation` layer.
// Stage: IR.

import NNetSyntax
import NNetKernels

public enum Activation: Sendable, Equatable, CustomStringConvertible {
    case pointwise(ActivationKind)
    /// Softmax over the last dimension.
    case softmax

    public static let names = ["linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"]
    /// Default negative slope of leaky_relu (PyTorch's default).
    public static let defaultLeakySlope: Float = 0.01

    public var description: String {
        switch self {
        case .pointwise(.linear): return "linear"
        case .pointwise(.relu): return "relu"
        case .pointwise(.leakyRelu(let alpha)): return "leaky_relu(\(alpha))"
        case .pointwise(.sigmoid): return "sigmoid"
        case .pointwise(.tanh): return "tanh"
        case .softmax: return "softmax"
        }
    }

    /// Resolves `relu`, `"relu"`, `leaky_relu`, `leaky_relu(0.2)`, `leaky_relu(alpha: 0.2)`.
    public static func resolve(_ value: Value) throws(Diagnostic) -> Activation {
        var name: String
        var alpha = Double(defaultLeakySlope)
        switch value.kind {
        case .symbol(let s), .string(let s):
            name = s
        case .call(let callee, let arguments):
            name = callee.name
            guard name == "leaky_relu" else {
                if names.contains(name) {
                    throw .error("unexpected-arguments", "activation '\(name)' takes no arguments", at: value.range)
                }
                throw unknown(name, at: callee.range)
            }
            let bound = try Binder.bind(arguments, to: Signature("activation 'leaky_relu'", [
                ParameterSpec("alpha", expects: "negative slope, a number in [0, 1)", positional: true),
            ]), at: value.range)
            alpha = try bound.number("alpha", default: alpha, in: 0...1, exclusiveUpper: true)
        default:
            throw .error("type-mismatch", "expected an activation such as relu or leaky_relu(0.2), found \(value.kindName) '\(value)'",
                         at: value.range)
        }
        switch name {
        case "linear": return .pointwise(.linear)
        case "relu": return .pointwise(.relu)
        case "leaky_relu": return .pointwise(.leakyRelu(alpha: Float(alpha)))
        case "sigmoid": return .pointwise(.sigmoid)
        case "tanh": return .pointwise(.tanh)
        case "softmax": return .softmax
        default: throw unknown(name, at: value.range)
        }
    }

    private static func unknown(_ name: String, at range: SourceRange) -> Diagnostic {
        .error("unknown-activation", "unknown activation '\(name)'", at: range,
               help: closestMatch(to: name, in: names).map { "did you mean '\($0)'?" }
                  ?? "expected one of \(names.joined(separator: ", "))")
    }
}

/// `activation relu`: applies an activation on its own.
public enum ActivationLayer: LayerDefinition {
    public static let kind = "activation"
    public static let signature = Signature("layer 'activation'", [
        ParameterSpec("function", expects: "an activation such as relu", required: true, positional: true),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let activation = try Activation.resolve(arguments["function"]!)
        return LayerConfig(outputShape: input, detail: activation.description, finalActivation: activation) {
            graph, x, _, _, index in emitActivation(activation, &graph, x, layer: index)
        }
    }
}
