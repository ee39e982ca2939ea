// `batch_norm momentum: 0.99, epsilon: 1e-3`: normalises each channel (the last dimension) over
// the batch and every other dimension, then scales by γ and shifts by β. Stage: IR.
// Training uses the batch's mean and (biased) variance and moves the running statistics towards
// them: running = momentum·running + (1 - momentum)·batch value (Keras' convention). Evaluation
// and prediction use the running statistics. Parameters γ [C] (ones) and β [C] (zeros) are
// trained; moving_mean [C] (zeros) and moving_variance [C] (ones) are parameters the optimizer
// skips (`isTrainable` false), so `save`/`load` keep them with the weights.
// Lowered to batch_norm (x̂) → channel_scale (γ) → bias_add (β).

import NNetSyntax

/// A batch-normalisation op's settings; `training` selects batch or running statistics.
public struct BatchNormAttributes: Sendable, Hashable, CustomStringConvertible {
    public let momentum: Float
    public let epsilon: Float
    public let training: Bool

    public init(momentum: Float, epsilon: Float, training: Bool) {
        self.momentum = momentum
        self.epsilon = epsilon
        self.training = training
    }

    public var description: String { "momentum \(momentum), epsilon \(epsilon)\(training ? ", training" : "")" }
}

public enum BatchNormLayer: LayerDefinition {
    public static let kind = "batch_norm"
    public static let signature = Signature("layer 'batch_norm'", [
        ParameterSpec("momentum", expects: "a number in [0, 1) (default 0.99)"),
        ParameterSpec("epsilon", expects: "a positive number (default 1e-3)"),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let momentum = Float(try arguments.number("momentum", default: 0.99, in: 0...1, exclusiveUpper: true))
        let epsilon = Float(try arguments.number("epsilon", default: 1e-3, in: 1e-12...1))
        let channels = try NormalizationLayers.channels(input, kind: kind, name: name, at: layer.kind.range)
        let parameters = [
            LayerParameter(suffix: "gamma", shape: [channels], initializer: .ones),
            LayerParameter(suffix: "beta", shape: [channels], initializer: .zeros),
            LayerParameter(suffix: "moving_mean", shape: [channels], initializer: .zeros, isTrainable: false),
            LayerParameter(suffix: "moving_variance", shape: [channels], initializer: .ones, isTrainable: false),
        ]
        return LayerConfig(outputShape: input, parameters: parameters,
                           detail: "momentum \(momentum), epsilon \(epsilon)") { graph, x, params, training, index in
            let attributes = BatchNormAttributes(momentum: momentum, epsilon: epsilon, training: training)
            let normalized = graph.add(.batchNorm(attributes), [x, params[2], params[3]], shape: input, layer: index)
            return NormalizationLayers.emitScaleAndShift(&graph, normalized, gamma: params[0], beta: params[1], layer: index)
        }
    }
}

/// What batch_norm and layer_norm share.
enum NormalizationLayers {
    /// The channel count (the last dimension), or a diagnostic for a scalar input.
    static func channels(_ input: [Int], kind: String, name: String, at range: SourceRange) throws(Diagnostic) -> Int {
        guard let channels = input.last else {
            throw .error("shape-mismatch", "\(kind) '\(name)' needs an input with at least one dimension, but gets a scalar",
                         at: range, help: "shapes exclude the batch dimension")
        }
        return channels
    }

    /// y = x̂·γ + β over the last dimension.
    static func emitScaleAndShift(_ graph: inout Graph, _ x: NodeID, gamma: NodeID, beta: NodeID, layer: Int) -> NodeID {
        let shape = graph[x].shape
        let scaled = graph.add(.channelScale, [x, gamma], shape: shape, layer: layer)
        return graph.add(.biasAdd, [scaled, beta], shape: shape, layer: layer)
    }
}
