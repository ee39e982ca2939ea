// `predict classifier on data, count: 1000, summary: true`: how a classifier's predictions
// spread over the classes and how confident they are, instead of one line per sample (for
// judging generated images: varied and recognisable). Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

extension Interpreter {
    /// A summary needs class probabilities: a softmax output over two or more classes.
    func requireClassifier(_ model: LoweredModel, at range: SourceRange) throws(Diagnostic) {
        guard model.finalActivation == .softmax, elementCount(model.outputShape) > 1 else {
            throw .error("invalid-argument",
                         "'summary' needs a classifier ending in a softmax over the classes; '\(model.name)' does not",
                         at: range, help: "end the model with 'dense classes, activation: softmax'")
        }
    }

    /// Prints the share of samples predicted as each class, the largest share, and the mean
    /// probability of the predicted class; logs them as a `predict_summary` event.
    func printClassSummary(_ outputs: [[Float]], model: String, dataset: String) {
        let classes = outputs.first?.count ?? 0
        var counts = [Int](repeating: 0, count: classes)
        var confidence: Double = 0
        for output in outputs {
            let best = output.indices.max { output[$0] < output[$1] } ?? 0
            counts[best] += 1
            confidence += Double(output[best])
        }
        let n = max(outputs.count, 1)
        let fractions = counts.map { Double($0) / Double(n) }
        let largest = fractions.indices.max { fractions[$0] < fractions[$1] } ?? 0
        let meanTop = confidence / Double(n)
        console.line("predict \(model) on \(dataset): \(outputs.count) samples")
        console.line("  classes: " + counts.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: ", "))
        console.line("  largest class \(largest): \(String(format: "%.1f", 100 * fractions[largest]))% of the samples; "
                     + "mean top probability \(format3(Float(meanTop)))")
        options.log?.write(.object([
            ("event", "predict_summary"), ("model", .string(model)), ("dataset", .string(dataset)),
            ("samples", .int(outputs.count)), ("class_counts", .array(counts.map { .int($0) })),
            ("largest_class_fraction", .number(fractions[largest])), ("mean_top_probability", .number(meanTop)),
        ]))
    }
}
