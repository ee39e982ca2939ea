// `lstm units, activation: tanh, return_sequences: false`: a long short-term memory layer over a
// sequence [time, features], from zero hidden and cell states. Stage: IR.
//
//     i, f, g, o = σ(x_t·W_i + h·U_i + b_i), σ(…_f), act(…_g), σ(…_o)
//     c_t = f⊙c_{t−1} + i⊙g,   h_t = o⊙act(c_t)
//
// Parameters, Keras' layout (PyTorch's transposed, with its two biases summed): kernel W
// [features, 4·units] (Glorot uniform), recurrent_kernel U [units, 4·units] (orthogonal), bias b
// [4·units]; the column blocks are the gates i, f, g (the candidate, Keras' "c"), o. The bias starts
// at zero except the forget gate's, which starts at one (Keras' `unit_forget_bias`: the cell keeps
// its memory until training teaches it to forget). `activation` is act (tanh by default); the
// gates always use the sigmoid. Output: h of the last step [units], or of every step [time, units]
// with `return_sequences: true`.

import NNetSyntax

public enum LSTMLayer: LayerDefinition {
    public static let kind = "lstm"
    public static let signature = RecurrentLayers.signature(kind)

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        try RecurrentLayers.configure({ .lstm($0) }, arguments, input: input, layer: layer, name: name,
                                      bias: { units in .unitForgetBias(units: units) })
    }
}
