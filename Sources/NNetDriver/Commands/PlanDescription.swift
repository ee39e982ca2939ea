// `nnet check --plan`: what one training step executes: the fused steps in order with the
// kernel each runs, the arena size with and without buffer reuse, and FLOPs. Stage: driver.

import NNetIR
import NNetKernels
import NNetPlanner

enum PlanDescription {
    static func render(_ graph: Graph, model: LoweredModel, batch: Int = 32) -> String {
        let plan = Planner.plan(graph, batchCapacity: batch)
        var lines = ["plan: training step of \(model.name), batch \(batch), \(plan.steps.count) steps for \(graph.nodes.count) IR nodes"]
        var total = 0
        for (index, step) in plan.steps.enumerated() {
            let (kernel, nodes, flops) = describe(step, graph, batch)
            total += flops
            let cost = flops > 0 ? "  \(ModelSummary.grouped(flops)) FLOPs" : ""
            lines.append("  \(String(index).leftPadded(3)). \(kernel.padding(44)) \(nodes)\(cost)")
        }
        lines.append("  arena: \(kibibytes(plan.arenaSize)) (\(kibibytes(plan.unsharedSize)) without buffer reuse); "
                     + "parameters: \(kibibytes(model.parameterCount))")
        lines.append("  \(ModelSummary.grouped(total)) FLOPs per step (GEMMs)")
        return lines.joined(separator: "\n") + "\n"
    }

    static func kibibytes(_ floats: Int) -> String { ModelSummary.formatBytes(Double(floats * 4)) }

    static func describe(_ step: Step, _ graph: Graph, _ batch: Int) -> (String, String, Int) {
        func rows(_ node: Node) -> Int { batch * elementCount(Array(node.shape.dropLast())) }
        switch step {
        case .single(let id):
            let node = graph[id]
            var flops = 0
            if node.op == .matmulWeightGradient {
                let x = graph[node.inputs[0]]
                flops = 2 * rows(x) * node.shape[0] * node.shape[1]
            } else if node.op == .matmulInputGradient || node.op == .matmul {
                let w = graph[node.inputs[1]]
                flops = 2 * rows(node) * w.shape[0] * w.shape[1]
            } else {
                flops = node.op.convolutionFlops(batch: batch)
            }
            flops += node.recurrentFlops(batch: batch, in: graph)
            return (node.op.name, "%\(id)", flops)
        case .dense(let matmul, let bias, let activation, let output):
            let w = graph[graph[matmul].inputs[1]]
            let epilogue = (bias != nil ? " + bias" : "") + (activation == .linear ? "" : " + \(activation)")
            // rows × (in × out) for a dense layer, output pixels × (kh·kw·cin × cout) for a conv2d.
            let kernel: String
            switch graph[matmul].op {
            case .matmul: kernel = "gemm"
            case .conv2d(let g) where Kernels.convolvesDirectly(g): kernel = "conv2d (direct, 1 channel)"
            default: kernel = "\(graph[matmul].op.kindName) (im2col gemm)"
            }
            return ("\(kernel)\(epilogue)", "%\(matmul)…%\(output)", 2 * rows(graph[matmul]) * elementCount(w.shape))
        case .denseInputGradient(let matmulGradient, let activationGradient):
            let w = graph[graph[matmulGradient].inputs[1]]
            guard case .activationGradient(let kind) = graph[activationGradient].op else { return ("", "", 0) }
            return ("gemm(dY·Wᵀ) ⊙ \(kind)'", "%\(matmulGradient)…%\(activationGradient)",
                    2 * rows(graph[matmulGradient]) * w.shape[0] * w.shape[1])
        case .lossAndGradient(let loss, let gradient, let probabilities):
            let output = probabilities.map { " and %\($0)" } ?? ""
            return ("\(graph[loss].op.name) with gradient", "%\(loss), %\(gradient)\(output)", 0)
        case .poolInputGradient(let poolGradient, let activationGradient):
            guard case .activationGradient(let kind) = graph[activationGradient].op else { return ("", "", 0) }
            return ("\(graph[poolGradient].op.name) ⊙ \(kind)'", "%\(poolGradient)…%\(activationGradient)", 0)
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
