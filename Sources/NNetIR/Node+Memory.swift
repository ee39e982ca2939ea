// How much memory a node needs besides its output: state saved for the backward pass (stored
// right after the output in the node's buffer) and scratch space used only while the node runs
// (shared by all nodes). The planner sizes buffers from these; kernels rely on them. Stage: IR.

extension Node {
    /// Floats of output for a batch of `batch` rows.
    public func outputElements(batch: Int) -> Int {
        isBatched ? batch * elementsPerSample : max(1, elementsPerSample)
    }

    /// Floats saved after the output for the backward pass (dropout's mask).
    public func stateElements(batch: Int, in graph: Graph) -> Int {
        switch op {
        case .dropout: return outputElements(batch: batch)
        default: return 0
        }
    }

    /// Scratch floats needed while the node runs (losses fused with softmax keep probabilities).
    public func workspaceElements(batch: Int, in graph: Graph) -> Int {
        switch op {
        case .loss, .lossGradient: return graph[inputs[0]].outputElements(batch: batch)
        default: return 0
        }
    }
}
