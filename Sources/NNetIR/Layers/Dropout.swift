// `dropout 0.2`: during training zeroes each element with probability `rate` and scales the rest
// by 1/(1 - rate) (inverted dropout); the identity when evaluating or predicting. Stage: IR.

import NNetSyntax

public enum DropoutLayer: LayerDefinition {
    public static let kind = "dropout"
    public static let signature = Signature("layer 'dropout'", [
        ParameterSpec("rate", expects: "a probability in [0, 1)", required: true, positional: true),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let rate = Float(try arguments.number("rate", in: 0...1, exclusiveUpper: true))
        return LayerConfig(outputShape: input, detail: "rate \(rate)") { graph, x, _, training, index in
            guard training, rate > 0 else { return x }
            return graph.add(.dropout(rate: rate), [x], shape: graph[x].shape, layer: index)
        }
    }
}
