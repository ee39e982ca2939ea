// The fused plan with the fast kernels agrees with the unfused plan with the reference kernels
// on every example's model: loss, predictions and every parameter gradient.

import Testing
import NNetIR
import NNetRuntime

@Suite struct FusedVsReferenceTests {
    static let models: [(name: String, layers: String, loss: LossKind)] = [
        ("linear regression", "input [1]\ndense 1", .meanSquaredError),
        ("multivariate regression", "input [2]\ndense 1", .meanSquaredError),
        ("logistic regression", "input [2]\ndense 1, activation: sigmoid", .binaryCrossEntropy),
        ("mlp classifier", "input [784]\ndense 32, activation: relu\ndense 10, activation: softmax", .sparseCategoricalCrossEntropy),
        ("wide mlp", "input [784]\ndense 512, activation: relu\ndense 256, activation: tanh\ndense 10, activation: softmax",
         .sparseCategoricalCrossEntropy),
        ("regression mlp", "input [17]\ndense 33, activation: leaky_relu(0.1)\ndense 15, activation: sigmoid\ndense 3", .meanSquaredError),
    ]

    @Test(arguments: models.indices)
    func fusedMatchesReference(index: Int) throws {
        let (name, layers, loss) = Self.models[index]
        let model = try lowerModel(layers)
        let batch = 33
        var generator = SeededGenerator(seed: 17)
        let inputs = (0..<batch * elementCount(model.inputShape)).map { _ in generator.normal() }
        let (targetShape, targets) = GradientCheckTests.targets(loss, outputShape: model.outputShape, generator: &generator,
                                                                batch: batch)
        let graph = GraphBuilder.training(model, loss: loss, targetShape: targetShape)
        let parameters = ParameterStore(model.parameters)
        parameters.initialize(seed: 2)
        func run(reference: Bool) -> Executor {
            let executor = Executor(graph: graph, batchCapacity: 64, parameters: parameters, useReference: reference)
            inputs.withUnsafeBufferPointer { executor.buffer(graph.input).update(from: $0.baseAddress!, count: $0.count) }
            targets.withUnsafeBufferPointer { executor.buffer(graph.target!).update(from: $0.baseAddress!, count: $0.count) }
            executor.run(rows: batch)
            return executor
        }
        let reference = run(reference: true), fused = run(reference: false)
        // float32 sums of up to 784 products in another order differ by a few ulps of the
        // magnitudes involved; 1e-5 relative to the tensor's largest value bounds that.
        func expectClose(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int, _ what: String) {
            var scale: Float = 1e-30, worst: Float = 0
            for i in 0..<count {
                scale = max(scale, abs(a[i]))
                worst = max(worst, abs(a[i] - b[i]))
            }
            #expect(worst <= 1e-5 * scale, "\(name): \(what) differs by \(worst) (scale \(scale))")
        }
        #expect(abs(reference.loss - fused.loss) <= 1e-5 * max(1, abs(reference.loss)), "\(name): loss")
        expectClose(reference.buffer(graph.output), fused.buffer(graph.output),
                    count: batch * elementCount(model.outputShape), "output")
        for (p, info) in model.parameters.enumerated() {
            expectClose(reference.buffer(graph.parameterGradients[p]), fused.buffer(graph.parameterGradients[p]),
                        count: info.count, "gradient of \(info.name)")
        }
    }
}
