// `global_avg_pool2d`: [height, width, channels] -> [channels], the mean of every channel over the
// image. Stage: IR. Lowered to one avg_pool2d whose window is the whole image, then a reshape.

import NNetSyntax
import NNetKernels

public enum GlobalAvgPool2DLayer: LayerDefinition {
    public static let kind = "global_avg_pool2d"
    public static let signature = Signature("layer 'global_avg_pool2d'", [])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let (height, width, channels) = try Spatial.image(input, kind: kind, name: name, at: layer.kind.range)
        let geometry = PoolingGeometry(input: (height, width, channels), output: (1, 1), window: (height, width),
                                       stride: (height, width))
        return LayerConfig(outputShape: [channels]) { graph, x, _, _, index in
            let pooled = graph.add(.avgPool2d(geometry), [x], shape: [1, 1, channels], layer: index)
            return graph.add(.reshape, [pooled], shape: [channels], layer: index)
        }
    }
}
