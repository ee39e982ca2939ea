// The recurrent and embedding layers' cases of GradientCheckTests: every cell with the last step
// and with every step as output, one time step and several, stacked, and fed by an embedding.

import NNetIR

enum RecurrentGradientCases {
    static let cases: [GradientCase] = [
        GradientCase(name: "simple_rnn, every step, per-step dense, mse", layers: """
            input [4, 3]
            simple_rnn 5, return_sequences: true
            dense 2
            """, loss: .meanSquaredError),
        GradientCase(name: "simple_rnn sigmoid, one step", layers: """
            input [1, 2]
            simple_rnn 3, activation: sigmoid
            """, loss: .meanSquaredError),
        GradientCase(name: "lstm, last of 5 steps, softmax + sparse cross-entropy", layers: """
            input [5, 2]
            lstm 3
            dense 3, activation: softmax
            """, loss: .sparseCategoricalCrossEntropy),
        GradientCase(name: "lstm, one step, every step", layers: """
            input [1, 3]
            lstm 4, return_sequences: true
            flatten
            dense 2
            """, loss: .meanSquaredError),
        GradientCase(name: "gru, last of 6 steps", layers: """
            input [6, 2]
            gru 4
            dense 3, activation: softmax
            """, loss: .sparseCategoricalCrossEntropy),
        GradientCase(name: "gru every step into lstm, sigmoid candidates", layers: """
            input [3, 2]
            gru 3, return_sequences: true, activation: sigmoid
            lstm 2, activation: sigmoid
            """, loss: .meanSquaredError),
        GradientCase(name: "embedding into gru", layers: """
            input [4]
            embedding 5, 3
            gru 2, return_sequences: true
            dense 1, activation: sigmoid
            """, loss: .binaryCrossEntropy, tokens: 5),
        GradientCase(name: "embedding into simple_rnn, one step", layers: """
            input [1]
            embedding 3, 2
            simple_rnn 3
            dense 2, activation: softmax
            """, loss: .sparseCategoricalCrossEntropy, tokens: 3),
    ]
}
