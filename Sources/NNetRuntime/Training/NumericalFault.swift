// Non-finite values during training: which tensor of which layer went NaN or infinite first.
// The training loop checks cheaply (the loss, the gradients, the parameters after the update);
// on a hit, `FaultLocator` re-runs the step on an unfused executor whose buffers are all kept and
// scans node by node in graph order. Stage: runtime (training).

import NNetIR
import NNetKernels

/// The first NaN or infinity of a training step, with where it appeared.
public struct NumericalFault: Error, CustomStringConvertible, Sendable {
    public enum Tensor: String, Sendable {
        case inputData = "input data"
        case targetData = "target data"
        case activation
        case loss
        case gradient
        case parameter
    }

    public let model: String
    /// 1-based, counting every epoch the model was trained.
    public let epoch: Int
    /// 1-based within the epoch.
    public let step: Int
    public let tensor: Tensor
    /// The first non-finite value (NaN or ±infinity).
    public let value: Float
    /// Index into LoweredModel.layers; nil for the data and the loss.
    public let layer: Int?
    /// The layer's name and kind (`'h1' (dense)`), or nil.
    public let layerDescription: String?
    /// The op or parameter (`matmul`, `gradient of h1.weight`, `h1.weight`).
    public let detail: String
    /// Set when on_nan: skip skipped every step of the epoch, so training could not go on.
    public var wholeEpochSkipped = false

    /// `the gradient of layer 'h1' (dense) became nan (matmul_grad_weight)`.
    public var what: String {
        let valueText = value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf")
        switch tensor {
        case .inputData, .targetData:
            return "the \(tensor.rawValue) holds \(valueText) (the dataset has non-finite values)"
        case .loss:
            return "the loss became \(valueText)"
        case .parameter:
            return "parameter \(detail) became \(valueText)"
        case .activation, .gradient:
            let owner = layerDescription.map { "layer \($0)" } ?? "the model"
            return "the \(tensor.rawValue) of \(owner) became \(valueText) (\(detail))"
        }
    }

    public var description: String {
        if wholeEpochSkipped {
            return "training '\(model)' stopped: every step of epoch \(epoch) was skipped; at step \(step) \(what)"
        }
        return "training '\(model)' stopped at epoch \(epoch), step \(step): \(what)"
    }

    /// What to try, depending on where the fault is.
    public var advice: String {
        switch tensor {
        case .inputData, .targetData: return "check the dataset for NaN or infinite values"
        case .parameter: return "try a smaller learning rate, or clip_norm: 1.0"
        case _ where wholeEpochSkipped: return "try a smaller learning rate, or clip_norm: 1.0"
        default: return "try a smaller learning rate, clip_norm: 1.0, or on_nan: skip to skip such steps"
        }
    }
}

/// Finds the first non-finite tensor of one training step.
enum FaultLocator {
    /// Re-runs the step whose inputs are in `executor` (after it ran, so its input and target
    /// buffers still hold the batch) from the dropout generator state `generator` it started with,
    /// on the reference kernels with unshared buffers, and returns the first node, in graph order,
    /// whose output holds a non-finite value. Costs one unfused forward and backward pass.
    static func locate(_ executor: Executor, rows: Int, generator: SeededGenerator) -> (node: Node, value: Float)? {
        let graph = executor.graph
        let replay = Executor(graph: graph, batchCapacity: rows, parameters: executor.parameters,
                              useReference: true, shareMemory: false)
        replay.randomGenerator = generator
        replay.lossScale = executor.lossScale
        for node in [graph.input] + (graph.target.map { [$0] } ?? []) {
            replay.buffer(node).update(from: executor.buffer(node), count: graph[node].outputElements(batch: rows))
        }
        replay.run(rows: rows)
        for node in graph.nodes where node.op != .reshape {
            let count = node.outputElements(batch: rows)
            if let index = Kernels.firstNonFinite(replay.buffer(node.id), count: count) {
                return (node, replay.buffer(node.id)[index])
            }
        }
        return nil
    }

    /// The fault for a non-finite loss or gradient found by the cheap checks: located by a replay
    /// when possible, otherwise described from what the checks saw.
    static func fault(model: LoweredModel, executor: Executor, rows: Int, generator: SeededGenerator,
                      epoch: Int, step: Int, fallback: (tensor: NumericalFault.Tensor, parameter: Int?, value: Float))
        -> NumericalFault {
        let graph = executor.graph
        if let (node, value) = locate(executor, rows: rows, generator: generator) {
            let tensor: NumericalFault.Tensor
            var detail = node.op.name
            var layer = node.layer
            switch node.op {
            case .input: tensor = .inputData
            case .target: tensor = .targetData
            case .parameter(let index):
                tensor = .parameter
                detail = "'\(graph.parameters[index].name)'"
                layer = graph.parameters[index].layer
            case .loss:
                tensor = .loss
                layer = nil
            default:
                tensor = node.op.isBackward ? .gradient : .activation
                if let index = graph.parameterGradients.firstIndex(of: node.id) {
                    detail += ", the gradient of \(graph.parameters[index].name)"
                }
            }
            return NumericalFault(model: model.name, epoch: epoch, step: step, tensor: tensor, value: value,
                                  layer: layer, layerDescription: layer.map { describe(model.layers[$0]) },
                                  detail: detail)
        }
        return unlocated(model: model, graph: graph, epoch: epoch, step: step, found: fallback)
    }

    /// The fault as the cheap checks saw it, without a replay.
    static func unlocated(model: LoweredModel, graph: Graph, epoch: Int, step: Int,
                          found: (tensor: NumericalFault.Tensor, parameter: Int?, value: Float)) -> NumericalFault {
        let layer = found.parameter.map { graph.parameters[$0].layer }
        return NumericalFault(model: model.name, epoch: epoch, step: step, tensor: found.tensor, value: found.value,
                              layer: layer, layerDescription: layer.map { describe(model.layers[$0]) },
                              detail: found.parameter.map { "the gradient of \(graph.parameters[$0].name)" } ?? "loss")
    }

    /// A parameter that became non-finite in the optimizer's update (its gradient was finite).
    static func parameterFault(model: LoweredModel, parameters: ParameterStore, index: Int, epoch: Int, step: Int)
        -> NumericalFault {
        let info = parameters.infos[index]
        let buffer = parameters.pointer(index)
        let value = Kernels.firstNonFinite(buffer, count: info.count).map { buffer[$0] } ?? .nan
        return NumericalFault(model: model.name, epoch: epoch, step: step, tensor: .parameter, value: value,
                              layer: info.layer, layerDescription: describe(model.layers[info.layer]),
                              detail: "'\(info.name)'")
    }

    static func describe(_ layer: LoweredLayer) -> String { "'\(layer.name)' (\(layer.kind))" }
}
