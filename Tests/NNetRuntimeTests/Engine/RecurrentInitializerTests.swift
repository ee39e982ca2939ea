// The recurrent layers' initialisers: orthogonal recurrent kernels and the LSTM forget-gate bias.

import Testing
import NNetIR
import NNetRuntime

@Suite struct RecurrentInitializerTests {
    /// Rows i and j of a [rows, columns] matrix, dotted.
    func dot(_ m: [Float], columns: Int, _ i: Int, _ j: Int) -> Double {
        (0..<columns).reduce(0.0) { $0 + Double(m[i * columns + $1]) * Double(m[j * columns + $1]) }
    }

    @Test(arguments: ["simple_rnn 7", "lstm 5", "gru 6"])
    func recurrentKernelsHaveOrthonormalRows(layer: String) throws {
        let model = try lowerModel("input [4, 3]\n\(layer)")
        let parameters = ParameterStore(model.parameters)
        parameters.initialize(seed: 11)
        let index = model.parameters.firstIndex { $0.name.hasSuffix(".recurrent_kernel") }!
        let (rows, columns) = (model.parameters[index].shape[0], model.parameters[index].shape[1])
        let u = parameters.values(index)
        for i in 0..<rows {
            for j in 0..<rows {
                #expect(abs(dot(u, columns: columns, i, j) - (i == j ? 1 : 0)) < 1e-5, "\(layer): rows \(i)·\(j)")
            }
        }
    }

    @Test func lstmBiasOpensTheForgetGate() throws {
        let model = try lowerModel("input [4, 3]\nlstm 5")
        let parameters = ParameterStore(model.parameters)
        parameters.initialize(seed: 1)
        let bias = parameters.values(model.parameters.firstIndex { $0.name == "lstm_1.bias" }!)
        #expect(bias == [Float](repeating: 0, count: 5) + [Float](repeating: 1, count: 5) + [Float](repeating: 0, count: 10))
    }
}
