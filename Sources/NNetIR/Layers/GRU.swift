// `gru units, activation: tanh, return_sequences: false`: a gated recurrent unit layer over a
// sequence [time, features], from a zero state. Stage: IR.
//
//     z = σ(x_t·W_z + b_z + h·U_z + b′_z),   r = σ(x_t·W_r + b_r + h·U_r + b′_r)
//     n = act(x_t·W_n + b_n + r⊙(h·U_n + b′_n)),   h_t = z⊙h_{t−1} + (1 − z)⊙n
//
// The reset gate applies after the recurrent product, as in Keras (`reset_after=True`, its
// default) and PyTorch, so the recurrent term has its own bias b′. Parameters: kernel W
// [features, 3·units] (Glorot uniform), recurrent_kernel U [units, 3·units] (orthogonal), bias b
// and recurrent_bias b′ [3·units] (zeros); column blocks z, r, n (Keras' order; PyTorch orders
// them r, z, n). Keras keeps b and b′ stacked in one bias [2, 3·units]; PyTorch calls them b_ih
// and b_hh. Output: h of the last step [units], or of every step [time, units] with
// `return_sequences: true`.

import NNetSyntax

public enum GRULayer: LayerDefinition {
    public static let kind = "gru"
    public static let signature = RecurrentLayers.signature(kind)

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        try RecurrentLayers.configure({ .gru($0) }, arguments, input: input, layer: layer, name: name,
                                      bias: { _ in .zeros })
    }
}
