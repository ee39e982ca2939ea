// `layer_norm epsilon: 1e-3`: normalises each sample (each position's last dimension) to zero mean
// and unit variance over that dimension, then scales by γ [C] (ones) and shifts by β [C] (zeros).
// Stage: IR. The same in training and evaluation. Lowered to layer_norm → channel_scale → bias_add.

import NNetSyntax

public enum LayerNormLayer: LayerDefinition {
    public static let kind = "layer_norm"
    public static let signature = Signature("layer 'layer_norm'", [
        ParameterSpec("epsilon", expects: "a positive number (default 1e-3)"),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let epsilon = Float(try arguments.number("epsilon", default: 1e-3, in: 1e-12...1))
        let channels = try NormalizationLayers.channels(input, kind: kind, name: name, at: layer.kind.range)
        let parameters = [
            LayerParameter(suffix: "gamma", shape: [channels], initializer: .ones),
            LayerParameter(suffix: "beta", shape: [channels], initializer: .zeros),
        ]
        return LayerConfig(outputShape: input, parameters: parameters, detail: "epsilon \(epsilon)") { graph, x, params, _, index in
            let normalized = graph.add(.layerNorm(epsilon: epsilon), [x], shape: input, layer: index)
            return NormalizationLayers.emitScaleAndShift(&graph, normalized, gamma: params[0], beta: params[1], layer: index)
        }
    }
}
