// An execution plan for one graph: the steps to run (some fusing several IR nodes into one
// kernel call) and where each buffer lives in one arena. Stage: planner.

import NNetIR
import NNetKernels

public enum Step: Sendable, Equatable {
    /// Run one node's op on its own.
    case single(NodeID)
    /// y = f(x·W + b) as one GEMM with a bias + activation epilogue; the matmul (and bias add)
    /// nodes get no buffer. `output` is the last node of the chain. `matmul` may also be a conv2d
    /// node (an im2col GEMM with the same epilogue).
    case dense(matmul: NodeID, bias: NodeID?, activation: ActivationKind, output: NodeID)
    /// dX = (dY·Wᵀ) ⊙ f'(y): the input gradient of a dense layer and the activation gradient
    /// before it, written straight into the activation gradient's buffer.
    case denseInputGradient(matmulGradient: NodeID, activationGradient: NodeID)
    /// A loss and its gradient from one kernel call (softmax/sigmoid cross-entropy included).
    /// `probabilities`, when set, is the model's output activation (softmax or sigmoid of the
    /// same logits): the loss kernel computes it anyway and writes it there, so it is not a step
    /// of its own (a training graph's output is then ready only after this step).
    case lossAndGradient(loss: NodeID, gradient: NodeID, probabilities: NodeID?)
    /// dX = maxpool'(dY) ⊙ f'(y): the input gradient of a max pool and the gradient of the
    /// activation y = f(z) feeding it, in one pass written into the activation gradient's buffer.
    case poolInputGradient(poolGradient: NodeID, activationGradient: NodeID)

    /// The node whose buffer holds the step's result.
    public var output: NodeID {
        switch self {
        case .single(let node): return node
        case .dense(_, _, _, let output): return output
        case .denseInputGradient(_, let node): return node
        case .lossAndGradient(_, let gradient, _): return gradient
        case .poolInputGradient(_, let node): return node
        }
    }
}

public struct Plan: Sendable {
    public let graph: Graph
    public let steps: [Step]
    /// Arena offset (in floats) of each node that owns a buffer; nil for parameters, views
    /// (reshape) and nodes fused away.
    public let offsets: [Int?]
    /// Floats the arena needs for `batchCapacity` rows.
    public let arenaSize: Int
    /// Floats the nodes would need without buffer reuse (for the plan summary).
    public let unsharedSize: Int
    public let batchCapacity: Int
    /// Every buffer: its node, size in floats and the first and last step that touch it
    /// (-1: written before the run; steps.count: read after it).
    public let lifetimes: [BufferLifetime]
    /// Index of the first step of the backward pass (steps.count when there is none): running
    /// the steps before it is a forward pass.
    public let firstBackwardStep: Int
    /// Whether nodes were fused (false: the reference plan, one step per node).
    public let fused: Bool
    /// Column matrices kept from conv2d forward passes for their weight gradients.
    public let savedColumns: SavedColumns
}

public struct BufferLifetime: Sendable, Equatable {
    public let node: NodeID
    public let size: Int
    public let first: Int
    public let last: Int
}
