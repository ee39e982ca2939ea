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
    public var detail: String
    /// Set when on_nan: skip skipped every step of the epoch, so training could not go on.
    public var wholeEpochSkipped = false
    /// In a pairing (gan, vae, autoencoder): its name, and the model's role in it
    /// (`discriminator`), so the message names both.
    public var pairing: (name: String, role: String)?

    /// `model` named with its role in a pairing: ` in discriminator 'd'`, or nothing.
    private var inModel: String { pairing.map { " in \($0.role) '\(model)'" } ?? "" }

    /// `the gradient of layer 'h1' (dense) became nan (matmul_grad_weight)`.
    public var what: String {
        let valueText = value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf")
        switch tensor {
        case .inputData, .targetData:
            return "the \(tensor.rawValue) holds \(valueText) (the dataset has non-finite values)"
        case .loss:
            return "the loss\(pairing.map { " of \($0.role) '\(model)'" } ?? "") became \(valueText)"
        case .parameter:
            return "parameter \(detail)\(inModel) became \(valueText)"
        case .activation, .gradient:
            let owner = layerDescription.map { "layer \($0)" } ?? "the model"
            return "the \(tensor.rawValue) of \(owner)\(inModel) became \(valueText) (\(detail))"
        }
    }

    public var description: String {
        let trained = pairing?.name ?? model
        if wholeEpochSkipped {
            return "training '\(trained)' stopped: every step of epoch \(epoch) was skipped; at step \(step) \(what)"
        }
        return "training '\(trained)' stopped at epoch \(epoch), step \(step): \(what)"
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

extension NumericalFault {
    /// `on_nan: skip` in a pairing's loop: reports this fault as a skipped step and counts it;
    /// once every one of the epoch's `steps` was skipped, throws it (training cannot go on).
    func skip(counting skipped: inout Int, of steps: Int, report: (TrainingEvent) -> Void) throws {
        report(.stepSkipped(self))
        skipped += 1
        guard skipped < steps else {
            var whole = self
            whole.wholeEpochSkipped = true
            throw whole
        }
    }
}

// MARK: - Checks for loops built from several executors (GAN, VAE)

extension FaultLocator {
    /// The first trainable parameter whose gradient holds NaN or infinity, with that value.
    static func firstNonFiniteGradient(_ gradients: [UnsafePointer<Float>?], graph: Graph) -> (index: Int, value: Float)? {
        for (index, gradient) in gradients.enumerated() {
            guard let gradient, graph.parameters[index].isTrainable else { continue }
            let count = graph.parameters[index].count
            if !Kernels.allFiniteInParallel(gradient, count: count) {
                return (index, Kernels.firstNonFinite(gradient, count: count).map { gradient[$0] } ?? .nan)
            }
        }
        return nil
    }

    /// After `executor` ran a step from dropout state `dropout`: its loss (when `checkLoss`) and
    /// its parameter gradients, located by a replay on a hit. Allocation-free when all is finite.
    static func checkStep(model: LoweredModel, executor: Executor, gradients: [UnsafePointer<Float>?], rows: Int,
                          dropout: SeededGenerator, epoch: Int, step: Int, checkLoss: Bool = true) -> NumericalFault? {
        var found: (tensor: NumericalFault.Tensor, parameter: Int?, value: Float)?
        if checkLoss, !executor.loss.isFinite {
            found = (.loss, nil, executor.loss)
        } else if let (index, value) = firstNonFiniteGradient(gradients, graph: executor.graph) {
            found = (.gradient, index, value)
        }
        guard let found else { return nil }
        return fault(model: model, executor: executor, rows: rows, generator: dropout, epoch: epoch, step: step, fallback: found)
    }

    /// After a forward pass: whether `node`'s rows (the model's output by default) are finite;
    /// located by a replay when not.
    static func checkOutput(model: LoweredModel, executor: Executor, rows: Int, dropout: SeededGenerator,
                            epoch: Int, step: Int, node: NodeID? = nil) -> NumericalFault? {
        let graph = executor.graph
        let checked = node ?? graph.output
        let buffer = executor.buffer(checked)
        let count = graph[checked].outputElements(batch: rows)
        guard !Kernels.allFiniteInParallel(buffer, count: count) else { return nil }
        let value = Kernels.firstNonFinite(buffer, count: count).map { buffer[$0] } ?? .nan
        let tensor: NumericalFault.Tensor = checked == graph.output ? .activation : .gradient
        return fault(model: model, executor: executor, rows: rows, generator: dropout, epoch: epoch, step: step,
                     fallback: (tensor, nil, value))
    }

    /// After an optimizer update: the first parameter that is no longer finite. `updateFinite`
    /// is what `Optimizer.apply` returned: when true, the parameters it updated (trainable, with a
    /// gradient in `gradients`) were checked as they were written and are not read again.
    static func checkParameters(model: LoweredModel, parameters: ParameterStore, updateFinite: Bool,
                                gradients: [UnsafePointer<Float>?], epoch: Int, step: Int) -> NumericalFault? {
        for index in parameters.infos.indices {
            let checkedByUpdate = updateFinite && gradients[index] != nil && parameters.infos[index].isTrainable
            if checkedByUpdate || Kernels.allFiniteInParallel(parameters.pointer(index), count: parameters.infos[index].count) {
                continue
            }
            return parameterFault(model: model, parameters: parameters, index: index, epoch: epoch, step: step)
        }
        return nil
    }
}
