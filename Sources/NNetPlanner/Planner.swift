// The planner's entry point: fusion, then the memory plan. Stage: planner.

import NNetIR

public enum Planner {
    /// Plans `graph` for batches of up to `batchCapacity` rows. `keep` lists nodes read after a
    /// run besides the loss, the output and the parameter gradients. Without `fuse` every node
    /// is its own step (the reference plan).
    /// Without `parameterGradients` only the loss, the output and `keep` are computed (a
    /// discriminator that passes gradients to a generator but is not updated itself).
    public static func plan(_ graph: Graph, batchCapacity: Int, fuse: Bool = true, shareMemory: Bool = true,
                            keep: [NodeID] = [], parameterGradients: Bool = true) -> Plan {
        let gradients = parameterGradients ? graph.parameterGradients.filter { $0 >= 0 } : []
        var roots = Set(keep + gradients + [graph.output])
        if let loss = graph.loss { roots.insert(loss) }
        let steps = Fusion.steps(for: graph, roots: roots, fuse: fuse)
        let columns = SavedColumns.find(graph, steps: steps, batchCapacity: batchCapacity, fused: fuse)
        let memory = MemoryPlan.assign(graph, steps: steps, roots: roots, batchCapacity: batchCapacity, share: shareMemory,
                                       savedColumns: columns)
        let firstBackward = steps.firstIndex { step in
            if case .lossAndGradient = step { return true }
            return graph[step.output].op.isBackward
        } ?? steps.count
        return Plan(graph: graph, steps: steps, offsets: memory.offsets, arenaSize: memory.size,
                    unsharedSize: memory.unshared, batchCapacity: batchCapacity,
                    lifetimes: memory.lifetimes, firstBackwardStep: firstBackward, fused: fuse, savedColumns: columns)
    }
}
