// Shape inference, parameters, lowering and diagnostics of the convolutional layers (conv2d,
// conv2d_transpose, pooling, upsampling, batch_norm, layer_norm) and of add/concat.

import Testing
import NNetSyntax
import NNetIR

/// Lowers `model m { input [...] … }`, or returns the first diagnostic's message.
func lowerLayers(_ body: String) -> Result<LoweredModel, DiagnosticList> {
    let file = SourceFile(name: "test.nnet", text: "model m {\n\(body)\n}\n")
    let program = Parser.parse(file)
    guard program.diagnostics.isEmpty, case .model(let declaration) = program.statements.first?.kind else {
        return .failure(DiagnosticList(program.diagnostics))
    }
    return ModelLowering.lower(declaration, constants: ConstantScope())
}

func outputShape(_ body: String) throws -> [Int] {
    try lowerLayers(body).get().outputShape
}

func firstError(_ body: String) -> String {
    switch lowerLayers(body) {
    case .success: return "no error"
    case .failure(let list): return list.items.first?.message ?? "no message"
    }
}

@Suite struct ConvolutionLayerTests {
    struct ShapeCase: Sendable, CustomStringConvertible {
        let layers: String, expected: [Int]
        var description: String { layers.split(separator: "\n").joined(separator: "; ") }
    }

    /// Output sizes against Keras' formulas (worked by hand for each line).
    static let shapes: [ShapeCase] = [
        ShapeCase(layers: "input [28, 28, 1]\nconv2d 32, kernel: 3", expected: [26, 26, 32]),
        ShapeCase(layers: "input [28, 28, 1]\nconv2d 32, 3, padding: same", expected: [28, 28, 32]),
        ShapeCase(layers: "input [28, 28, 1]\nconv2d 8, 3, stride: 2, padding: same", expected: [14, 14, 8]),
        ShapeCase(layers: "input [7, 7, 3]\nconv2d 8, 3, stride: 2, padding: same", expected: [4, 4, 8]),
        ShapeCase(layers: "input [7, 9, 3]\nconv2d 4, [3, 5], stride: [2, 3]", expected: [3, 2, 4]),
        ShapeCase(layers: "input [9, 9, 2]\nconv2d 4, 3, dilation: 2", expected: [5, 5, 4]),
        ShapeCase(layers: "input [9, 9, 2]\nconv2d 4, 3, dilation: 2, padding: same", expected: [9, 9, 4]),
        ShapeCase(layers: "input [5, 6, 2]\nconv2d 4, 3, padding: [2, 1]", expected: [7, 6, 4]),
        ShapeCase(layers: "input [5, 5, 2]\nconv2d 4, 1", expected: [5, 5, 4]),
        ShapeCase(layers: "input [7, 7, 16]\nconv2d_transpose 8, 3, stride: 2, padding: same", expected: [14, 14, 8]),
        ShapeCase(layers: "input [7, 7, 16]\nconv2d_transpose 8, 3, stride: 2", expected: [15, 15, 8]),
        ShapeCase(layers: "input [7, 7, 16]\nconv2d_transpose 8, 2, stride: 3", expected: [21, 21, 8]),
        ShapeCase(layers: "input [7, 7, 16]\nconv2d_transpose 8, 3, stride: 2, output_padding: 1", expected: [16, 16, 8]),
        ShapeCase(layers: "input [7, 7, 16]\nconv2d_transpose 8, 3, stride: 2, padding: same, output_padding: 0",
                  expected: [13, 13, 8]),
        ShapeCase(layers: "input [26, 26, 32]\nmax_pool2d 2", expected: [13, 13, 32]),
        ShapeCase(layers: "input [11, 11, 64]\nmax_pool2d", expected: [5, 5, 64]),
        ShapeCase(layers: "input [11, 11, 64]\nmax_pool2d 2, padding: same", expected: [6, 6, 64]),
        ShapeCase(layers: "input [10, 10, 3]\navg_pool2d 3, stride: 1", expected: [8, 8, 3]),
        ShapeCase(layers: "input [10, 8, 3]\navg_pool2d [2, 4]", expected: [5, 2, 3]),
        ShapeCase(layers: "input [10, 8, 3]\nglobal_avg_pool2d", expected: [3]),
        ShapeCase(layers: "input [4, 5, 3]\nupsampling2d", expected: [8, 10, 3]),
        ShapeCase(layers: "input [4, 5, 3]\nupsampling2d [3, 2], interpolation: bilinear", expected: [12, 10, 3]),
        ShapeCase(layers: "input [4, 5, 3]\nbatch_norm\nlayer_norm", expected: [4, 5, 3]),
        ShapeCase(layers: "input [4, 4, 3]\na: conv2d 5, 3, padding: same\nconcat [a, input]", expected: [4, 4, 8]),
        ShapeCase(layers: "input [4, 4, 3]\na: conv2d 3, 1\nb: conv2d 3, 1\nconcat [a, b], axis: 0", expected: [8, 4, 3]),
        ShapeCase(layers: "input [4, 4, 3]\na: conv2d 3, 1\nadd [a, input, a]", expected: [4, 4, 3]),
    ]

