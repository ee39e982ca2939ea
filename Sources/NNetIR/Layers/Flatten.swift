// `flatten`: [d1, d2, ...] -> [d1·d2·...], a view. Stage: IR.

import NNetSyntax

public enum FlattenLayer: LayerDefinition {
    public static let kind = "flatten"
    public static let signature = Signature("layer 'flatten'", [])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let output = [elementCount(input)]
        return LayerConfig(outputShape: output) { graph, x, _, _, index in
            graph.add(.reshape, [x], shape: output, layer: index)
        }
    }
}
