// Metrics computed from a batch's outputs and targets: accuracy (class labels, one-hot or
// binary) and mean absolute error. Stage: runtime.

import NNetIR
import NNetKernels

public enum Metric: String, Sendable, CaseIterable {
    case accuracy
    case mae

    /// Sum of the metric over the batch's rows (divide by the sample count for the mean).
    /// `outputs` holds `rows` × `columns` predictions; `targets` class indices when `classLabels`,
    /// else `rows` × `columns` values. `threshold` separates the classes of a single binary output
    /// (0.5 for probabilities, 0 for logits).
    static func batchTotal(_ metric: Metric, outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                           rows: Int, columns: Int, classLabels: Bool, threshold: Float) -> Double {
        switch metric {
        case .accuracy:
            if columns == 1 {
                var correct = 0
                for i in 0..<rows where (outputs[i] >= threshold) == (targets[i] >= 0.5) { correct += 1 }
                return Double(correct)
            }
            if classLabels {
                return Double(Kernels.correctPredictions(outputs, labels: targets, rows: rows, columns: columns))
            }
            var correct = 0
            for i in 0..<rows where Kernels.argmax(outputs + i * columns, count: columns)
                == Kernels.argmax(targets + i * columns, count: columns) {
                correct += 1
            }
            return Double(correct)
        case .mae:
            var sum: Double = 0
            for i in 0..<rows * columns { sum += Double(abs(outputs[i] - targets[i])) }
            return sum / Double(columns)
        }
    }
}

extension Graph {
    /// Where a single binary output splits the classes: 0.5 for probabilities, 0 for logits.
    var binaryThreshold: Float {
        switch self[skippingViews(output)].op {
        case .activation(.sigmoid), .softmax: return 0.5
        default: return lossFromLogits ? 0 : 0.5
        }
    }
}
