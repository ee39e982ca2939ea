// The convolutional layers against PyTorch: Tests/Fixtures/conv/*.json, written by
// Tests/Fixtures/make_conv_fixtures.py, hold a model's layers, inputs, weights (in nnet's layout),
// the output, the MSE loss and its gradients computed in float64, and batch_norm's running
// statistics after the step. The fast and the reference engine must both agree within 1e-4.

import Foundation
import Testing
import NNetIR
import NNetRuntime

extension PyTorchFixture {
    static var conv: [PyTorchFixture] { all(in: "conv") }
}

@Suite struct ConvolutionFixtureTests {
    @Test func thereAreFixturesForEveryLayer() throws {
        let layers = try PyTorchFixture.conv.flatMap { try $0.load()["layers"] as! [String] }.joined(separator: "\n")
        for kind in ["conv2d ", "conv2d_transpose", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "upsampling2d",
                     "bilinear", "batch_norm", "layer_norm", "add [", "concat ["] {
            #expect(layers.contains(kind), "no fixture uses \(kind) (\(PyTorchFixture.directory("conv").path))")
        }
    }

    @Test(arguments: PyTorchFixture.conv, [false, true])
    func agreesWithPyTorch(_ fixture: PyTorchFixture, reference: Bool) throws {
        let json = try fixture.load()
        func floats(_ value: Any?) -> [Float] { (value as! [Double]).map(Float.init) }
        let inputShape = json["input_shape"] as! [Int]
        let layers = (json["layers"] as! [String]).joined(separator: "\n")
        let model = try lowerModel("input \(describeShape(inputShape))\n\(layers)")
        let batch = json["batch"] as! Int
        let graph = GraphBuilder.training(model, loss: .meanSquaredError, targetShape: model.outputShape,
                                          inputGradient: true)
        let parameters = ParameterStore(model.parameters)
        let values = json["parameters"] as! [String: [Double]]
        #expect(Set(values.keys) == Set(model.parameters.map(\.name)), "\(fixture): parameter names")
        for (index, info) in model.parameters.enumerated() { parameters.setValues(index, floats(values[info.name])) }

        let executor = Executor(graph: graph, batchCapacity: batch, parameters: parameters, useReference: reference,
                                keep: [graph.inputGradient!])
        let input = floats(json["input"]), target = floats(json["target"])
        input.withUnsafeBufferPointer { executor.buffer(graph.input).update(from: $0.baseAddress!, count: $0.count) }
        target.withUnsafeBufferPointer { executor.buffer(graph.target!).update(from: $0.baseAddress!, count: $0.count) }
        executor.run(rows: batch)

        let engine = reference ? "reference" : "fast"
        /// Each element within 1e-4 of PyTorch relative to the tensor's largest magnitude: float32
        /// sums of at most a few hundred products stay near 1e-6 of it.
        func expectClose(_ actual: UnsafePointer<Float>, _ expected: [Float], _ what: String) {
            let scale = max(expected.map(abs).max() ?? 0, 1e-12)
            let worst = expected.indices.map { abs(actual[$0] - expected[$0]) }.max() ?? 0
            #expect(worst <= 1e-4 * scale, "\(fixture) \(engine): \(what) differs by \(worst / scale) of its scale \(scale)")
        }
        expectClose(executor.buffer(graph.output), floats(json["output"]), "output")
        let loss = Float(json["loss"] as! Double)
        #expect(abs(executor.loss - loss) <= 1e-4 * abs(loss), "\(fixture) \(engine): loss \(executor.loss) vs \(loss)")
        let gradients = json["gradients"] as! [String: [Double]]
        for (index, info) in model.parameters.enumerated() where info.isTrainable {
            expectClose(executor.buffer(graph.parameterGradients[index]), floats(gradients[info.name]), "gradient of \(info.name)")
        }
        expectClose(executor.buffer(graph.inputGradient!), floats(json["input_gradient"]), "input gradient")
        for (name, expected) in json["running_statistics"] as! [String: [Double]] {
            let index = try #require(model.parameters.firstIndex { $0.name == name })
            expectClose(parameters.pointer(index), expected.map(Float.init), name)
        }
    }
}
