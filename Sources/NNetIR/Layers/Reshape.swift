// `reshape [28, 28, 1]`: same elements, new per-sample shape (a view). Stage: IR.

import NNetSyntax

public enum ReshapeLayer: LayerDefinition {
    public static let kind = "reshape"
    public static let signature = Signature("layer 'reshape'", [
        ParameterSpec("shape", expects: "a shape such as [28, 28, 1]", required: true, positional: true),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let output = try arguments.shape("shape")
        guard elementCount(output) == elementCount(input) else {
            throw .error("shape-mismatch",
                         "reshape '\(name)' cannot turn \(describeShape(input)) (\(elementCount(input)) elements) into \(describeShape(output)) (\(elementCount(output)) elements)",
                         at: arguments["shape"]!.range,
                         help: "shapes exclude the batch dimension; the element counts must match")
        }
        return LayerConfig(outputShape: output) { graph, x, _, _, index in
            graph.add(.reshape, [x], shape: output, layer: index)
        }
    }
}
