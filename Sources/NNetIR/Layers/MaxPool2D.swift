// `max_pool2d pool: 2, stride: 2, padding: valid`: the maximum of each pool×pool window, per
// channel, of [height, width, channels] samples. Stage: IR. The stride defaults to the pool size;
// 'same' padding gives ⌈size/stride⌉ outputs and windows clipped to the image (padding is never
// the maximum). The forward node saves the position of each maximum for the backward pass.

import NNetSyntax
import NNetKernels

public enum MaxPool2DLayer: LayerDefinition {
    public static let kind = "max_pool2d"
    public static let signature = PoolingLayers.signature(kind)

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        try PoolingLayers.config(arguments, input: input, kind: kind, layer: layer, name: name) { .maxPool2d($0) }
    }
}

/// What max_pool2d and avg_pool2d share: their arguments and the window geometry.
enum PoolingLayers {
    static func signature(_ kind: String) -> Signature {
        Signature("layer '\(kind)'", [
            ParameterSpec("pool", expects: "a positive integer or [height, width] (default 2)", positional: true),
            ParameterSpec("stride", expects: "a positive integer or [height, width] (default: the pool size)"),
            ParameterSpec("padding", expects: "valid or same"),
        ])
    }

    /// The layer: one `op(geometry)` node from [height, width, channels] to the pooled image.
    static func config(_ arguments: BoundArguments, input: [Int], kind: String, layer: LayerDecl, name: String,
                       op: (PoolingGeometry) -> Op) throws(Diagnostic) -> LayerConfig {
        let (geometry, detail) = try PoolingLayers.geometry(arguments, input: input, kind: kind, layer: layer, name: name)
        let outputShape = [geometry.outputHeight, geometry.outputWidth, geometry.channels]
        let node = op(geometry)
        return LayerConfig(outputShape: outputShape, detail: detail) { graph, x, _, _, index in
            graph.add(node, [x], shape: outputShape, layer: index)
        }
    }

    static func geometry(_ arguments: BoundArguments, input: [Int], kind: String, layer: LayerDecl,
                         name: String) throws(Diagnostic) -> (PoolingGeometry, String) {
        let pool = try Spatial.pair(arguments, "pool", default: Pair(2, 2))
        let stride = try Spatial.pair(arguments, "stride", default: pool)
        let padding = try Spatial.padding(arguments, allowExplicit: false)
        let (height, width, channels) = try Spatial.image(input, kind: kind, name: name, at: layer.kind.range)
        let (output, pad) = try Spatial.sweep(input: Pair(height, width), window: pool, noun: "pool", stride: stride,
                                              padding: padding, kind: kind, name: name, inputShape: input,
                                              at: layer.kind.range)
        let geometry = PoolingGeometry(input: (height, width, channels), output: output.tuple, window: pool.tuple,
                                       stride: stride.tuple, padding: (pad.height, pad.width))
        var detail = "\(pool.height)x\(pool.width)"
        if stride != pool { detail += ", stride \(stride.text)" }
        if padding == .same { detail += ", same" }
        return (geometry, detail)
    }
}
