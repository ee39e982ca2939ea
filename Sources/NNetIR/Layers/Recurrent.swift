// What simple_rnn, lstm and gru share: their arguments, shape rule, parameters and lowering, and
// where their nodes keep saved state. Stage: IR. Each layer's own file holds its doc and cell.
//
// Lowering `lstm 64` on x [time, features] emits
//     P = x·W + b                  matmul + bias_add: one GEMM over all time steps (fused)
//     h = lstm(P, U)               the whole time loop; saves its gates per step
// and the gradient pass appends
//     dP = lstm_grad(h, U, dh)     backpropagation through time
//     dU = recurrent_weight_grad(h, dP)
// while dx, dW and db of the projection come from the ordinary matmul and bias rules.

import NNetSyntax
import NNetKernels

enum RecurrentLayers {
    static func signature(_ kind: String) -> Signature {
        Signature("layer '\(kind)'", [
            ParameterSpec("units", expects: "a positive integer", required: true, positional: true),
            ParameterSpec("activation", expects: "an activation such as tanh (the default)"),
            ParameterSpec("return_sequences", expects: "true for every step's output [time, units], false (the default) for the last step's [units]"),
        ])
    }

    /// Checks the arguments and the sequence input [time, features]; the parameters are kernel
    /// [features, gates·units] (Glorot uniform), recurrent_kernel [units, gates·units]
    /// (orthogonal), bias [gates·units] (`bias`), and for a GRU recurrent_bias [gates·units] (zeros).
    static func configure(_ makeCell: (ActivationKind) -> RecurrentCell, _ arguments: BoundArguments, input: [Int],
                          layer: LayerDecl, name: String, bias: (Int) -> Initializer) throws(Diagnostic) -> LayerConfig {
        let kind = layer.kind.name
        let units = try arguments.integer("units", minimum: 1)
        let activation: ActivationKind
        switch try arguments["activation"].map({ v throws(Diagnostic) in try Activation.resolve(v) }) ?? .pointwise(.tanh) {
        case .pointwise(let f): activation = f
        case .softmax:
            throw .error("invalid-argument", "\(kind) '\(name)' cannot use softmax as its activation",
                         at: arguments["activation"]!.range, help: "use tanh (the default), sigmoid, relu or linear")
        }
        let returnSequences = try arguments.bool("return_sequences", default: false)
        guard input.count == 2 else {
            throw .error("shape-mismatch",
                         "\(kind) '\(name)' needs a sequence input [time, features], but gets \(describeShape(input))",
                         at: layer.kind.range, help: sequenceHelp(input))
        }
        let cell = makeCell(activation)
        let (time, features) = (input[0], input[1])
        let width = cell.gates * units
        var parameters = [
            LayerParameter(suffix: "kernel", shape: [features, width], initializer: .glorotUniform(fanIn: features, fanOut: width)),
            LayerParameter(suffix: "recurrent_kernel", shape: [units, width], initializer: .orthogonal),
            LayerParameter(suffix: "bias", shape: [width], initializer: bias(units)),
        ]
        if cell.hasRecurrentBias {
            parameters.append(LayerParameter(suffix: "recurrent_bias", shape: [width], initializer: .zeros))
        }
        let output = returnSequences ? [time, units] : [units]
        var details = activation == .tanh ? [] : ["\(Activation.pointwise(activation))"]
        if returnSequences { details.append("sequences") }
        return LayerConfig(outputShape: output, parameters: parameters, detail: details.joined(separator: ", ")) {
            graph, x, params, _, index in
            let product = graph.add(.matmul, [x, params[0]], shape: [time, width], layer: index)
            let projection = graph.add(.biasAdd, [product, params[2]], shape: [time, width], layer: index)
            return graph.add(.recurrent(cell, returnSequences: returnSequences), [projection, params[1]] + params.dropFirst(3),
                             shape: output, layer: index)
        }
    }

    private static func sequenceHelp(_ input: [Int]) -> String {
        switch input.count {
        case 0: return "a recurrent layer reads a sequence of feature vectors, one per time step"
        case 1: return "to read each of the \(input[0]) values as one time step, add 'reshape [\(input[0]), 1]' before it"
        default:
            let features = input.dropFirst().reduce(1, *)
            return "flatten each step's features first, e.g. 'reshape [\(input[0]), \(features)]'"
        }
    }
}

extension Node {
    /// Sizes of the recurrent layer behind a recurrent node or one of its gradient nodes, for a
    /// batch of `batch` sequences.
    public func recurrentLayout(batch: Int, in graph: Graph) -> RecurrentLayout {
        switch op {
        case .recurrent(let cell, _):
            let projection = graph[inputs[0]], kernel = graph[inputs[1]]
            return RecurrentLayout(cell: cell, batch: batch, time: projection.shape[0], units: kernel.shape[0])
        case .recurrentGradient, .recurrentWeightGradient, .recurrentBiasGradient:
            // Their first input is the recurrent node (the bias gradient's: its BPTT node).
            return graph[inputs[0]].recurrentLayout(batch: batch, in: graph)
        default:
            preconditionFailure("\(op.name) is not a recurrent node")
        }
    }

    /// FLOPs of the GEMMs a recurrent node runs (0 for other nodes): the time loop's and BPTT's
    /// one per step after the first (m = batch, n·k = units·width), dU's one over all steps.
    public func recurrentFlops(batch: Int, in graph: Graph) -> Int {
        switch op {
        case .recurrent, .recurrentGradient:
            let layout = recurrentLayout(batch: batch, in: graph)
            return 2 * batch * (layout.time - 1) * layout.units * layout.width
        case .recurrentWeightGradient:
            let layout = recurrentLayout(batch: batch, in: graph)
            return 2 * batch * layout.time * layout.units * layout.width
        default:
            return 0
        }
    }
}
