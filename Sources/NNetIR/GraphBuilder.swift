// Builds forward graphs (inference or training mode) and training graphs (forward + loss +
// gradients) from a lowered model. Stage: IR.

import NNetSyntax

public enum GraphBuilder {
    /// The forward graph. In training mode dropout is active.
    public static func forward(_ model: LoweredModel, training: Bool) -> Graph {
        var graph = Graph(parameters: model.parameters)
        graph.input = graph.add(.input, [], shape: model.inputShape, layer: nil)
        let parameterNodes = model.parameters.indices.map { index in
            graph.add(.parameter(index: index), [], shape: model.parameters[index].shape, batched: false,
                      layer: model.parameters[index].layer)
        }
        var x = graph.input
        var outputs: [NodeID] = []  // each layer's output node, for layers that read earlier ones
        for (index, layer) in model.layers.enumerated() {
            let parameters = layer.parameterIndices.map { parameterNodes[$0] }
            if let emitFromLayers = layer.config.emitFromLayers {
                let inputs = layer.config.inputLayers.map { $0 < 0 ? graph.input : outputs[$0] }
                x = emitFromLayers(&graph, inputs, parameters, training, index)
            } else {
                x = layer.config.emit(&graph, x, parameters, training, index)
            }
            outputs.append(x)
        }
        graph.output = x
        return graph
    }

    /// Forward pass, loss against `targetShape`, and the gradient of every parameter.
    /// With `inputGradient`, also the gradient with respect to the input batch.
    public static func training(_ model: LoweredModel, loss: LossKind, targetShape: [Int],
                                inputGradient: Bool = false) -> Graph {
        var graph = forward(model, training: true)
        let prediction = appendLoss(loss, targetShape: targetShape, to: &graph)
        let seed = graph.add(.lossGradient(loss, fromLogits: graph.lossFromLogits), [prediction, graph.target!],
                             shape: graph[prediction].shape, layer: graph[graph.output].layer)
        Gradients.appendBackward(to: &graph, from: prediction, gradient: seed, inputGradient: inputGradient)
        return graph
    }

    /// Forward pass and the parameter gradients given the gradient of some loss with respect to
    /// the output, which is fed through the `target` node (a GAN's generator: the gradient comes
    /// from the discriminator).
    public static func backpropagation(_ model: LoweredModel) -> Graph {
        var graph = forward(model, training: true)
        graph.target = graph.add(.target, [], shape: model.outputShape, layer: nil)
        Gradients.appendBackward(to: &graph, from: graph.output, gradient: graph.target!)
        return graph
    }

    /// Forward pass and the gradients of the sum of the logits (the output before a final
    /// sigmoid; the output itself when the model has none) with respect to the parameters and
    /// the input. The gradient seed, one value per output, is fed through the `target` node. A
    /// GAN's R1 penalty runs this graph three times a step (R1Penalty.swift).
    public static func logitGradients(_ model: LoweredModel) -> Graph {
        var graph = forward(model, training: true)
        let last = graph.skippingViews(graph.output)
        let logit = graph[last].op == .activation(.sigmoid) ? graph[last].inputs[0] : graph.output
        graph.target = graph.add(.target, [], shape: graph[logit].shape, layer: nil)
        Gradients.appendBackward(to: &graph, from: logit, gradient: graph.target!, inputGradient: true)
        return graph
    }

    /// Inference-mode forward pass plus the loss, for evaluation.
    public static func evaluation(_ model: LoweredModel, loss: LossKind, targetShape: [Int]) -> Graph {
        var graph = forward(model, training: false)
        appendLoss(loss, targetShape: targetShape, to: &graph)
        return graph
    }

    /// Adds the target and loss nodes; returns the node the loss reads.
    /// Cross-entropy losses work on logits, the way PyTorch's do: a final softmax (categorical
    /// losses) or sigmoid (binary) is fused into the loss, which then reads its input, giving exact
    /// gradients and no log(0). A model without that final activation is taken to output logits.
    @discardableResult
    static func appendLoss(_ loss: LossKind, targetShape: [Int], to graph: inout Graph) -> NodeID {
        graph.target = graph.add(.target, [], shape: targetShape, layer: nil)
        var prediction = graph.output
        var fromLogits = false
        // A reshape after the final activation (e.g. back to [28, 28, 1]) does not hide it.
        let last = graph.skippingViews(graph.output)
        switch (loss, graph[last].op) {
        case (.meanSquaredError, _):
            break
        case (.categoricalCrossEntropy, .softmax), (.sparseCategoricalCrossEntropy, .softmax),
             (.binaryCrossEntropy, .activation(.sigmoid)):
            prediction = graph[last].inputs[0]
            fromLogits = true
        case (.binaryCrossEntropy, .softmax), (.categoricalCrossEntropy, .activation(.sigmoid)):
            break
        default:
            fromLogits = true
        }
        graph.lossFromLogits = fromLogits
        graph.loss = graph.add(.loss(loss, fromLogits: fromLogits), [prediction, graph.target!], shape: [],
                               batched: false, layer: graph[graph.output].layer)
        return prediction
    }
}
