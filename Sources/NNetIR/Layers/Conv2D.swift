// `conv2d filters, kernel: 3, stride: 1, padding: valid, dilation: 1, activation: relu, bias: true,
// init: glorot_uniform`: 2-D convolution of [height, width, channels] samples. Stage: IR.
// Weights [kh, kw, in channels, filters], bias [filters] (zeros). Lowered to conv2d → bias_add →
// activation, which the planner runs as one im2col + GEMM with a bias + activation epilogue.

import NNetSyntax
import NNetKernels

public enum Conv2DLayer: LayerDefinition {
    public static let kind = "conv2d"
    public static let signature = ConvolutionLayers.signature(
        kind, padding: "valid, same, an integer or [height, width]",
        ParameterSpec("dilation", expects: "a positive integer or [height, width]"))

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let (filters, kernel, stride) = try ConvolutionLayers.shape(arguments)
        let dilation = try Spatial.pair(arguments, "dilation", default: Pair(1, 1))
        let padding = try Spatial.padding(arguments)
        let (activation, hasBias) = try ConvolutionLayers.output(arguments)
        let (height, width, channels) = try Spatial.image(input, kind: kind, name: name, at: layer.kind.range)
        let (output, pad) = try Spatial.sweep(input: Pair(height, width), window: kernel, noun: "kernel", stride: stride,
                                              dilation: dilation, padding: padding, kind: kind, name: name,
                                              inputShape: input, at: layer.kind.range)
        let geometry = ConvolutionGeometry(input: (height, width, channels), output: (output.height, output.width, filters),
                                           kernel: kernel.tuple, stride: stride.tuple, dilation: dilation.tuple,
                                           padding: (pad.height, pad.width))
        var detail: [String] = []
        if padding != .valid { detail.append(padding == .same ? "same" : "padding \(padding)") }
        if dilation != Pair(1, 1) { detail.append("dilation \(dilation.text)") }
        return try ConvolutionLayers.config(
            arguments, kind: kind, name: name, layer: layer, op: .conv2d(geometry),
            weightShape: [kernel.height, kernel.width, channels, filters], inChannels: channels, filters: filters,
            outputShape: [output.height, output.width, filters], kernel: kernel, stride: stride, detail: detail,
            activation: activation, hasBias: hasBias)
    }
}

/// What conv2d and conv2d_transpose share: their arguments (in the order they are checked, so
/// the first mistake is the one reported), their weight and bias, summary and lowering.
enum ConvolutionLayers {
    /// filters, kernel, stride, padding, `extra` (dilation or output_padding), activation, bias, init.
    static func signature(_ kind: String, padding: String, _ extra: ParameterSpec) -> Signature {
        Signature("layer '\(kind)'", [
            ParameterSpec("filters", expects: "a positive integer (output channels)", required: true, positional: true),
            ParameterSpec("kernel", expects: "a positive integer or [height, width]", required: true, positional: true),
            ParameterSpec("stride", expects: "a positive integer or [height, width]"),
            ParameterSpec("padding", expects: padding),
            extra,
            ParameterSpec("activation", expects: "an activation such as relu"),
            ParameterSpec("bias", expects: "true or false"),
            ParameterSpec("init", expects: DenseLayer.initializers.joined(separator: ", ")),
        ])
    }

    /// filters, kernel and stride (default 1).
    static func shape(_ arguments: BoundArguments) throws(Diagnostic) -> (filters: Int, kernel: Pair, stride: Pair) {
        (try arguments.integer("filters", minimum: 1), try Spatial.pair(arguments, "kernel"),
         try Spatial.pair(arguments, "stride", default: Pair(1, 1)))
    }

    /// activation (default linear) and bias (default true).
    static func output(_ arguments: BoundArguments) throws(Diagnostic) -> (activation: Activation, hasBias: Bool) {
        let activation = try arguments["activation"].map { v throws(Diagnostic) in try Activation.resolve(v) }
            ?? .pointwise(.linear)
        return (activation, try arguments.bool("bias", default: true))
    }

    /// The layer: weight `weightShape` (`init:`, fans over the kernel's taps), bias [filters]
    /// (zeros) if any, and `op` → bias_add → activation, which the planner fuses.
    static func config(_ arguments: BoundArguments, kind: String, name: String, layer: LayerDecl, op: Op,
                       weightShape: [Int], inChannels: Int, filters: Int, outputShape: [Int], kernel: Pair, stride: Pair,
                       detail extra: [String], activation: Activation, hasBias: Bool) throws(Diagnostic) -> LayerConfig {
        try checkElementCount(weightShape, of: "weight", layer: kind, name, at: layer.range)
        let taps = kernel.height * kernel.width
        let weightInit = try weightInitializer(arguments, fanIn: taps * inChannels, fanOut: taps * filters)
        var parameters = [LayerParameter(suffix: "weight", shape: weightShape, initializer: weightInit)]
        if hasBias { parameters.append(LayerParameter(suffix: "bias", shape: [filters], initializer: .zeros)) }
        var detail = ["\(kernel.height)x\(kernel.width)"]
        if stride != Pair(1, 1) { detail.append("stride \(stride.text)") }
        detail += extra
        if activation != .pointwise(.linear) { detail.append("\(activation)") }
        return LayerConfig(outputShape: outputShape, parameters: parameters, detail: detail.joined(separator: ", "),
                           finalActivation: activation) { graph, x, params, _, index in
            var y = graph.add(op, [x, params[0]], shape: outputShape, layer: index)
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
