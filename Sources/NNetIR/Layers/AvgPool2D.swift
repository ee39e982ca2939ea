// `avg_pool2d pool: 2, stride: 2, padding: valid`: the mean of each pool×pool window, per channel,
// of [height, width, channels] samples. Stage: IR. With 'same' padding, windows are clipped to the
// image and average only the pixels inside it (as Keras does).

import NNetSyntax
import NNetKernels

public enum AvgPool2DLayer: LayerDefinition {
    public static let kind = "avg_pool2d"
    public static let signature = PoolingLayers.signature(kind)

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        try PoolingLayers.config(arguments, input: input, kind: kind, layer: layer, name: name) { .avgPool2d($0) }
    }
}
