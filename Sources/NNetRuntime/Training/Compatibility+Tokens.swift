// Token ids against an embedding's vocabulary: a model whose first layer (after any reshape or
// flatten) is an embedding reads its samples as ids, so each must be a whole number in
// 0..<vocabulary. Stage: runtime.

import NNetIR

extension Compatibility {
    /// The first sample value that is not a token id of the model's leading embedding, described
    /// with its sample and position; nil when every value is one (or the model reads no ids).
    static func tokenProblem(model: LoweredModel, dataset: Dataset, datasetName: String) -> (message: String, help: String?)? {
        guard let layer = model.layers.first(where: { $0.kind != "reshape" && $0.kind != "flatten" }),
              layer.kind == EmbeddingLayer.kind, let table = layer.parameterIndices.first else { return nil }
        let vocabulary = model.parameters[table].shape[0]
        let values = dataset.features  // converted once (a byte-stored dataset converts on every read)
        guard let index = values.firstIndex(where: { !($0 >= 0 && $0 < Float(vocabulary) && $0 == $0.rounded()) })
        else { return nil }
        let value = values[index]
        let (sample, position) = index.quotientAndRemainder(dividingBy: max(dataset.featureSize, 1))
        let shown = value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : "\(value)"
        let message = "'\(datasetName)' has token id \(shown) (sample \(sample), position \(position)) outside the vocabulary 0..<\(vocabulary) of embedding '\(layer.name)' in model '\(model.name)'"
        let wholeIds = values.allSatisfy { $0 >= 0 && $0 == $0.rounded() && $0 < 1e9 }
        guard wholeIds, let largest = values.max() else {
            return (message, "token ids must be whole numbers in 0..<\(vocabulary)")
        }
        return (message, "the largest id is \(Int(largest)): make the vocabulary at least \(Int(largest) + 1)")
    }
}
