// What every layer kind provides: its signature, its shape rule and parameters, and its lowering
// to IR nodes. One file per layer kind; LayerRegistry lists them. Stage: IR.

import NNetSyntax
import NNetKernels

/// A parameter a layer owns, before it is numbered model-wide.
public struct LayerParameter: Sendable {
    public let suffix: String
    public let shape: [Int]
    public let initializer: Initializer
}

/// Emits a layer's forward nodes: (graph, input node, the layer's parameter nodes, training mode,
/// layer index) -> output node.
public typealias LayerEmitter = @Sendable (inout Graph, NodeID, [NodeID], Bool, Int) -> NodeID

/// A configured layer: its output shape, parameters and lowering.
public struct LayerConfig: Sendable {
    public let outputShape: [Int]
    public let parameters: [LayerParameter]
    /// Settings worth showing in a summary (`relu`, `rate 0.2`).
    public let detail: String
    /// The activation applied last, if any (softmax/sigmoid outputs are fused into losses).
    public let finalActivation: Activation?
    let emit: LayerEmitter

    public init(outputShape: [Int], parameters: [LayerParameter] = [], detail: String = "",
                finalActivation: Activation? = nil, emit: @escaping LayerEmitter) {
        self.outputShape = outputShape
        self.parameters = parameters
        self.detail = detail
        self.finalActivation = finalActivation
        self.emit = emit
    }
}

public protocol LayerDefinition {
    /// The keyword in a model block (`dense`).
    static var kind: String { get }
    static var signature: Signature { get }
    /// Checks arguments and the input shape (batch excluded) and returns the configured layer.
    static func configure(_ arguments: BoundArguments, input: [Int], layer: LayerDecl,
                          name: String) throws(Diagnostic) -> LayerConfig
}

public enum LayerRegistry {
    public static let all: [any LayerDefinition.Type] = [
        DenseLayer.self, ActivationLayer.self, FlattenLayer.self, ReshapeLayer.self, DropoutLayer.self,
    ]
    public static func definition(for kind: String) -> (any LayerDefinition.Type)? {
        all.first { $0.kind == kind }
    }
    /// Every keyword accepted in a model block, including `input`.
    public static var kinds: [String] { ["input"] + all.map { $0.kind } }
}

/// Emits `activation` after `x` (nothing for linear).
func emitActivation(_ activation: Activation, _ graph: inout Graph, _ x: NodeID, layer: Int) -> NodeID {
    switch activation {
    case .pointwise(.linear): return x
    case .pointwise(let kind): return graph.add(.activation(kind), [x], shape: graph[x].shape, layer: layer)
    case .softmax: return graph.add(.softmax, [x], shape: graph[x].shape, layer: layer)
    }
}
