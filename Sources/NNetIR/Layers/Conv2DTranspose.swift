// `conv2d_transpose filters, kernel: 3, stride: 2, padding: same, output_padding: 1, activation: relu,
// bias: true, init: glorot_uniform`: the transposed ("fractionally strided") convolution, which
// upsamples: each input pixel adds kernel × its value into a stride-spaced output patch. Stage: IR.
// Weights [kh, kw, filters, in channels] (Keras' layout), bias [filters]. Output size, as in Keras:
// same: input·stride; valid: (input - 1)·stride + kernel + max(stride - kernel, 0); with
// output_padding p: (input - 1)·stride + kernel - 2·⌊kernel/2⌋ (same) or + 0 (valid), + p.
// It is the input gradient of the conv2d that maps its output back to its input, and its IR op
// carries that conv2d's geometry.

import NNetSyntax
import NNetKernels

public enum Conv2DTransposeLayer: LayerDefinition {
    public static let kind = "conv2d_transpose"
    public static let signature = Signature("layer 'conv2d_transpose'", [
        ParameterSpec("filters", expects: "a positive integer (output channels)", required: true, positional: true),
        ParameterSpec("kernel", expects: "a positive integer or [height, width]", required: true, positional: true),
        ParameterSpec("stride", expects: "a positive integer or [height, width]"),
        ParameterSpec("padding", expects: "valid or same"),
        ParameterSpec("output_padding", expects: "a non-negative integer or [height, width], less than the stride"),
        ParameterSpec("activation", expects: "an activation such as relu"),
        ParameterSpec("bias", expects: "true or false"),
        ParameterSpec("init", expects: DenseLayer.initializers.joined(separator: ", ")),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let filters = try arguments.integer("filters", minimum: 1)
        let kernel = try Spatial.pair(arguments, "kernel")
        let stride = try Spatial.pair(arguments, "stride", default: Pair(1, 1))
        let padding = try Spatial.padding(arguments, allowExplicit: false)
        let outputPadding = try arguments["output_padding"].map { v throws(Diagnostic) in
            try Spatial.pair(v, what: "'output_padding' of \(arguments.owner)", minimum: 0)
        }
        if let outputPadding, outputPadding.height >= stride.height || outputPadding.width >= stride.width {
            throw .error("value-out-of-range",
                         "'output_padding' of \(arguments.owner) must be less than the stride \(stride.text), found \(outputPadding.text)",
                         at: arguments["output_padding"]!.range)
        }
        let activation = try arguments["activation"].map { v throws(Diagnostic) in try Activation.resolve(v) }
            ?? .pointwise(.linear)
        let hasBias = try arguments.bool("bias", default: true)
        let (height, width, channels) = try Spatial.image(input, kind: kind, name: name, at: layer.kind.range)

        /// (output size, top/left padding of the equivalent convolution) along one axis.
        func axis(_ size: Int, _ kernel: Int, _ stride: Int, _ extra: Int?) -> (Int, Int) {
            let output: Int
            switch (padding, extra) {
            case (.same, nil): output = size * stride
            case (.same, let extra?): output = (size - 1) * stride + kernel - 2 * (kernel / 2) + extra
            case (_, let extra): output = (size - 1) * stride + kernel + (extra ?? max(stride - kernel, 0))
            }
            let pad = padding == .same ? max((size - 1) * stride + kernel - output, 0) / 2 : 0
            return (output, pad)
        }
        let rows = axis(height, kernel.height, stride.height, outputPadding?.height)
        let columns = axis(width, kernel.width, stride.width, outputPadding?.width)
        // The convolution this layer transposes: from this layer's output back to its input.
        let geometry = ConvolutionGeometry(input: (rows.0, columns.0, filters), output: (height, width, channels),
                                           kernel: kernel.tuple, stride: stride.tuple, padding: (rows.1, columns.1))
        try checkElementCount([kernel.height, kernel.width, filters, channels], of: "weight", layer: kind, name,
                              at: layer.range)
        let taps = kernel.height * kernel.width
        let weightInit = try Conv2DLayer.weightInitializer(arguments, fanIn: taps * channels, fanOut: taps * filters)
        var parameters = [LayerParameter(suffix: "weight", shape: [kernel.height, kernel.width, filters, channels],
                                         initializer: weightInit)]
        if hasBias { parameters.append(LayerParameter(suffix: "bias", shape: [filters], initializer: .zeros)) }
        let outputShape = [rows.0, columns.0, filters]
        var detail = "\(kernel.height)x\(kernel.width)"
        if stride != Pair(1, 1) { detail += ", stride \(stride.text)" }
        if padding == .same { detail += ", same" }
        if let outputPadding { detail += ", output_padding \(outputPadding.text)" }
        if activation != .pointwise(.linear) { detail += ", \(activation)" }
        return LayerConfig(outputShape: outputShape, parameters: parameters, detail: detail,
                           finalActivation: activation) { graph, x, params, _, index in
            var y = graph.add(.conv2dTranspose(geometry), [x, params[0]], shape: outputShape, layer: index)
            if hasBias { y = graph.add(.biasAdd, [y, params[1]], shape: outputShape, layer: index) }
            return emitActivation(activation, &graph, y, layer: index)
        }
    }
}
