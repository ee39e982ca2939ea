// `dense units, activation: relu, bias: true, init: glorot_uniform`: y = f(x·W + b).
// Applied to the last dimension, so on a sequence [time, features] it acts per time step.
// W is [in, units], b is [units]. Stage: IR.

import NNetSyntax

public enum DenseLayer: LayerDefinition {
    public static let kind = "dense"
    public static let initializers = ["glorot_uniform", "he_normal", "he_uniform", "zeros"]
    public static let signature = Signature("layer 'dense'", [
        ParameterSpec("units", expects: "a positive integer", required: true, positional: true),
        ParameterSpec("activation", expects: "an activation such as relu"),
        ParameterSpec("bias", expects: "true or false"),
        ParameterSpec("init", expects: initializers.joined(separator: ", ")),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let units = try arguments.integer("units", minimum: 1)
        let activation = try arguments["activation"].map { v throws(Diagnostic) in try Activation.resolve(v) }
            ?? .pointwise(.linear)
        let hasBias = try arguments.bool("bias", default: true)
        guard let fanIn = input.last else {
            throw .error("shape-mismatch", "dense '\(name)' needs an input with at least one dimension, but gets a scalar",
                         at: layer.kind.range)
        }
        let scheme = try arguments.symbol("init", choices: initializers, default: "glorot_uniform")
        let weightInit: Initializer
        switch scheme {
        case "he_normal": weightInit = .heNormal(fanIn: fanIn)
        case "he_uniform": weightInit = .heUniform(fanIn: fanIn)
        case "zeros": weightInit = .zeros
        default: weightInit = .glorotUniform(fanIn: fanIn, fanOut: units)
        }
        var parameters = [LayerParameter(suffix: "weight", shape: [fanIn, units], initializer: weightInit)]
        if hasBias { parameters.append(LayerParameter(suffix: "bias", shape: [units], initializer: .zeros)) }
        let output = Array(input.dropLast()) + [units]
        return LayerConfig(outputShape: output, parameters: parameters,
                           detail: activation == .pointwise(.linear) ? "" : activation.description,
                           finalActivation: activation) { graph, x, params, _, index in
            var y = graph.add(.matmul, [x, params[0]], shape: output, layer: index)
            if hasBias { y = graph.add(.biasAdd, [y, params[1]], shape: output, layer: index) }
            return emitActivation(activation, &graph, y, layer: index)
        }
    }
}
