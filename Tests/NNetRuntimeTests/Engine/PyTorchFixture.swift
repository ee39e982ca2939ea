// One fixture file written by a Tests/Fixtures/make_*_fixtures.py script (PyTorch in float64):
// Tests/Fixtures/<folder>/<name>.json. Shared by the convolutional and recurrent fixture tests.

import Foundation
import Testing
import NNetIR
import NNetRuntime

struct PyTorchFixture: CustomStringConvertible, Sendable {
    /// "conv" or "rnn": the folder under Tests/Fixtures.
    let folder: String
    let name: String
    var description: String { name }

    static func directory(_ folder: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/\(folder)")
    }

    /// Every .json file in the folder, sorted by name.
    static func all(in folder: String) -> [PyTorchFixture] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory(folder).path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().map { PyTorchFixture(folder: folder, name: String($0.dropLast(5))) }
    }

    func load() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.directory(folder).appendingPathComponent(name + ".json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

extension PyTorchFixture {
    /// Builds the fixture's model, loads its weights, runs one MSE training step on its input and
    /// target with the fast or the reference engine, and checks the output, the loss, every
    /// trainable parameter's gradient and (when the fixture has one) the input gradient against
    /// PyTorch. Returns the model and its parameters for checks of its own (running statistics).
    @discardableResult
    func expectAgreement(reference: Bool) throws -> (json: [String: Any], model: LoweredModel, parameters: ParameterStore) {
        let json = try load()
        func floats(_ value: Any?) -> [Float] { (value as! [Double]).map(Float.init) }
        let inputShape = json["input_shape"] as! [Int]
        let layers = (json["layers"] as! [String]).joined(separator: "\n")
        let model = try lowerModel("input \(describeShape(inputShape))\n\(layers)")
        let batch = json["batch"] as! Int
        let graph = GraphBuilder.training(model, loss: .meanSquaredError, targetShape: model.outputShape,
                                          inputGradient: json["input_gradient"] is [Double])
        let parameters = ParameterStore(model.parameters)
        let values = json["parameters"] as! [String: [Double]]
        #expect(Set(values.keys) == Set(model.parameters.map(\.name)), "\(self): parameter names")
        for (index, info) in model.parameters.enumerated() { parameters.setValues(index, floats(values[info.name])) }

        let executor = Executor(graph: graph, batchCapacity: batch, parameters: parameters, useReference: reference,
                                keep: graph.inputGradient.map { [$0] } ?? [])
        let input = floats(json["input"]), target = floats(json["target"])
        input.withUnsafeBufferPointer { executor.buffer(graph.input).update(from: $0.baseAddress!, count: $0.count) }
        target.withUnsafeBufferPointer { executor.buffer(graph.target!).update(from: $0.baseAddress!, count: $0.count) }
        executor.run(rows: batch)

        let engine = reference ? "reference" : "fast"
        expectClose(executor.buffer(graph.output), floats(json["output"]), "\(engine): output")
        let loss = Float(json["loss"] as! Double)
        #expect(abs(executor.loss - loss) <= 1e-4 * abs(loss), "\(self) \(engine): loss \(executor.loss) vs \(loss)")
        let gradients = json["gradients"] as! [String: [Double]]
        for (index, info) in model.parameters.enumerated() where info.isTrainable {
            expectClose(executor.buffer(graph.parameterGradients[index]), floats(gradients[info.name]),
                        "\(engine): gradient of \(info.name)")
        }
        if let expected = json["input_gradient"] as? [Double], let node = graph.inputGradient {
            expectClose(executor.buffer(node), expected.map(Float.init), "\(engine): input gradient")
        }
        return (json, model, parameters)
    }

    /// Each element within 1e-4 of PyTorch relative to the tensor's largest magnitude: float32
    /// sums of a few hundred products, or rounding through a few time steps, stay near 1e-6 of it.
    func expectClose(_ actual: UnsafePointer<Float>, _ expected: [Float], _ what: String) {
        let scale = max(expected.map(abs).max() ?? 0, 1e-12)
        let worst = expected.indices.map { abs(actual[$0] - expected[$0]) }.max() ?? 0
        #expect(worst <= 1e-4 * scale, "\(self) \(what) differs by \(worst / scale) of its scale \(scale)")
    }
}
