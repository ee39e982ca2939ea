// `embedding vocabulary, dimension`: looks up a learned vector for each integer token id, so a
// sequence of ids [time] becomes [time, dimension] for a recurrent layer. Stage: IR.
//
// Token ids are stored as Float and must be whole numbers in 0..<vocabulary; the runtime checks
// the data against the vocabulary before training (Compatibility), and the kernel gives a zero
// vector for any other value. Parameter: embeddings [vocabulary, dimension], Glorot uniform
// (Keras draws U(−0.05, 0.05), PyTorch N(0, 1); Glorot gives a comparable scale for
// vocabularies of a few hundred). No gradient flows to the ids.

import NNetSyntax

public enum EmbeddingLayer: LayerDefinition {
    public static let kind = "embedding"
    public static let signature = Signature("layer 'embedding'", [
        ParameterSpec("vocabulary", expects: "the number of distinct token ids, a positive integer", required: true, positional: true),
        ParameterSpec("dimension", expects: "the size of each token's vector, a positive integer", required: true, positional: true),
    ])

    public static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                                 name: String) throws(Diagnostic) -> LayerConfig {
        let vocabulary = try arguments.integer("vocabulary", minimum: 1)
        let dimension = try arguments.integer("dimension", minimum: 1)
        let output = input + [dimension]
        let table = LayerParameter(suffix: "embeddings", shape: [vocabulary, dimension],
                                   initializer: .glorotUniform(fanIn: vocabulary, fanOut: dimension))
        return LayerConfig(outputShape: output, parameters: [table], detail: "vocabulary \(vocabulary)") {
            graph, ids, params, _, index in
            graph.add(.embedding, [ids, params[0]], shape: output, layer: index)
        }
    }
}
