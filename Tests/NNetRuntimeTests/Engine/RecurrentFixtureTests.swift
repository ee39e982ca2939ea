// The recurrent layers against PyTorch: Tests/Fixtures/rnn/*.json, written by
// Tests/Fixtures/make_rnn_fixtures.py, hold inputs, weights (in nnet's layout), the output, the
// MSE loss and its gradients computed in float64. Both engines must agree within 1e-4.

import Foundation
import Testing
import NNetIR
import NNetRuntime

extension PyTorchFixture {
    static var rnn: [PyTorchFixture] { all(in: "rnn") }
}

@Suite struct RecurrentFixtureTests {
    @Test func thereAreFixturesForEveryCell() {
        let names = PyTorchFixture.rnn.map(\.name)
        for cell in ["simple_rnn", "lstm", "gru", "embedding"] {
            #expect(names.contains { $0.hasPrefix(cell) }, "no fixture for \(cell) in \(PyTorchFixture.directory("rnn").path)")
        }
    }

    @Test(arguments: PyTorchFixture.rnn, [false, true])
    func agreesWithPyTorch(_ fixture: PyTorchFixture, reference: Bool) throws {
        let json = try fixture.load()
        func floats(_ value: Any?) -> [Float] { (value as! [Double]).map(Float.init) }
        let inputShape = json["input_shape"] as! [Int]
        let layers = (json["layers"] as! [String]).joined(separator: "\n")
        let model = try lowerModel("input \(describeShape(inputShape))\n\(layers)")
        let batch = json["batch"] as! Int
        let graph = GraphBuilder.training(model, loss: .meanSquaredError, targetShape: model.outputShape,
                                          inputGradient: json["input_gradient"] is [Double])
        let parameters = ParameterStore(model.parameters)
        let values = json["parameters"] as! [String: [Double]]
        #expect(Set(values.keys) == Set(model.parameters.map(\.name)), "\(fixture): parameter names")
        for (index, info) in model.parameters.enumerated() { parameters.setValues(index, floats(values[info.name])) }

        let executor = Executor(graph: graph, batchCapacity: batch, parameters: parameters, useReference: reference,
                                keep: graph.inputGradient.map { [$0] } ?? [])
        let input = floats(json["input"]), target = floats(json["target"])
        input.withUnsafeBufferPointer { executor.buffer(graph.input).update(from: $0.baseAddress!, count: $0.count) }
        target.withUnsafeBufferPointer { executor.buffer(graph.target!).update(from: $0.baseAddress!, count: $0.count) }
        executor.run(rows: batch)

        let engine = reference ? "reference" : "fast"
        /// Each element within 1e-4 of PyTorch relative to the tensor's largest magnitude: float32
        /// rounding through a few time steps stays near 1e-6 of it.
        func expectClose(_ actual: UnsafeMutablePointer<Float>, _ expected: [Float], _ what: String) {
            let scale = max(expected.map(abs).max() ?? 0, 1e-12)
            let worst = expected.indices.map { abs(actual[$0] - expected[$0]) }.max() ?? 0
            #expect(worst <= 1e-4 * scale, "\(fixture) \(engine): \(what) differs by \(worst / scale) of its scale \(scale)")
        }
        expectClose(executor.buffer(graph.output), floats(json["output"]), "output")
        let loss = Float(json["loss"] as! Double)
        #expect(abs(executor.loss - loss) <= 1e-4 * abs(loss), "\(fixture) \(engine): loss \(executor.loss) vs \(loss)")
        let gradients = json["gradients"] as! [String: [Double]]
        for (index, info) in model.parameters.enumerated() {
            expectClose(executor.buffer(graph.parameterGradients[index]), floats(gradients[info.name]), "gradient of \(info.name)")
        }
        if let expected = json["input_gradient"] as? [Double], let node = graph.inputGradient {
            expectClose(executor.buffer(node), expected.map(Float.init), "input gradient")
        }
    }
}