    @Test(arguments: shapes)
    func outputShapes(_ c: ShapeCase) throws {
        #expect(try outputShape(c.layers) == c.expected)
    }

    @Test func parametersHaveKerasLayoutsAndInitialisers() throws {
        let model = try lowerLayers("""
            input [28, 28, 3]
            conv2d 16, kernel: [3, 5], activation: relu
            conv2d_transpose 4, kernel: 2, bias: false, init: he_normal
            bn: batch_norm
            layer_norm
            """).get()
        let names = model.parameters.map(\.name)
        #expect(names == ["conv2d_1.weight", "conv2d_1.bias", "conv2d_transpose_1.weight", "bn.gamma", "bn.beta",
                          "bn.moving_mean", "bn.moving_variance", "layer_norm_1.gamma", "layer_norm_1.beta"])
        #expect(model.parameters[0].shape == [3, 5, 3, 16])
        #expect(model.parameters[0].initializer == .glorotUniform(fanIn: 45, fanOut: 240))
        #expect(model.parameters[2].shape == [2, 2, 4, 16])
        #expect(model.parameters[2].initializer == .heNormal(fanIn: 64))
        #expect(model.parameters.map(\.isTrainable) == [true, true, true, true, true, false, false, true, true])
        #expect(model.parameters[5].initializer == .zeros && model.parameters[6].initializer == .ones)
        #expect(model.parameterCount == 3 * 5 * 3 * 16 + 16 + 2 * 2 * 4 * 16 + 4 * 4 + 2 * 4)
    }

    @Test func conv2dLowersToConvolutionBiasAndActivation() throws {
        let model = try lowerLayers("input [6, 6, 2]\nconv2d 3, kernel: 3, stride: 2, padding: same, activation: relu").get()
        let graph = GraphBuilder.forward(model, training: false)
        let ops = graph.nodes.map(\.op.kindName)
        #expect(ops.suffix(3) == ["conv2d", "bias_add", "activation"])
        guard case .conv2d(let g) = graph.nodes[graph.nodes.count - 3].op else { Issue.record("no conv2d"); return }
        // 6 = ⌈6/2⌉·2: 'same' needs (3 - 1)·2 + 3 - 6 = 1 pixel of padding, all at the bottom/right.
        #expect([g.inputHeight, g.inputWidth, g.inputChannels, g.outputHeight, g.outputWidth, g.outputChannels] == [6, 6, 2, 3, 3, 3])
        #expect([g.kernelHeight, g.kernelWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft] == [3, 3, 2, 2, 0, 0])
        let padded = try lowerLayers("input [7, 7, 2]\nconv2d 3, kernel: 3, stride: 2, padding: same").get()
        guard case .conv2d(let h) = GraphBuilder.forward(padded, training: false).nodes.first(where: { $0.op.kindName == "conv2d" })?.op
        else { Issue.record("no conv2d"); return }
        #expect(h.padTop == 1 && h.padLeft == 1 && h.outputHeight == 4)
    }

    @Test func batchNormUsesBatchStatisticsOnlyInTraining() throws {
        let model = try lowerLayers("input [4]\nbatch_norm momentum: 0.9, epsilon: 0.01").get()
        for training in [true, false] {
            let node = GraphBuilder.forward(model, training: training).nodes.first { $0.op.kindName == "batch_norm" }
            #expect(node?.op == .batchNorm(BatchNormAttributes(momentum: 0.9, epsilon: 0.01, training: training)))
        }
        // The running statistics get no gradient; gamma and beta do.
        let graph = GraphBuilder.training(model, loss: .meanSquaredError, targetShape: [4])
        #expect(graph.parameterGradients.map { $0 >= 0 } == [true, true, false, false])
    }

    @Test func addAndConcatReadNamedLayers() throws {
        let model = try lowerLayers("""
            input [4, 4, 2]
            a: conv2d 3, kernel: 3, padding: same
            conv2d 3, kernel: 1
            s: add [a, conv2d_2]
            concat [s, input]
            """).get()
        #expect(model.layers[2].config.inputLayers == [0, 1])
        #expect(model.layers[3].config.inputLayers == [2, -1])
        let graph = GraphBuilder.forward(model, training: false)
        let sum = try #require(graph.nodes.first { $0.op == .sum })
        let concat = try #require(graph.nodes.first { $0.op == .concat(axis: 2) })
        #expect(graph[sum.inputs[1]].op == .biasAdd)
        #expect(concat.inputs == [sum.id, graph.input])
        #expect(graph.output == concat.id)
    }

    struct ErrorCase: Sendable, CustomStringConvertible {
        let layers: String, message: String
        var description: String { message }
    }

    static let errors: [ErrorCase] = [
        ErrorCase(layers: "input [784]\nconv2d 8, 3",
                  message: "conv2d 'conv2d_1' needs an input of shape [height, width, channels], but gets [784] (shapes exclude the batch dimension)"),
        ErrorCase(layers: "input [28, 28]\nmax_pool2d 2",
                  message: "max_pool2d 'max_pool2d_1' needs an input of shape [height, width, channels], but gets [28, 28] (shapes exclude the batch dimension)"),
        ErrorCase(layers: "input [3, 3, 1]\nc: conv2d 8, 5",
                  message: "conv2d 'c' has a 5x5 kernel larger than its input 3x3 (input [3, 3, 1], padding valid)"),
        ErrorCase(layers: "input [4, 4, 1]\nconv2d 8, 3, dilation: 2, padding: [1, 0]",
                  message: "conv2d 'conv2d_1' has a 3x3 kernel (5x5 dilated) larger than its padded input 6x4 (input [4, 4, 1], padding [1, 0])"),
        ErrorCase(layers: "input [1, 5, 2]\nmax_pool2d 2",
                  message: "max_pool2d 'max_pool2d_1' has a 2x2 pool larger than its input 1x5 (input [1, 5, 2], padding valid)"),
        ErrorCase(layers: "input [4, 4, 1]\nconv2d 8, kernel: 0",
                  message: "'kernel' of layer 'conv2d' must be a positive integer or [height, width], found integer '0'"),
        ErrorCase(layers: "input [4, 4, 1]\nconv2d 8, kernel: [3, 3, 3]",
                  message: "'kernel' of layer 'conv2d' must be one integer or [height, width], found a list of 3"),
        ErrorCase(layers: "input [4, 4, 1]\nconv2d 8, 3, padding: full",
                  message: "unknown padding 'full'"),
        ErrorCase(layers: "input [4, 4, 1]\nconv2d 8",
                  message: "layer 'conv2d' needs 'kernel' (a positive integer or [height, width])"),
        ErrorCase(layers: "input [4, 4, 1]\nconv2d_transpose 8, 3, padding: 1",
                  message: "'padding' of layer 'conv2d_transpose' must be valid or same, found integer '1'"),
        ErrorCase(layers: "input [4, 4, 1]\nconv2d_transpose 8, 3, stride: 2, output_padding: 2",
                  message: "'output_padding' of layer 'conv2d_transpose' must be less than the stride 2, found 2"),
        ErrorCase(layers: "input [4, 4, 1]\nupsampling2d 2, interpolation: cubic", message: "unknown interpolation 'cubic'"),
        ErrorCase(layers: "input [4]\nbatch_norm momentum: 1", message: "'momentum' of layer 'batch_norm' must be in [0, 1), found 1"),
        ErrorCase(layers: "input [4, 4, 1]\na: conv2d 2, 1\nadd [a]", message: "add 'add_1' needs at least 2 layers, found 1"),
        ErrorCase(layers: "input [4, 4, 1]\na: conv2d 2, 1\nadd a", message:
                    "add 'add_1' takes a list of earlier layer names such as [skip, conv2d_2], found name 'a'"),
        ErrorCase(layers: "input [4, 4, 1]\na: conv2d 2, 1\nadd [a, b]", message: "add 'add_1' reads 'b', which is not an earlier layer"),
        ErrorCase(layers: "input [4, 4, 1]\na: conv2d 2, 1\nadd [a, input]",
                  message: "add 'add_1' needs inputs of one shape, but 'a' is [4, 4, 2] and 'input' is [4, 4, 1] (shapes exclude the batch dimension)"),
        ErrorCase(layers: "input [4, 4, 1]\na: conv2d 2, 3\nconcat [a, input]",
                  message: "concat 'concat_1' joins along axis 2, so the other dimensions must agree, but 'a' is [2, 2, 2] and 'input' is [4, 4, 1] (shapes exclude the batch dimension)"),
        ErrorCase(layers: "input [4, 4, 1]\na: conv2d 2, 1\nconcat [a, input], axis: 3",
                  message: "'axis' of concat 'concat_1' must be in [-3, 2] for inputs of shape [4, 4, 2], found 3"),
    ]

    @Test(arguments: errors)
    func diagnostics(_ c: ErrorCase) {
        #expect(firstError(c.layers) == c.message)
    }
}
