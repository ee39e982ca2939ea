// Liveness-based buffer reuse: each buffer lives from the step that writes it to the last step
// that reads it (roots to the end of the run); a best-fit allocator places buffers whose
// lifetimes do not overlap at the same arena offsets. Stage: planner.

import NNetIR

enum MemoryPlan {
    struct Buffer {
        let node: NodeID
        let size: Int
        var first: Int
        var last: Int
    }

    /// Arena offsets per node and the arena size (in floats).
    static func assign(_ graph: Graph, steps: [Step], roots: Set<NodeID>, batchCapacity: Int,
                       share: Bool, savedColumns: SavedColumns = .none) -> (offsets: [Int?], size: Int, unshared: Int, lifetimes: [BufferLifetime]) {
        // Which node owns the memory a node's value lives in (views share their input's).
        var owner = Array(graph.nodes.indices)
        for node in graph.nodes where node.op == .reshape { owner[node.id] = owner[node.inputs[0]] }

        var buffers: [NodeID: Buffer] = [:]
        let end = steps.count
        // Inputs and targets are written before the run.
        for node in graph.nodes where node.op == .input || node.op == .target {
            buffers[node.id] = Buffer(node: node.id, size: node.outputElements(batch: batchCapacity), first: -1, last: end)
        }
        for (index, step) in steps.enumerated() {
            for written in writtenNodes(step) where buffers[written] == nil {
                let node = graph[written]
                let size = node.outputElements(batch: batchCapacity) + node.stateElements(batch: batchCapacity, in: graph)
                    + (savedColumns.sizes[written] ?? 0)
                buffers[written] = Buffer(node: written, size: size, first: index, last: index)
            }
            var reads = readNodes(step, graph)
            // A weight gradient reading kept columns keeps their owner's buffer alive.
            if case .single(let node) = step, let owner = savedColumns.owners[node] { reads.append(owner) }
            for read in reads {
                let source = owner[read]
                if buffers[source] != nil { buffers[source]!.last = max(buffers[source]!.last, index) }
            }
        }
        for root in roots where buffers[owner[root]] != nil { buffers[owner[root]]!.last = end }

        var offsets = [Int?](repeating: nil, count: graph.nodes.count)
        let ordered = buffers.values.sorted { ($0.first, $0.node) < ($1.first, $1.node) }
        let unshared = ordered.reduce(0) { $0 + aligned($1.size) }
        var arena = 0
        if share {
            var free: [(offset: Int, size: Int)] = []
            var active: [Buffer] = []
            for buffer in ordered {
                // Release buffers whose last reader ran before this one is written.
                active.removeAll { done in
                    guard done.last < buffer.first else { return false }
                    free.append((offsets[done.node]!, aligned(done.size)))
                    return true
                }
                free = coalesce(free)
                let need = aligned(buffer.size)
                if let slot = free.indices.filter({ free[$0].size >= need }).min(by: { free[$0].size < free[$1].size }) {
                    offsets[buffer.node] = free[slot].offset
                    if free[slot].size > need { free[slot] = (free[slot].offset + need, free[slot].size - need) } else { free.remove(at: slot) }
                } else {
                    offsets[buffer.node] = arena
                    arena += need
                }
                active.append(buffer)
            }
        } else {
            for buffer in ordered {
                offsets[buffer.node] = arena
                arena += aligned(buffer.size)
            }
        }
        for node in graph.nodes where owner[node.id] != node.id { offsets[node.id] = nil }
        let lifetimes = ordered.map { BufferLifetime(node: $0.node, size: aligned($0.size), first: $0.first, last: $0.last) }
        return (offsets, arena, unshared, lifetimes)
    }

    static func aligned(_ n: Int) -> Int { (max(n, 1) + 15) & ~15 }

    static func writtenNodes(_ step: Step) -> [NodeID] {
        switch step {
        case .single(let node): return [node]
        case .dense(_, _, _, let output): return [output]
        case .denseInputGradient(_, let node): return [node]
        case .lossAndGradient(let loss, let gradient, let probabilities): return [loss, gradient] + (probabilities.map { [$0] } ?? [])
        case .poolInputGradient(_, let node): return [node]
        }
    }

    /// Nodes whose values a step reads.
    static func readNodes(_ step: Step, _ graph: Graph) -> [NodeID] {
        switch step {
        case .single(let node):
            return graph[node].inputs
        case .dense(let matmul, let bias, _, _):
            return graph[matmul].inputs + (bias.map { [$0] } ?? [])
        case .denseInputGradient(let matmulGradient, let activationGradient):
            return graph[matmulGradient].inputs + [graph[activationGradient].inputs[0]]
        case .lossAndGradient(let loss, _, _):
            return graph[loss].inputs
        case .poolInputGradient(let poolGradient, let activationGradient):
            return graph[poolGradient].inputs + [graph[activationGradient].inputs[0]]
        }
    }

    static func coalesce(_ free: [(offset: Int, size: Int)]) -> [(offset: Int, size: Int)] {
        var merged: [(offset: Int, size: Int)] = []
        for block in free.sorted(by: { $0.offset < $1.offset }) {
            if let last = merged.last, last.offset + last.size == block.offset {
                merged[merged.count - 1].size += block.size
            } else {
                merged.append(block)
            }
        }
        return merged
    }
}
