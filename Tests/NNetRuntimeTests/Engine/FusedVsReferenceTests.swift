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
        // The CNN example's architecture, scaled down (the reference convolutions are direct loops).
        ("cnn classifier", """
            input [12, 12, 1]
            conv2d 8, kernel: 3, activation: relu
            max_pool2d 2
            conv2d 16, kernel: 3, activation: relu
            max_pool2d 2
            flatten
            dense 32, activation: relu
            dense 10, activation: softmax
            """, .sparseCategoricalCrossEntropy),
        ("cnn with every convolutional layer", """
            input [8, 8, 3]
            conv2d 8, kernel: 3, padding: same, activation: relu
            batch_norm
            a: max_pool2d 2
            conv2d 16, kernel: 3, padding: same, activation: tanh
            b: conv2d 8, kernel: 1
            s: add [a, b]
            concat [s, a]
            upsampling2d 2, interpolation: bilinear
            conv2d_transpose 4, kernel: 3, stride: 2, padding: same, activation: leaky_relu(0.1)
            avg_pool2d 2
            conv2d 6, kernel: [3, 2], stride: [2, 1], padding: 1, dilation: [1, 2]
            layer_norm
            global_avg_pool2d
            dense 3, activation: softmax
            """, .sparseCategoricalCrossEntropy),
        // The VAE's decoder: the loss step writes the sigmoid that the reshape views.
        ("vae decoder", "input [5]\ndense 40, activation: relu\ndense 36, activation: sigmoid\nreshape [6, 6, 1]",
         .binaryCrossEntropy),
        ("lstm sine", "input [50, 1]\nlstm 64\ndense 1", .meanSquaredError),
        ("gru waves", "input [30, 1]\ngru 32, return_sequences: true\ngru 17\ndense 4, activation: softmax",
         .sparseCategoricalCrossEntropy),
        ("simple_rnn every step", "input [7, 3]\nsimple_rnn 33, return_sequences: true, activation: relu\ndense 2", .meanSquaredError),
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
        for (p, info) in model.parameters.enumerated() where info.isTrainable {
            expectClose(reference.buffer(graph.parameterGradients[p]), fused.buffer(graph.parameterGradients[p]),
                        count: info.count, "gradient of \(info.name)")
        }
    }
}
