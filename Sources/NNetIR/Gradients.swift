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
            case .loss, .lossGradient, .matmulInputGradient, .matmulWeightGradient, .biasGradient,
                 .activationGradient, .softmaxGradient, .dropoutGradient, .add:
                preconditionFailure("gradient requested through backward op \(node.op.name)")
            }
        }
        graph.parameterGradients = parameterGradients
    }
}
