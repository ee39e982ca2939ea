// Evaluation and prediction in inference mode (dropout off), in batches. Stage: runtime.

import NNetIR

public struct EvaluationResult: Sendable {
    public let loss: Double
    public let metrics: [(name: String, value: Double)]
    public let samples: Int
}

public enum Evaluation {
    static let batchSize = 256

    public static func evaluate(_ instance: ModelInstance, on data: Dataset, loss: LossKind, metrics: [Metric],
                                useReference: Bool = false) throws -> EvaluationResult {
        let model = instance.model
        let batch = min(batchSize, max(data.count, 1))
        let graph = GraphBuilder.evaluation(model, loss: loss, targetShape: data.targetShape)
        let executor = Executor(graph: graph, batchCapacity: batch, parameters: instance.parameters,
                                useReference: useReference)
        var batcher = try Batcher(dataset: data, batchSize: batch, shuffle: false, seed: 0)
        let columns = model.outputShape.last ?? 1
        var lossSum: Double = 0
        var sums = [Double](repeating: 0, count: metrics.count)
        var seen = 0
        while seen < data.count {
            let rows = batcher.next(features: executor.buffer(graph.input), targets: executor.buffer(graph.target!))
            executor.run(rows: rows)
            lossSum += Double(executor.loss) * Double(rows)
            let outputRows = rows * model.outputRowsPerSample
            for (i, metric) in metrics.enumerated() {
                sums[i] += Metric.batchTotal(metric, outputs: executor.buffer(graph.output),
                                             targets: executor.buffer(graph.target!), rows: outputRows, columns: columns,
                                             classLabels: data.hasClassLabels, threshold: graph.binaryThreshold)
            }
            seen += rows
        }
        let n = Double(max(seen, 1))
        return EvaluationResult(loss: lossSum / n, metrics: zip(metrics, sums).map { ($0.rawValue, $1 / n) }, samples: seen)
    }

    /// Model outputs for the first `count` samples, each a row of the output's elements.
    public static func predict(_ instance: ModelInstance, on data: Dataset, count: Int) -> [[Float]] {
        let n = min(count, data.count)
        guard n > 0 else { return [] }
        let graph = GraphBuilder.forward(instance.model, training: false)
        let executor = Executor(graph: graph, batchCapacity: n, parameters: instance.parameters)
        data.copyFeatures(of: 0..<n, into: executor.buffer(graph.input))
        executor.run(rows: n)
        let size = elementCount(instance.model.outputShape)
        let output = executor.buffer(graph.output)
        return (0..<n).map { i in Array(UnsafeBufferPointer(start: output + i * size, count: size)) }
    }
}
