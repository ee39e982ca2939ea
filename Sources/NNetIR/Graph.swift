// The typed tensor graph: nodes in topological order with static shapes (batch excluded).
// Stage: IR. Built by GraphBuilder from a lowered model; extended by Gradients.

import NNetSyntax

public typealias NodeID = Int

public struct Node: Sendable {
    public let id: NodeID
    public let op: Op
    public let inputs: [NodeID]
    /// Shape of one sample (batched nodes) or of the whole tensor (parameters, the loss).
    public let shape: [Int]
    /// Whether a leading batch dimension precedes `shape`.
    public let isBatched: Bool
    /// The model layer this node belongs to (index into LoweredModel.layers), for diagnostics.
    public let layer: Int?

    public var elementsPerSample: Int { elementCount(shape) }
}

/// How a parameter tensor is initialised (deterministically from the run's seed).
public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    /// U(−√(6/(fanIn+fanOut)), +√(6/(fanIn+fanOut))): Glorot/Xavier, Keras' default for dense.
    case glorotUniform(fanIn: Int, fanOut: Int)
    /// N(0, 2/fanIn): He/Kaiming, suited to ReLU layers.
    case heNormal(fanIn: Int)
    /// U(−√(6/fanIn), +√(6/fanIn)).
    case heUniform(fanIn: Int)
    /// A matrix [shape[0], rest] with orthonormal rows or columns (whichever are fewer), from the
    /// QR decomposition of a Gaussian matrix, as Keras' `Orthogonal`: the recurrent kernels'
    /// default, so h·U neither grows nor shrinks over time steps at the start of training.
    case orthogonal
    /// Zeros, except ones at [units, 2·units): an LSTM bias whose forget gate starts open
    /// (Keras' `unit_forget_bias`).
    case unitForgetBias(units: Int)
}

public struct ParameterInfo: Sendable {
    /// `layer.weight`, e.g. `dense_1.weight`, `h1.bias`.
    public let name: String
    public let shape: [Int]
    public let initializer: Initializer
    public let layer: Int
    /// False for state the optimizer must not touch (batch_norm's running statistics): it gets no
    /// gradient (its entry in Graph.parameterGradients is -1) but is saved with the weights.
    public var isTrainable = true
    public var count: Int { elementCount(shape) }
}

public struct Graph: Sendable {
    public internal(set) var nodes: [Node] = []
    public let parameters: [ParameterInfo]
    public internal(set) var input: NodeID = 0
    public internal(set) var target: NodeID?
    /// The model's output (predictions).
    public internal(set) var output: NodeID = 0
    public internal(set) var loss: NodeID?
    /// Whether the loss reads logits (its final activation fused in) rather than the output.
    public internal(set) var lossFromLogits = false
    /// Gradient of the loss with respect to the input batch, when asked for (a GAN's generator
    /// step backpropagates through the discriminator to its input).
    public internal(set) var inputGradient: NodeID?
    /// Gradient node of each parameter, in parameter order (training graphs only).
    public internal(set) var parameterGradients: [NodeID] = []

    public init(parameters: [ParameterInfo]) {
        self.parameters = parameters
    }

    @discardableResult
    mutating func add(_ op: Op, _ inputs: [NodeID], shape: [Int], batched: Bool = true, layer: Int?) -> NodeID {
        let id = nodes.count
        nodes.append(Node(id: id, op: op, inputs: inputs, shape: shape, isBatched: batched, layer: layer))
        return id
    }

    public subscript(_ id: NodeID) -> Node { nodes[id] }

    /// The node whose data `id` views (itself unless it is a reshape).
    public func skippingViews(_ id: NodeID) -> NodeID {
        var current = id
        while nodes[current].op == .reshape { current = nodes[current].inputs[0] }
        return current
    }
}
