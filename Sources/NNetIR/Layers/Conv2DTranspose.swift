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
    public static let signature = ConvolutionLayers.signature(
        kind, padding: "valid or same",
        ParameterSpec("output_padding", expects: "a non-negative integer or [height, width], less than the stride"))

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let (filters, kernel, stride) = try ConvolutionLayers.shape(arguments)
        let padding = try Spatial.padding(arguments, allowExplicit: false)
        let outputPadding = try arguments["output_padding"].map { v throws(Diagnostic) in
            try Spatial.pair(v, what: "'output_padding' of \(arguments.owner)", minimum: 0)
        }
        if let outputPadding, outputPadding.height >= stride.height || outputPadding.width >= stride.width {
            throw .error("value-out-of-range",
                         "'output_padding' of \(arguments.owner) must be less than the stride \(stride.text), found \(outputPadding.text)",
                         at: arguments["output_padding"]!.range)
        }
        let (activation, hasBias) = try ConvolutionLayers.output(arguments)
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
        var detail: [String] = []
        if padding == .same { detail.append("same") }
        if let outputPadding { detail.append("output_padding \(outputPadding.text)") }
        return try ConvolutionLayers.config(
            arguments, kind: kind, name: name, layer: layer, op: .conv2dTranspose(geometry),
            weightShape: [kernel.height, kernel.width, filters, channels], inChannels: channels, filters: filters,
            outputShape: [rows.0, columns.0, filters], kernel: kernel, stride: stride, detail: detail,
            activation: activation, hasBias: hasBias)
    }
}
