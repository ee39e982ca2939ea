// Reverse-mode autodiff over the IR: appends backward nodes to a graph. One rule per op.
// Stage: IR. The backward nodes are ordinary IR, so the planner sees forward and backward together.

public enum Gradients {
    /// Appends the gradient of every node that `root` depends on, given root's gradient node
    /// (and of the input, with `inputGradient`),
    /// and records the gradient node of each parameter (zero-free: parameters that do not
    /// influence the root get none, which the graph verifier reports).
    static func appendBackward(to graph: inout Graph, from root: NodeID, gradient seed: NodeID,
                               inputGradient: Bool = false) {
        var gradient: [NodeID: NodeID] = [root: seed]
        var parameterGradients = [NodeID](repeating: -1, count: graph.parameters.count)

        func accumulate(_ node: NodeID, _ contribution: NodeID, _ graph: inout Graph) {
            if let existing = gradient[node] {
                gradient[node] = graph.add(.add, [existing, contribution], shape: graph[node].shape,
                                           batched: graph[node].isBatched, layer: graph[node].layer)
            } else {
                gradient[node] = contribution
            }
        }

        for id in stride(from: root, through: 0, by: -1) {
            guard let dy = gradient[id] else { continue }
            let node = graph[id]
            let layer = node.layer
            switch node.op {
            case .input:
                graph.inputGradient = dy
            case .target:
                break
            case .parameter(let index):
                parameterGradients[index] = dy
            case .matmul:
                let (x, w) = (node.inputs[0], node.inputs[1])
                let dx = graph.add(.matmulInputGradient, [dy, w], shape: graph[x].shape, layer: layer)
                let dw = graph.add(.matmulWeightGradient, [x, dy], shape: graph[w].shape, batched: false, layer: layer)
                if graph[x].op != .input || inputGradient { accumulate(x, dx, &graph) }
                accumulate(w, dw, &graph)
            case .biasAdd:
                let (x, b) = (node.inputs[0], node.inputs[1])
                accumulate(x, dy, &graph)
                accumulate(b, graph.add(.biasGradient, [dy], shape: graph[b].shape, batched: false, layer: layer), &graph)
            case .activation(let kind):
                accumulate(node.inputs[0], graph.add(.activationGradient(kind), [id, dy], shape: node.shape, layer: layer), &graph)
            case .softmax:
                accumulate(node.inputs[0], graph.add(.softmaxGradient, [id, dy], shape: node.shape, layer: layer), &graph)
            case .reshape:
                accumulate(node.inputs[0], graph.add(.reshape, [dy], shape: graph[node.inputs[0]].shape, layer: layer), &graph)
            case .dropout(let rate):
                accumulate(node.inputs[0], graph.add(.dropoutGradient(rate: rate), [id, dy], shape: node.shape, layer: layer), &graph)
            case .recurrent(let cell, let sequences):
                // BPTT gives dP; the projection's matmul and bias rules turn it into dx, dW and db.
                let (p, u) = (node.inputs[0], node.inputs[1])
                let dp = graph.add(.recurrentGradient(cell, returnSequences: sequences), [id, u, dy], shape: graph[p].shape, layer: layer)
                accumulate(p, dp, &graph)
                accumulate(u, graph.add(.recurrentWeightGradient(cell), [id, dp], shape: graph[u].shape, batched: false, layer: layer), &graph)
                if node.inputs.count > 2 {
                    let b = node.inputs[2]
                    accumulate(b, graph.add(.recurrentBiasGradient(cell), [dp], shape: graph[b].shape, batched: false, layer: layer), &graph)
                }
            case .embedding:
                let (ids, table) = (node.inputs[0], node.inputs[1])
                accumulate(table, graph.add(.embeddingGradient, [ids, dy], shape: graph[table].shape, batched: false, layer: layer), &graph)
            case .conv2d(let g):
                let (x, w) = (node.inputs[0], node.inputs[1])
                if graph[x].op != .input || inputGradient {
                    accumulate(x, graph.add(.conv2dInputGradient(g), [dy, w], shape: graph[x].shape, layer: layer), &graph)
                }
                accumulate(w, graph.add(.conv2dWeightGradient(g), [x, dy], shape: graph[w].shape, batched: false, layer: layer), &graph)
            case .conv2dTranspose(let g):
                let (x, w) = (node.inputs[0], node.inputs[1])
                if graph[x].op != .input || inputGradient {
                    accumulate(x, graph.add(.conv2dTransposeInputGradient(g), [dy, w], shape: graph[x].shape, layer: layer), &graph)
                }
                accumulate(w, graph.add(.conv2dTransposeWeightGradient(g), [x, dy], shape: graph[w].shape, batched: false,
                                        layer: layer), &graph)
            case .maxPool2d(let g):
                accumulate(node.inputs[0], graph.add(.maxPool2dGradient(g), [id, dy], shape: graph[node.inputs[0]].shape, layer: layer), &graph)
            case .avgPool2d(let g):
                accumulate(node.inputs[0], graph.add(.avgPool2dGradient(g), [dy], shape: graph[node.inputs[0]].shape, layer: layer), &graph)
            case .upsampling2d(let a):
                accumulate(node.inputs[0], graph.add(.upsampling2dGradient(a), [dy], shape: graph[node.inputs[0]].shape, layer: layer), &graph)
            case .batchNorm(let a):
                // The running statistics (inputs 1 and 2) are not trained: they get no gradient.
                accumulate(node.inputs[0], graph.add(.batchNormGradient(a), [id, dy], shape: node.shape, layer: layer), &graph)
            case .layerNorm:
                accumulate(node.inputs[0], graph.add(.layerNormGradient, [id, dy], shape: node.shape, layer: layer), &graph)
            case .channelScale:
                let (x, gamma) = (node.inputs[0], node.inputs[1])
                accumulate(x, graph.add(.channelScaleInputGradient, [dy, gamma], shape: node.shape, layer: layer), &graph)
                accumulate(gamma, graph.add(.channelScaleGradient, [x, dy], shape: graph[gamma].shape, batched: false, layer: layer), &graph)
            case .sum:
                for x in node.inputs { accumulate(x, dy, &graph) }
            case .concat(let axis):
                var offset = 0
                for x in node.inputs {
                    accumulate(x, graph.add(.concatGradient(axis: axis, offset: offset), [dy], shape: graph[x].shape, layer: layer), &graph)
                    offset += graph[x].shape[axis]
                }
            case .loss, .lossGradient, .matmulInputGradient, .matmulWeightGradient, .biasGradient,
                 .activationGradient, .softmaxGradient, .dropoutGradient, .add,
                 .recurrentGradient, .recurrentWeightGradient, .recurrentBiasGradient, .embeddingGradient,
                 .conv2dInputGradient, .conv2dWeightGradient, .conv2dTransposeInputGradient, .conv2dTransposeWeightGradient,
                 .maxPool2dGradient, .avgPool2dGradient, .upsampling2dGradient, .batchNormGradient, .layerNormGradient,
                 .channelScaleInputGradient, .channelScaleGradient, .concatGradient:
                preconditionFailure("gradient requested through backward op \(node.op.name)")
            }
        }
        graph.parameterGradients = parameterGradients
    }
}
