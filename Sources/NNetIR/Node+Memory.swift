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
        case .recurrent: return recurrentLayout(batch: batch, in: graph).stateElements
        case .recurrentGradient(let cell, _): return cell.hasRecurrentBias ? outputElements(batch: batch) : 0  // dR
        case .maxPool2d: return outputElements(batch: batch)  // argmax positions
        case .batchNorm: return 2 * (shape.last ?? 1)  // mean, invStd
        case .layerNorm: return outputElements(batch: batch) / max(shape.last ?? 1, 1)  // invStd per row
        default: return 0
        }
    }

    /// Scratch floats needed while the node runs (losses fused with softmax keep probabilities).
    public func workspaceElements(batch: Int, in graph: Graph) -> Int {
        switch op {
        case .loss, .lossGradient: return graph[inputs[0]].outputElements(batch: batch)
        case .recurrent: return recurrentLayout(batch: batch, in: graph).forwardWorkspaceElements
        case .recurrentGradient: return recurrentLayout(batch: batch, in: graph).backwardWorkspaceElements
        case .conv2d(let g), .conv2dTranspose(let g), .conv2dInputGradient(let g), .conv2dWeightGradient(let g),
             .conv2dTransposeInputGradient(let g), .conv2dTransposeWeightGradient(let g):
            return g.columnElements(batch: batch)  // im2col matrix
        case .batchNormGradient: return 2 * (shape.last ?? 1)  // per-channel sums
        default: return 0
        }
    }
}
