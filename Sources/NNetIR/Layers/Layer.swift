// What every layer kind provides: its signature, its shape rule and parameters, and its lowering
// to IR nodes. One file per layer kind; LayerRegistry lists them. Stage: IR.

import NNetSyntax
import NNetKernels

/// A parameter a layer owns, before it is numbered model-wide.
public struct LayerParameter: Sendable {
    public let suffix: String
    public let shape: [Int]
    public let initializer: Initializer
    /// False for non-trained state such as running statistics (see ParameterInfo.isTrainable).
    public var isTrainable = true
}

/// Emits a layer's forward nodes: (graph, input node, the layer's parameter nodes, training mode,
/// layer index) -> output node.
public typealias LayerEmitter = @Sendable (inout Graph, NodeID, [NodeID], Bool, Int) -> NodeID

/// Emits a layer that reads earlier layers (Layers/MultiInput.swift): like LayerEmitter, with the
/// output nodes of `LayerConfig.inputLayers` in place of the previous layer's output.
public typealias MultiInputEmitter = @Sendable (inout Graph, [NodeID], [NodeID], Bool, Int) -> NodeID

/// A configured layer: its output shape, parameters and lowering.
public struct LayerConfig: Sendable {
    public let outputShape: [Int]
    public let parameters: [LayerParameter]
    /// Settings worth showing in a summary (`relu`, `rate 0.2`).
    public let detail: String
    /// The activation applied last, if any (softmax/sigmoid outputs are fused into losses).
    public let finalActivation: Activation?
    let emit: LayerEmitter
    /// The earlier layers a multi-input layer reads, as indices into LoweredModel.layers (-1: the
    /// model's input); empty for layers that read the previous layer.
    public let inputLayers: [Int]
    let emitFromLayers: MultiInputEmitter?

    public init(outputShape: [Int], parameters: [LayerParameter] = [], detail: String = "",
                finalActivation: Activation? = nil, emit: @escaping LayerEmitter) {
        self.outputShape = outputShape
        self.parameters = parameters
        self.detail = detail
        self.finalActivation = finalActivation
        self.emit = emit
        inputLayers = []
        emitFromLayers = nil
    }

    /// A layer reading the outputs of `inputLayers`.
    public init(outputShape: [Int], inputLayers: [Int], parameters: [LayerParameter] = [], detail: String = "",
                emit: @escaping MultiInputEmitter) {
        self.outputShape = outputShape
        self.parameters = parameters
        self.detail = detail
        finalActivation = nil
        self.emit = { _, _, _, _, _ in preconditionFailure("a multi-input layer is emitted by emitFromLayers") }
        self.inputLayers = inputLayers
        emitFromLayers = emit
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
        SimpleRNNLayer.self, LSTMLayer.self, GRULayer.self, EmbeddingLayer.self,
        Conv2DLayer.self, Conv2DTransposeLayer.self, MaxPool2DLayer.self, AvgPool2DLayer.self, GlobalAvgPool2DLayer.self,
        UpSampling2DLayer.self, BatchNormLayer.self, LayerNormLayer.self, AddLayer.self, ConcatLayer.self,
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
