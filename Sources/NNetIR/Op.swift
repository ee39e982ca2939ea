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
    /// A recurrent layer's whole time loop (Layers/Recurrent.swift); inputs (P[time, gates·units] =
    /// x·W + b, the recurrent kernel U[units, gates·units], a GRU's recurrent bias). Saves its gates
    /// per step after its output for BPTT.
    case recurrent(RecurrentCell, returnSequences: Bool)
    /// Rows of a table; inputs (token ids as Float, table[vocabulary, dimension]).
    case embedding

    // MARK: Convolutional layers (NHWC samples [height, width, channels])
    /// x ⊛ W; inputs (x, W[kh, kw, cin, cout]). Bias and activation are their own nodes, which the
    /// planner fuses into the im2col GEMM's epilogue.
    case conv2d(ConvolutionGeometry)
    /// The adjoint of the conv2d with this geometry (its output is that conv2d's input); inputs
    /// (x, W[kh, kw, filters, cin]).
    case conv2dTranspose(ConvolutionGeometry)
    /// Window maxima; saves each maximum's position (as a Float offset within the sample) after its output.
    case maxPool2d(PoolingGeometry)
    /// Window means over the pixels inside the image.
    case avgPool2d(PoolingGeometry)
    case upsampling2d(UpsamplingAttributes)
    /// x̂ = (x - mean)·invStd per channel (last dimension), batch statistics in training (which
    /// also update the running ones in place), running statistics otherwise; inputs (x, running
    /// mean, running variance). Saves mean and invStd after its output.
    case batchNorm(BatchNormAttributes)
    /// x̂ = (x - mean)·invStd over the last dimension of each row; saves each row's invStd.
    case layerNorm(epsilon: Float)
    /// x[rows, n] · γ[n]; inputs (x, γ).
    case channelScale
    /// Elementwise sum of its inputs (the `add` layer).
    case sum
    /// Its inputs joined along `axis` of the sample shape (batch excluded).
    case concat(axis: Int)

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
    /// Backpropagation through time: dP, the gradient of the recurrent node's projection input;
    /// inputs (recurrent node, U, dy). A GRU also saves dR (the gradient of h·U + b′) after dP.
    case recurrentGradient(RecurrentCell, returnSequences: Bool)
    /// dU = Σ_t h_{t−1}ᵀ·dR_t; inputs (recurrent node, its recurrentGradient node).
    case recurrentWeightGradient(RecurrentCell)
    /// A GRU's db′ = column sums of dR; input the recurrentGradient node.
    case recurrentBiasGradient(RecurrentCell)
    /// dTable = dy rows added at their token ids; inputs (ids, dy).
    case embeddingGradient
    /// dx of conv2d: col2im(dY·Wᵀ); inputs (dY, W).
    case conv2dInputGradient(ConvolutionGeometry)
    /// dW of conv2d: im2col(X)ᵀ·dY; inputs (X, dY).
    case conv2dWeightGradient(ConvolutionGeometry)
    /// dx of conv2dTranspose: the conv2d of dY; inputs (dY, W).
    case conv2dTransposeInputGradient(ConvolutionGeometry)
    /// dW of conv2dTranspose: im2col(dY)ᵀ·X; inputs (X, dY).
    case conv2dTransposeWeightGradient(ConvolutionGeometry)
    /// dy routed to each window's maximum; inputs (maxPool2d node, dy).
    case maxPool2dGradient(PoolingGeometry)
    /// dy/count spread over each window; input dy.
    case avgPool2dGradient(PoolingGeometry)
    /// The adjoint of upsampling; input dy.
    case upsampling2dGradient(UpsamplingAttributes)
    /// dx = invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) per channel (invStd·dy with running statistics);
    /// inputs (batchNorm node, dy).
    case batchNormGradient(BatchNormAttributes)
    /// The same per row; inputs (layerNorm node, dy).
    case layerNormGradient
    /// dx = dy · γ; inputs (dy, γ).
    case channelScaleInputGradient
    /// dγ = column sums of x ⊙ dy; inputs (x, dy).
    case channelScaleGradient
    /// The slice of dy a concat input came from, starting at `offset` along `axis`; input dy.
    case concatGradient(axis: Int, offset: Int)
    /// Sum of several gradient contributions.
    case add

    /// True for ops that run only when computing gradients.
    public var isBackward: Bool {
        switch self {
        case .lossGradient, .matmulInputGradient, .matmulWeightGradient, .biasGradient,
             .activationGradient, .softmaxGradient, .dropoutGradient, .add: return true
        case .recurrentGradient, .recurrentWeightGradient, .recurrentBiasGradient, .embeddingGradient: return true
        case .conv2dInputGradient, .conv2dWeightGradient, .conv2dTransposeInputGradient, .conv2dTransposeWeightGradient,
             .maxPool2dGradient, .avgPool2dGradient, .upsampling2dGradient, .batchNormGradient, .layerNormGradient,
             .channelScaleInputGradient, .channelScaleGradient, .concatGradient: return true
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
        case .recurrent(let cell, let sequences): return "\(cell.name)(\(cell.activation)\(sequences ? ", sequences" : ""))"
        case .embedding: return "embedding"
        case .recurrentGradient(let cell, let sequences):
            return "\(cell.name)_grad(\(cell.activation)\(sequences ? ", sequences" : ""))"
        case .recurrentWeightGradient(let cell): return "recurrent_weight_grad(\(cell.name))"
        case .recurrentBiasGradient(let cell): return "recurrent_bias_grad(\(cell.name))"
        case .embeddingGradient: return "embedding_grad"
        case .conv2d(let g): return "conv2d(\(g))"
        case .conv2dTranspose(let g): return "conv2d_transpose(\(g))"
        case .maxPool2d(let g): return "max_pool2d(\(g))"
        case .avgPool2d(let g): return "avg_pool2d(\(g))"
        case .upsampling2d(let a): return "upsampling2d(\(a))"
        case .batchNorm(let a): return "batch_norm(\(a))"
        case .layerNorm(let epsilon): return "layer_norm(epsilon \(epsilon))"
        case .channelScale: return "channel_scale"
        case .sum: return "sum"
        case .concat(let axis): return "concat(axis \(axis))"
        case .conv2dInputGradient(let g): return "conv2d_grad_input(\(g))"
        case .conv2dWeightGradient(let g): return "conv2d_grad_weight(\(g))"
        case .conv2dTransposeInputGradient(let g): return "conv2d_transpose_grad_input(\(g))"
        case .conv2dTransposeWeightGradient(let g): return "conv2d_transpose_grad_weight(\(g))"
        case .maxPool2dGradient(let g): return "max_pool2d_grad(\(g))"
        case .avgPool2dGradient(let g): return "avg_pool2d_grad(\(g))"
        case .upsampling2dGradient(let a): return "upsampling2d_grad(\(a))"
        case .batchNormGradient(let a): return "batch_norm_grad(\(a))"
        case .layerNormGradient: return "layer_norm_grad"
        case .channelScaleInputGradient: return "channel_scale_grad_input"
        case .channelScaleGradient: return "channel_scale_grad"
        case .concatGradient(let axis, let offset): return "concat_grad(axis \(axis), offset \(offset))"
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
        case .recurrent(let cell, _): return cell.name
        case .embedding: return "embedding"
        case .recurrentGradient(let cell, _): return "\(cell.name)_grad"
        case .recurrentWeightGradient: return "recurrent_weight_grad"
        case .recurrentBiasGradient: return "recurrent_bias_grad"
        case .embeddingGradient: return "embedding_grad"
        case .conv2d: return "conv2d"
        case .conv2dTranspose: return "conv2d_transpose"
        case .maxPool2d: return "max_pool2d"
        case .avgPool2d: return "avg_pool2d"
        case .upsampling2d: return "upsampling2d"
        case .batchNorm: return "batch_norm"
        case .layerNorm: return "layer_norm"
        case .channelScale: return "channel_scale"
        case .sum: return "sum"
        case .concat: return "concat"
        case .conv2dInputGradient: return "conv2d_grad_input"
        case .conv2dWeightGradient: return "conv2d_grad_weight"
        case .conv2dTransposeInputGradient: return "conv2d_transpose_grad_input"
        case .conv2dTransposeWeightGradient: return "conv2d_transpose_grad_weight"
        case .maxPool2dGradient: return "max_pool2d_grad"
        case .avgPool2dGradient: return "avg_pool2d_grad"
        case .upsampling2dGradient: return "upsampling2d_grad"
        case .batchNormGradient: return "batch_norm_grad"
        case .layerNormGradient: return "layer_norm_grad"
        case .channelScaleInputGradient: return "channel_scale_grad_input"
        case .channelScaleGradient: return "channel_scale_grad"
        case .concatGradient: return "concat_grad"
        case .add: return "add"
        }
    }

    /// Every kind name; `kindName`'s exhaustive switch and this list change together.
    public static let allKindNames = [
        "input", "target", "parameter", "matmul", "bias_add", "activation", "softmax", "reshape", "dropout", "loss",
        "loss_grad", "matmul_grad_input", "matmul_grad_weight", "bias_grad", "activation_grad", "softmax_grad",
        "dropout_grad", "add",
        "simple_rnn", "lstm", "gru", "embedding", "simple_rnn_grad", "lstm_grad", "gru_grad", "recurrent_weight_grad",
        "recurrent_bias_grad", "embedding_grad",
        "conv2d", "conv2d_transpose", "max_pool2d", "avg_pool2d", "upsampling2d", "batch_norm", "layer_norm",
        "channel_scale", "sum", "concat", "conv2d_grad_input", "conv2d_grad_weight", "conv2d_transpose_grad_input",
        "conv2d_transpose_grad_weight", "max_pool2d_grad", "avg_pool2d_grad", "upsampling2d_grad", "batch_norm_grad",
        "layer_norm_grad", "channel_scale_grad_input", "channel_scale_grad", "concat_grad",
    ]
}
