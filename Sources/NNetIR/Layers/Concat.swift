// `concat [a, b], axis: -1`: joins earlier layers' outputs along one axis (default the last, the
// channels of an image). Stage: IR. The other dimensions must agree; axes count from 0 within
// one sample's shape (the batch dimension excluded), negative ones from the end.

import NNetSyntax

public enum ConcatLayer: MultiInputLayerDefinition {
    public static let kind = "concat"
    public static let signature = Signature("layer 'concat'", [
        ParameterSpec("layers", expects: "a list of earlier layer names such as [a, b]", required: true, positional: true),
        ParameterSpec("axis", expects: "an integer axis of the samples' shape (default -1, the last)"),
    ])

    public static func configure(_ arguments: BoundArguments, earlier: EarlierLayers, layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let owner = "concat '\(name)'"
        let inputs = try earlier.resolve(arguments["layers"]!, owner: owner)
        let first = inputs[0]
        let rank = first.shape.count
        let written = try arguments.integer("axis", default: -1)
        guard (-rank..<rank).contains(written) else {
            throw .error("value-out-of-range",
                         "'axis' of \(owner) must be in [\(-rank), \(rank - 1)] for inputs of shape \(describeShape(first.shape)), found \(written)",
                         at: arguments["axis"]?.range ?? arguments.range, help: "axes exclude the batch dimension")
        }
        let axis = written < 0 ? written + rank : written
        var outputShape = first.shape
        for other in inputs.dropFirst() {
            var expected = first.shape, actual = other.shape
            if actual.count == rank { expected[axis] = 0; actual[axis] = 0 }
            guard expected == actual else {
                throw .error("shape-mismatch",
                             "\(owner) joins along axis \(axis), so the other dimensions must agree, but '\(first.name)' is \(describeShape(first.shape)) and '\(other.name)' is \(describeShape(other.shape)) (shapes exclude the batch dimension)",
                             at: other.range, notes: [first.definedHere, other.definedHere])
            }
            outputShape[axis] += other.shape[axis]
        }
        let shape = outputShape
        return LayerConfig(outputShape: shape, inputLayers: inputs.map(\.index),
                           detail: "\(inputs.map(\.name).joined(separator: ", ")), axis \(axis)") { graph, nodes, _, _, index in
            graph.add(.concat(axis: axis), nodes, shape: shape, layer: index)
        }
    }
}
