// Optimizers: gd (full batch), sgd with momentum / Nesterov, Adam. State lives in one buffer
// allocated when the optimizer is created, so steps allocate nothing. Stage: runtime.

import NNetKernels

public enum OptimizerKind: Sendable, Equatable {
    /// Plain gradient descent on the whole dataset per step.
    case gd
    /// Mini-batch SGD; momentum 0 is plain SGD.
    case sgd(momentum: Float, nesterov: Bool)
    case adam(beta1: Float, beta2: Float, epsilon: Float)
}

public struct OptimizerSettings: Sendable, Equatable {
    public var kind: OptimizerKind
    public var learningRate: Float
    public init(kind: OptimizerKind, learningRate: Float) {
        self.kind = kind
        self.learningRate = learningRate
    }

    /// Slots of state per parameter element.
    var stateSlots: Int {
        switch kind {
        case .gd: return 0
        case .sgd(let momentum, _): return momentum == 0 ? 0 : 1
        case .adam: return 2
        }
    }

    public var description: String {
        switch kind {
        case .gd: return "gd(lr: \(learningRate))"
        case .sgd(let momentum, let nesterov):
            return "sgd(lr: \(learningRate)\(momentum != 0 ? ", momentum: \(momentum)" : "")\(nesterov ? ", nesterov: true" : ""))"
        case .adam(let b1, let b2, let eps): return "adam(lr: \(learningRate), beta1: \(b1), beta2: \(b2), epsilon: \(eps))"
        }
    }
}

public final class Optimizer {
    public let settings: OptimizerSettings
    /// Number of updates applied so far (Adam's bias correction uses it).
    public private(set) var step = 0
    private let parameters: ParameterStore
    private let state: UnsafeMutablePointer<Float>
    private let stateCount: Int

    public init(_ settings: OptimizerSettings, parameters: ParameterStore) {
        self.settings = settings
        self.parameters = parameters
        stateCount = settings.stateSlots * parameters.totalCount
        state = UnsafeMutablePointer<Float>.allocate(capacity: max(stateCount, 1))
        state.initialize(repeating: 0, count: max(stateCount, 1))
    }

    deinit { state.deallocate() }

    /// Applies one update to every parameter from its gradient buffer.
    public func apply(gradients: [UnsafePointer<Float>]) {
        step += 1
        let lr = settings.learningRate
        let total = parameters.totalCount
        for (index, gradient) in gradients.enumerated() {
            let w = parameters.pointer(index)
            let count = parameters.infos[index].count
            let offset = parameters.offsets[index]
            switch settings.kind {
            case .gd:
                Kernels.sgdUpdate(weights: w, gradient: gradient, count: count, learningRate: lr)
            case .sgd(let momentum, let nesterov):
                if momentum == 0 {
                    Kernels.sgdUpdate(weights: w, gradient: gradient, count: count, learningRate: lr)
                } else {
                    Kernels.momentumUpdate(weights: w, gradient: gradient, velocity: state + offset, count: count,
                                           learningRate: lr, momentum: momentum, nesterov: nesterov)
                }
            case .adam(let beta1, let beta2, let epsilon):
                Kernels.adamUpdate(weights: w, gradient: gradient, firstMoment: state + offset,
                                   secondMoment: state + total + offset, count: count, learningRate: lr,
                                   beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
            }
        }
    }

    /// The optimizer's state (moments, step) for checkpoints.
    public var stateValues: (step: Int, values: [Float]) {
        (step, Array(UnsafeBufferPointer(start: state, count: stateCount)))
    }

    public func restore(step: Int, values: [Float]) {
        precondition(values.count == stateCount)
        self.step = step
        values.withUnsafeBufferPointer { state.update(from: $0.baseAddress!, count: stateCount) }
    }
}
