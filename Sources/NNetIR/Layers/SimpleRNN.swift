// `simple_rnn units, activation: tanh, return_sequences: false`: a fully recurrent layer over a
// sequence [time, features], h_t = f(x_t·W + b + h_{t−1}·U) from h_{−1} = 0. Stage: IR.
//
// Parameters, Keras' layout: kernel W [features, units] (Glorot uniform), recurrent_kernel U
// [units, units] (orthogonal), bias b [units] (zeros). Output: h of the last step [units], or of
// every step [time, units] with `return_sequences: true`.

import NNetSyntax

public enum SimpleRNNLayer: LayerDefinition {
    public static let kind = "simple_rnn"
    public static let signature = RecurrentLayers.signature(kind)

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        try RecurrentLayers.configure({ .simple($0) }, arguments, input: input, layer: layer, name: name,
                                      bias: { _ in .zeros })
    }
}
