// `conv2d filters, kernel: 3, stride: 1, padding: valid, dilation: 1, activation: relu, bias: true,
// init: glorot_uniform`: 2-D convolution of [height, width, channels] samples. Stage: IR.
// Weights [kh, kw, in channels, filters], bias [filters] (zeros). Lowered to conv2d → bias_add →
// activation, which the planner runs as one im2col + GEMM with a bias + activation epilogue.

import NNetSyntax
import NNetKernels

public enum Conv2DLayer: LayerDefinition {
    public static let kind = "conv2d"
    public static let signature = Signature("layer 'conv2d'", [
        ParameterSpec("filters", expects: "a positive integer (output channels)", required: true, positional: true),
        ParameterSpec("kernel", expects: "a positive integer or [height, width]", required: true, positional: true),
        ParameterSpec("stride", expects: "a positive integer or [height, width]"),
        ParameterSpec("padding", expects: "valid, same, an integer or [height, width]"),
        ParameterSpec("dilation", expects: "a positive integer or [height, width]"),
        ParameterSpec("activation", expects: "an activation such as relu"),
        ParameterSpec("bias", expects: "true or false"),
        ParameterSpec("init", expects: DenseLayer.initializers.joined(separator: ", ")),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let filters = try arguments.integer("filters", minimum: 1)
        let kernel = try Spatial.pair(arguments, "kernel")
        let stride = try Spatial.pair(arguments, "stride", default: Pair(1, 1))
        let dilation = try Spatial.pair(arguments, "dilation", default: Pair(1, 1))
        let padding = try Spatial.padding(arguments)
        let activation = try arguments["activation"].map { v throws(Diagnostic) in try Activation.resolve(v) }
            ?? .pointwise(.linear)
        let hasBias = try arguments.bool("bias", default: true)
        let (height, width, channels) = try Spatial.image(input, kind: kind, name: name, at: layer.kind.range)
        let (output, pad) = try Spatial.sweep(input: Pair(height, width), window: kernel, noun: "kernel", stride: stride,
                                              dilation: dilation, padding: padding, kind: kind, name: name,
                                              inputShape: input, at: layer.kind.range)
        let geometry = ConvolutionGeometry(input: (height, width, channels), output: (output.height, output.width, filters),
                                           kernel: kernel.tuple, stride: stride.tuple, dilation: dilation.tuple,
                                           padding: (pad.height, pad.width))
        try checkElementCount([kernel.height, kernel.width, channels, filters], of: "weight", layer: kind, name,
                              at: layer.range)
        let taps = kernel.height * kernel.width
        let weightInit = try weightInitializer(arguments, fanIn: taps * channels, fanOut: taps * filters)
        var parameters = [LayerParameter(suffix: "weight", shape: [kernel.height, kernel.width, channels, filters],
                                         initializer: weightInit)]
        if hasBias { parameters.append(LayerParameter(suffix: "bias", shape: [filters], initializer: .zeros)) }
        let outputShape = [output.height, output.width, filters]
        var detail = "\(kernel.height)x\(kernel.width)"
        if stride != Pair(1, 1) { detail += ", stride \(stride.text)" }
        if padding != .valid { detail += ", \(padding == .same ? "same" : "padding \(padding)")" }
        if dilation != Pair(1, 1) { detail += ", dilation \(dilation.text)" }
        if activation != .pointwise(.linear) { detail += ", \(activation)" }
        return LayerConfig(outputShape: outputShape, parameters: parameters, detail: detail,
                           finalActivation: activation) { graph, x, params, _, index in
            var y = graph.add(.conv2d(geometry), [x, params[0]], shape: outputShape, layer: index)
            if hasBias { y = graph.add(.biasAdd, [y, params[1]], shape: outputShape, layer: index) }
            return emitActivation(activation, &graph, y, layer: index)
        }
    }

    /// `init:` of a convolution, with fans counted over the kernel's taps (as Keras does).
    static func weightInitializer(_ arguments: BoundArguments, fanIn: Int, fanOut: Int) throws(Diagnostic) -> Initializer {
        switch try arguments.symbol("init", choices: DenseLayer.initializers, default: "glorot_uniform") {
        case "he_normal": return .heNormal(fanIn: fanIn)
        case "he_uniform": return .heUniform(fanIn: fanIn)
        case "zeros": return .zeros
        default: return .glorotUniform(fanIn: fanIn, fanOut: fanOut)
        }
    }
}
