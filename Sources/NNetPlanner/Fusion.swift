// Fusion: groups IR nodes into steps. Dense layers become GEMM + bias + activation epilogues,
// a dense layer's or max pool's input gradient absorbs the activation gradient before it, a loss
// and its gradient share one kernel call; nodes nothing needs are dropped. Stage: planner.

import NNetIR
import NNetKernels

enum Fusion {
    /// Steps in execution order. `roots` are the nodes whose values are read after a run.
    static func steps(for graph: Graph, roots: Set<NodeID>, fuse: Bool) -> [Step] {
        let consumers = consumerCounts(graph)
        let needed = neededNodes(graph, roots: roots)
        var absorbed = Set<NodeID>()
        var steps: [Step] = []
        for node in graph.nodes where needed.contains(node.id) && !absorbed.contains(node.id) {
            switch node.op {
            case .input, .target, .parameter, .reshape:
                continue
            case .matmul where fuse, .conv2d where fuse:
                var output = node.id
                var bias: NodeID?
                var activation = ActivationKind.linear
                if let next = soleConsumer(of: output, graph, consumers, needed), graph[next].op == .biasAdd,
                   graph[next].inputs[0] == output {
                    bias = graph[next].inputs[1]
                    output = next
                    absorbed.insert(next)
                }
                if let next = soleConsumer(of: output, graph, consumers, needed),
                   case .activation(let kind) = graph[next].op {
                    activation = kind
                    output = next
                    absorbed.insert(next)
                }
                steps.append(.dense(matmul: node.id, bias: bias, activation: activation, output: output))
            case .matmulInputGradient where fuse:
                if let next = soleConsumer(of: node.id, graph, consumers, needed),
                   case .activationGradient = graph[next].op, graph[next].inputs[1] == node.id {
                    absorbed.insert(next)
                    steps.append(.denseInputGradient(matmulGradient: node.id, activationGradient: next))
                } else {
                    steps.append(.single(node.id))
                }
            case .maxPool2dGradient where fuse:
                // The pool's input is an activation's output y and that activation's gradient is
                // the only reader of dX: apply f'(y) while scattering.
                let pool = graph[node.inputs[0]]
                if let next = soleConsumer(of: node.id, graph, consumers, needed),
                   case .activationGradient = graph[next].op, graph[next].inputs[1] == node.id,
                   graph[next].inputs[0] == pool.inputs[0] {
                    absorbed.insert(next)
                    steps.append(.poolInputGradient(poolGradient: node.id, activationGradient: next))
                } else {
                    steps.append(.single(node.id))
                }
            case .loss(let kind, let fromLogits) where fuse:
                if let gradient = graph.nodes.first(where: {
                    $0.op == .lossGradient(kind, fromLogits: fromLogits) && $0.inputs == node.inputs
                }), needed.contains(gradient.id) {
                    absorbed.insert(gradient.id)
                    var probabilities = outputActivation(of: node, graph, consumers: consumers, roots: roots)
                    if let output = probabilities, let index = steps.firstIndex(of: .single(output)) {
                        steps.remove(at: index)
                    } else {
                        probabilities = nil
                    }
                    steps.append(.lossAndGradient(loss: node.id, gradient: gradient.id, probabilities: probabilities))
                } else {
                    steps.append(.single(node.id))
                }
            default:
                steps.append(.single(node.id))
            }
        }
        return steps
    }

    /// The softmax or sigmoid of a cross-entropy's logits that only a caller reads (the model's
    /// output, for metrics), directly or through reshapes (views of its buffer, like a decoder's
    /// `reshape [28, 28, 1]`): the loss kernel computes the same probabilities, so it writes them.
    /// (W6's decoder computed its 128x784 sigmoid a second time, on one thread: 1% of the epoch.)
    static func outputActivation(of loss: Node, _ graph: Graph, consumers: [Int], roots: Set<NodeID>) -> NodeID? {
        guard case .loss(let kind, fromLogits: true) = loss.op else { return nil }
        let wanted: Op
        switch kind {
        case .sparseCategoricalCrossEntropy, .categoricalCrossEntropy: wanted = .softmax
        case .binaryCrossEntropy: wanted = .activation(.sigmoid)
        case .meanSquaredError: return nil
        }
        let logits = loss.inputs[0]
        return graph.nodes.first { node in
            node.op == wanted && node.inputs == [logits] && onlyReadByCaller(node.id, graph, consumers: consumers, roots: roots)
        }?.id
    }

    /// Whether nothing in the graph reads `id` except reshapes that only the caller reads.
    static func onlyReadByCaller(_ id: NodeID, _ graph: Graph, consumers: [Int], roots: Set<NodeID>) -> Bool {
        if consumers[id] == 0 { return roots.contains(id) }
        let readers = graph.nodes[(id + 1)...].filter { $0.inputs.contains(id) }
        return readers.allSatisfy { $0.op == .reshape && onlyReadByCaller($0.id, graph, consumers: consumers, roots: roots) }
    }

    /// How many nodes read each node (views count as reading their input).
    static func consumerCounts(_ graph: Graph) -> [Int] {
        var counts = [Int](repeating: 0, count: graph.nodes.count)
        for node in graph.nodes { for input in node.inputs { counts[input] += 1 } }
        return counts
    }

    static func soleConsumer(of id: NodeID, _ graph: Graph, _ counts: [Int], _ needed: Set<NodeID>) -> NodeID? {
        guard counts[id] == 1 else { return nil }
        return graph.nodes[(id + 1)...].first { $0.inputs.contains(id) && needed.contains($0.id) }?.id
    }

    /// The roots and everything they depend on.
    static func neededNodes(_ graph: Graph, roots: Set<NodeID>) -> Set<NodeID> {
        var needed = roots
        for node in graph.nodes.reversed() where needed.contains(node.id) {
            needed.formUnion(node.inputs)
        }
        return needed
    }
}
