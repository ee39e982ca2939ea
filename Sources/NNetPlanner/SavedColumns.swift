// The im2col matrices a training step keeps: a conv2d's forward pass builds its input's column
// matrix anyway, and its weight gradient (colsᵀ·dY) needs the same matrix, so the fast plan keeps
// it as saved state instead of gathering it twice. Stage: planner.

import NNetIR
import NNetKernels

/// Where each kept column matrix lives: after the output of the node that ends the convolution's
/// step (`owner`), in the same arena buffer, which stays live until the weight gradient has run.
public struct SavedColumns: Sendable, Equatable {
    /// Owner node → floats of column matrix stored after its output (for `batchCapacity` rows).
    public let sizes: [NodeID: Int]
    /// conv2d node or its weight-gradient node → the owner whose buffer holds the matrix.
    public let owners: [NodeID: NodeID]

    public static let none = SavedColumns(sizes: [:], owners: [:])

    /// Finds, for every conv2d step of a fused plan, a weight gradient of the same input and
    /// geometry (the matrix depends on nothing else) that runs later. The reference plan keeps none.
    static func find(_ graph: Graph, steps: [Step], batchCapacity: Int, fused: Bool) -> SavedColumns {
        guard fused else { return .none }
        var sizes: [NodeID: Int] = [:], owners: [NodeID: NodeID] = [:]
        var convolutions: [(node: Node, owner: NodeID)] = []
        for step in steps {
            let node: Node
            switch step {
            case .dense(let matmul, _, _, _): node = graph[matmul]
            case .single(let id): node = graph[id]
            default: continue
            }
            switch node.op {
            case .conv2d(let g) where Kernels.keepsColumns(g):
                convolutions.append((node, step.output))
            case .conv2dWeightGradient(let g):
                guard let forward = convolutions.first(where: {
                    $0.node.op == .conv2d(g) && $0.node.inputs[0] == node.inputs[0]
                }) else { continue }
                sizes[forward.owner] = g.columnElements(batch: batchCapacity)
                owners[forward.node.id] = forward.owner
                owners[node.id] = forward.owner
            default:
                continue
            }
        }
        return SavedColumns(sizes: sizes, owners: owners)
    }
}
