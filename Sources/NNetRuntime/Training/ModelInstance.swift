// A lowered model with its parameter values: what a `model` statement creates and `train`,
// `evaluate`, `predict`, `save` and `load` act on. Stage: runtime.

import NNetIR

public final class ModelInstance {
    public let model: LoweredModel
    public let parameters: ParameterStore
    /// Epochs trained so far, over all `train` statements.
    public var epochsTrained = 0

    public init(_ model: LoweredModel, seed: UInt64) {
        self.model = model
        parameters = ParameterStore(model.parameters)
        parameters.initialize(seed: seed)
    }

    public var name: String { model.name }

    /// Index of a parameter by its full name (`dense_1.weight`).
    public func parameterIndex(named name: String) -> Int? {
        model.parameters.firstIndex { $0.name == name }
    }
}

extension LoweredModel {
    /// Rows of the last dimension per sample (time steps for sequence outputs); computed without
    /// building an array, since training steps must not allocate.
    var outputRowsPerSample: Int {
        var rows = 1
        for dimension in outputShape.dropLast() { rows *= dimension }
        return rows
    }
}
