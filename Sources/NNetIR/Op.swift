// The closed set of IR operations, forward and backward. Kernels know nothing of the graph;
// the executor maps each op to a kernel. Stage: IR.

import NNetKernels

public enum LossKind: String, Sendable, CaseIterable {
    case meanSquaredError = "mse"
    case binaryCrossEntropy = "binary_crossentropy"
    case categoricalCrossEntropy = "categorical_crossentropy"
    case sparseCategoricalCrossEntropy = "sparse_categorical_crossentropy"
}

public enum Op: Sendable, Equatable {
    // MARK: Sources
    /// The batch of samples, [batch, shape...].
    case input
    /// The batch of targets, [batch, targetShape...].
    case target
    /// Trainable parameter number `index` of the model (not batched).
    case parameter(index: Int)

    // MARK: Forward
    /// x[rows, in] · W[in, out] where rows = batch × leading dimensions of x.
    case matmul
    /// x[rows, n] + b[n]
    case biasAdd
    case activation(ActivationKind)
    /// Row-wise softmax over the last dimension.
    case softmax
    /// Same data, new shape (a view).
    case reshape
    /// Training-time dropout: keeps each element with probability 1 - rate, scaled by 1/(1 - rate).
    case dropout(rate: Float)
    /// Scalar mean loss of (prediction, target); with `fromLogits` the prediction input holds logits
    /// of the final softmax/sigmoid, which is fused into the loss for stability.
    case loss(LossKind, fromLogits: Bool)

    // MARK: Backward
    /// d prediction of `loss` (same inputs as the loss).
    case lossGradient(LossKind, fromLogits: Bool)
    /// dX = dY · Wᵀ; inputs (dY, W).
    case matmulInputGradient
    /// dW = Xᵀ · dY; inputs (X, dY).
    case matmulWeightGradient
    /// db = column sums of dY; input dY.
    case biasGradient
    /// dx = dy · f'(y); inputs (y, dy).
    case activationGradient(ActivationKind)
    /// dx = y · (dy − Σ dy·y); inputs (y, dy).
    case softmaxGradient
    /// dx = dy · mask of the forward dropout node; inputs (dropout node, dy).
    case dropoutGradient(rate: Float)
    /// Sum of several gradient contributions.
    case add

    /// True for ops that run only when computing gradients.
    public var isBackward: Bool {
        switch self {
        case .lossGradient, .matmulInputGradient, .matmulWeightGradient, .biasGradient,
             .activationGradient, .softmaxGradient, .dropoutGradient, .add: return true
        default: return false
        }
    }

    public var name: String {
        switch self {
        case .input: return "input"
        case .target: return "target"
        case .parameter(let index): return "parameter#\(index)"
        case .matmul: return "matmul"
        case .biasAdd: return "bias_add"
        case .activation(let kind): return "activation(\(kind))"
        case .softmax: return "softmax"
        case .reshape: return "reshape"
        case .dropout(let rate): return "dropout(\(rate))"
        case .loss(let kind, let fromLogits): return "loss(\(kind.rawValue)\(fromLogits ? ", logits" : ""))"
        case .lossGradient(let kind, let fromLogits): return "loss_grad(\(kind.rawValue)\(fromLogits ? ", logits" : ""))"
        case .matmulInputGradient: return "matmul_grad_input"
        case .matmulWeightGradient: return "matmul_grad_weight"
        case .biasGradient: return "bias_grad"
        case .activationGradient(let kind): return "activation_grad(\(kind))"
        case .softmaxGradient: return "softmax_grad"
        case .dropoutGradient(let rate): return "dropout_grad(\(rate))"
        case .add: return "add"
        }
    }
}

extension Op {
    /// The op's kind without its parameters (`activation`, not `activation(relu)`).
    public var kindName: String {
        switch self {
        case .input: return "input"
        case .target: return "target"
        case .parameter: return "parameter"
        case .matmul: return "matmul"
        case .biasAdd: return "bias_add"
        case .activation: return "activation"
        case .softmax: return "softmax"
        case .reshape: return "reshape"
        case .dropout: return "dropout"
        case .loss: return "loss"
        case .lossGradient: return "loss_grad"
        case .matmulInputGradient: return "matmul_grad_input"
        case .matmulWeightGradient: return "matmul_grad_weight"
        case .biasGradient: return "bias_grad"
        case .activationGradient: return "activation_grad"
        case .softmaxGradient: return "softmax_grad"
        case .dropoutGradient: return "dropout_grad"
        case .add: return "add"
        }
    }

    /// Every kind name; `kindName`'s exhaustive switch and this list change together.
    public static let allKindNames = [
        "input", "target", "parameter", "matmul", "bias_add", "activation", "softmax", "reshape", "dropout", "loss",
        "loss_grad", "matmul_grad_input", "matmul_grad_weight", "bias_grad", "activation_grad", "softmax_grad",
        "dropout_grad", "add",
    ]
}
