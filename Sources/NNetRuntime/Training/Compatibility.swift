// Checks that a dataset fits a model and a loss before any training step runs, with messages
// that name both shapes. Stage: runtime.

import NNetIR

public enum Compatibility {
    /// Returns a problem description, or nil when `dataset` can feed `model` under `loss`.
    /// Samples whose shape differs from the model's input but has the same element count are
    /// accepted (row-major data reshapes for free, e.g. 28×28×1 images into `input [784]`).
    public static func problem(model: LoweredModel, loss: LossKind?, dataset: Dataset,
                               datasetName: String) -> (message: String, help: String?)? {
        let input = model.inputShape
        if elementCount(dataset.featureShape) != elementCount(input) {
            return ("model '\(model.name)' expects samples of shape \(describeShape(input)) but '\(datasetName)' has \(describeShape(dataset.featureShape))",
                    "shapes exclude the batch dimension; change the model's 'input' line or the dataset's preprocessing")
        }
        if let problem = tokenProblem(model: model, dataset: dataset, datasetName: datasetName) { return problem }
        guard let loss else { return nil }
        let output = model.outputShape
        let columns = output.last ?? 1
        switch loss {
        case .sparseCategoricalCrossEntropy:
            guard let classes = dataset.classCount, dataset.targetShape.isEmpty else {
                return ("sparse_categorical_crossentropy needs integer class labels, but '\(datasetName)' has targets of shape \(describeShape(dataset.targetShape))",
                        dataset.targetShape.count == 1 ? "use categorical_crossentropy for one-hot targets" : nil)
            }
            if output.count != 1 || columns < 2 {
                return ("sparse_categorical_crossentropy needs a model output of shape [classes], but model '\(model.name)' outputs \(describeShape(output))", nil)
            }
            if classes > columns {
                return ("'\(datasetName)' has labels 0...\(classes - 1) but model '\(model.name)' outputs only \(columns) classes",
                        "make the last dense layer \(classes) units wide")
            }
        case .categoricalCrossEntropy:
            if dataset.hasClassLabels {
                return ("categorical_crossentropy needs one-hot targets, but '\(datasetName)' has integer class labels",
                        "use sparse_categorical_crossentropy, or one-hot encode the data with one_hot: true")
            }
            if dataset.targetShape != output {
                return ("model '\(model.name)' outputs \(describeShape(output)) but the targets of '\(datasetName)' have shape \(describeShape(dataset.targetShape))", nil)
            }
        case .binaryCrossEntropy, .meanSquaredError:
            if elementCount(dataset.targetShape) != elementCount(output) {
                return ("model '\(model.name)' outputs \(describeShape(output)) but the targets of '\(datasetName)' have shape \(describeShape(dataset.targetShape.isEmpty ? [1] : dataset.targetShape))",
                        "shapes exclude the batch dimension")
            }
            if loss == .binaryCrossEntropy, let classes = dataset.classCount, classes > 2 {
                return ("binary_crossentropy needs 0/1 targets, but '\(datasetName)' has \(classes) classes",
                        "use sparse_categorical_crossentropy with a softmax output of \(classes) units")
            }
        }
        return nil
    }
}
