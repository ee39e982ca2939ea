// `add [skip, conv2d_3]`: the elementwise sum of earlier layers' outputs, which must have one
// shape (residual connections). Stage: IR. The gradient of the sum reaches every input unchanged.

import NNetSyntax

public enum AddLayer: MultiInputLayerDefinition {
    public static let kind = "add"
    public static let signature = Signature("layer 'add'", [
        ParameterSpec("layers", expects: "a list of earlier layer names such as [skip, conv2d_2]", required: true,
                      positional: true),
    ])

    public static func configure(_ arguments: BoundArguments, earlier: EarlierLayers, layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let owner = "add '\(name)'"
        let inputs = try earlier.resolve(arguments["layers"]!, owner: owner)
        let shape = inputs[0].shape
        for other in inputs.dropFirst() where other.shape != shape {
            throw .error("shape-mismatch",
                         "\(owner) needs inputs of one shape, but '\(inputs[0].name)' is \(describeShape(shape)) and '\(other.name)' is \(describeShape(other.shape)) (shapes exclude the batch dimension)",
                         at: other.range, notes: [inputs[0].definedHere, other.definedHere])
        }
        return LayerConfig(outputShape: shape, inputLayers: inputs.map(\.index),
                           detail: inputs.map(\.name).joined(separator: " + ")) { graph, nodes, _, _, index in
            graph.add(.sum, nodes, shape: shape, layer: index)
        }
    }
}
