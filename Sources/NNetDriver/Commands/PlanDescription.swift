// `nnet check --plan`: what one training step executes: kernels in order, buffer memory and
// FLOPs. Stage: driver.

import NNetIR

enum PlanDescription {
    static func render(_ graph: Graph, model: LoweredModel, batch: Int = 32) -> String {
        var lines = ["plan: training step of \(model.name) (batch \(batch))"]
        var bytes = 0
        var flops = 0
        for node in graph.nodes {
            let elements = node.isBatched ? batch * node.elementsPerSample : max(1, node.elementsPerSample)
            switch node.op {
            case .parameter, .reshape, .input, .target: continue
            default: bytes += elements * 4
            }
            let cost = nodeFlops(node, graph, batch)
            flops += cost
            lines.append("  \(node.op.name.padding(24)) -> %\(node.id)  \(elements) floats\(cost > 0 ? ", \(cost) FLOPs" : "")")
        }
        lines.append("  buffers: \(bytes / 1024) KiB; parameters: \(model.parameterCount * 4 / 1024) KiB; \(flops) FLOPs per step")
        return lines.joined(separator: "\n") + "\n"
    }

    static func nodeFlops(_ node: Node, _ graph: Graph, _ batch: Int) -> Int {
        let rows = batch * elementCount(Array(node.shape.dropLast()))
        switch node.op {
        case .matmul:
            let w = graph[node.inputs[1]]
            return 2 * rows * w.shape[0] * w.shape[1]
        case .matmulInputGradient:
            let w = graph[node.inputs[1]]
            return 2 * rows * w.shape[0] * w.shape[1]
        case .matmulWeightGradient:
            let x = graph[node.inputs[0]]
            return 2 * batch * elementCount(Array(x.shape.dropLast())) * node.shape[0] * node.shape[1]
        default:
            return 0
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
