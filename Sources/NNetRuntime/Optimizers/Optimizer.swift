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
    /// Rescale all gradients together when their global L2 norm exceeds this (`clip_norm`).
    public var clipNorm: Float?
    /// Clamp every gradient element to [-clipValue, clipValue] (`clip_value`).
    public var clipValue: Float?
    public init(kind: OptimizerKind, learningRate: Float, clipNorm: Float? = nil, clipValue: Float? = nil) {
        self.kind = kind
        self.learningRate = learningRate
        self.clipNorm = clipNorm
        self.clipValue = clipValue
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
    /// Whether updates run split over the pool or on the calling thread alone, by their timings.
    private var placement = PoolOrCaller()
    /// Per part of a split update: whether every weight it wrote is finite.
    private let partsFinite: UnsafeMutablePointer<Bool>
    private let partsCapacity: Int

    public init(_ settings: OptimizerSettings, parameters: ParameterStore) {
        self.settings = settings
        self.parameters = parameters
        stateCount = settings.stateSlots * parameters.totalCount
        state = UnsafeMutablePointer<Float>.allocate(capacity: max(stateCount, 1))
        state.initialize(repeating: 0, count: max(stateCount, 1))
        partsCapacity = max(ThreadPool.shared.threadCount, 1)
        partsFinite = .allocate(capacity: partsCapacity)
        partsFinite.initialize(repeating: true, count: partsCapacity)
    }

    deinit {
        state.deallocate()
        partsFinite.deallocate()
    }

    /// Applies one update to every parameter from its gradient buffer, and returns whether every
    /// weight it wrote is finite (checked as they are written, so that training need not read the
    /// parameters again; parameters it skips are not covered).
    /// A nil gradient, or a parameter that is not trainable (batch_norm's running statistics),
    /// is skipped. With `clipValue`/`clipNorm` set, the gradient buffers are clipped in place
    /// first (they are scratch the executor rewrites every step). Large models split every
    /// tensor over the thread pool, or update on the calling thread alone when that has been
    /// timed faster (`PoolOrCaller`); the update is elementwise, so neither changes a bit.
    @discardableResult
    public func apply(gradients: [UnsafePointer<Float>?]) -> Bool {
        if settings.clipValue != nil || settings.clipNorm != nil { clip(gradients) }
        step += 1
        let pool = ThreadPool.shared
        guard parameters.totalCount >= Optimizer.parallelThreshold, pool.threadCount > 1,
              pool.threadCount <= partsCapacity else {
            return update(gradients, part: 0, of: 1)
        }
        var finite = true
        placement.run { onPool in
            if onPool {
                let parts = pool.threadCount
                pool.parallelFor(parts, Parts(optimizer: self, gradients: gradients, parts: parts))
                for part in 0..<parts where !partsFinite[part] { finite = false }
            } else {
                finite = update(gradients, part: 0, of: 1)
            }
        }
        return finite
    }

    /// The update split over the pool: part p updates slice p of every tensor.
    private struct Parts: ParallelTask {
        let optimizer: Optimizer
        let gradients: [UnsafePointer<Float>?]
        let parts: Int
        func run(_ part: Int) { optimizer.partsFinite[part] = optimizer.update(gradients, part: part, of: parts) }
    }

    /// Parameters (elements) from which the update is worth splitting over threads: ~1 MB of
    /// weights, gradients and moments, 15-20 µs on one core against a few µs to dispatch.
    static let parallelThreshold = 1 << 16

    /// Updates slice `part` of `parts` of every tensor (slices are whole 16-float vectors);
    /// returns whether every weight it wrote is finite.
    private func update(_ gradients: [UnsafePointer<Float>?], part: Int, of parts: Int) -> Bool {
        var finite = true
        let lr = settings.learningRate
        let total = parameters.totalCount
        for (index, gradient) in gradients.enumerated() {
            guard let gradient, parameters.infos[index].isTrainable else { continue }
            let count = parameters.infos[index].count
            let vectors = (count + 15) / 16
            let first = min(count, part * vectors / parts * 16), end = min(count, (part + 1) * vectors / parts * 16)
            guard end > first else { continue }
            let w = parameters.pointer(index) + first, g = gradient + first, n = end - first
            let offset = parameters.offsets[index] + first
            let written: Bool
            switch settings.kind {
            case .gd:
                written = Kernels.sgdUpdate(weights: w, gradient: g, count: n, learningRate: lr)
            case .sgd(let momentum, let nesterov):
                if momentum == 0 {
                    written = Kernels.sgdUpdate(weights: w, gradient: g, count: n, learningRate: lr)
                } else {
                    written = Kernels.momentumUpdate(weights: w, gradient: g, velocity: state + offset, count: n,
                                                     learningRate: lr, momentum: momentum, nesterov: nesterov)
                }
            case .adam(let beta1, let beta2, let epsilon):
                written = Kernels.adamUpdate(weights: w, gradient: g, firstMoment: state + offset,
                                             secondMoment: state + total + offset, count: n, learningRate: lr,
                                             beta1: beta1, beta2: beta2, epsilon: epsilon, step: step)
            }
            if !written { finite = false }
        }
        return finite
    }

    /// Clips by value (each element to [-v, v]), then by global norm: when ‖g‖₂ over every
    /// trainable gradient exceeds `clipNorm`, all are scaled by clipNorm / (‖g‖₂ + 1e-6), as
    /// PyTorch's `clip_grad_norm_` does. Two streaming passes over the gradients; no allocation.
    private func clip(_ gradients: [UnsafePointer<Float>?]) {
        if let limit = settings.clipValue {
            for (index, gradient) in gradients.enumerated() {
                guard let gradient, parameters.infos[index].isTrainable else { continue }
                Kernels.clamp(UnsafeMutablePointer(mutating: gradient), low: -limit, high: limit,
                              count: parameters.infos[index].count)
            }
        }
        guard let maximum = settings.clipNorm else { return }
        var sum: Double = 0
        for (index, gradient) in gradients.enumerated() {
            guard let gradient, parameters.infos[index].isTrainable else { continue }
            sum += Kernels.sumOfSquares(gradient, count: parameters.infos[index].count)
        }
        let norm = sum.squareRoot()
        guard norm > Double(maximum) else { return }
        let factor = Float(Double(maximum) / (norm + 1e-6))
        for (index, gradient) in gradients.enumerated() {
            guard let gradient, parameters.infos[index].isTrainable else { continue }
            Kernels.scale(UnsafeMutablePointer(mutating: gradient), by: factor, count: parameters.infos[index].count)
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
