// The R1 gradient penalty of a GAN's discriminator (Mescheder et al. 2018): its value and its
// gradient with respect to the discriminator's parameters, on a batch of real samples.
// Stage: runtime (training).

import NNetIR

/// R1 = (γ/2)·(1/B)·‖∇ₓ Σᵢ f(xᵢ)‖², f the discriminator's logit (its output before the final
/// sigmoid), over a batch X of B real samples: it pushes the discriminator to be flat on the
/// data, which keeps the game near its equilibrium instead of circling it.
///
/// Its parameter gradient is a mixed second derivative: with V = ∇ₓ Σ f(X),
/// ∇_θ R1 = (γ/B)·(∂²Σf/∂θ∂X)·V = (γ/B)·d/dε ∇_θ Σ f(X + εV) at ε = 0,
/// the change of the ordinary parameter gradient along V. nnet's backward passes are first order,
/// so this is taken as a central difference of two of them, at X ± εV, with ε chosen so that a
/// sample moves by `step` on average (‖εvᵢ‖ has root mean square `step`). Cost: three forward and
/// backward passes of the discriminator. The error is O(ε²) for smooth activations and zero for
/// piecewise-linear ones (relu, leaky_relu) unless a step crosses a kink; in float32 the
/// difference keeps about 4 digits at the default step of 1e-3 (tests check it against float64
/// central differences of the penalty itself).
///
/// With batch_norm in the discriminator, f depends on the whole batch and R1 is that of the
/// batch function, as defined above; running statistics are not moved. Dropout uses the same
/// masks in all three passes.
public final class R1Penalty {
    public let gamma: Float
    /// Root mean square distance, in input units, that the central difference moves each sample.
    public let step: Float
    let executor: Executor
    private let sampleSize: Int
    private let outputSize: Int
    /// V = ∇ₓ Σ f(X), then the parameter gradients at X + εV.
    private let direction: UnsafeMutablePointer<Float>
    private let plus: UnsafeMutablePointer<Float>
    private let parameters: ParameterStore

    public init(discriminator: ModelInstance, gamma: Float, batchCapacity: Int, step: Float = 1e-3,
                useReference: Bool = false) {
        self.gamma = gamma
        self.step = step
        let graph = GraphBuilder.logitGradients(discriminator.model)
        executor = Executor(graph: graph, batchCapacity: batchCapacity, parameters: discriminator.parameters,
                            useReference: useReference, keep: [graph.inputGradient!])
        executor.updatesRunningStatistics = false
        parameters = discriminator.parameters
        sampleSize = elementCount(discriminator.model.inputShape)
        outputSize = elementCount(discriminator.model.outputShape)
        direction = .allocate(capacity: max(batchCapacity * sampleSize, 1))
        plus = .allocate(capacity: max(parameters.totalCount, 1))
    }

    deinit {
        direction.deallocate()
        plus.deallocate()
    }

    /// Computes R1 on the `rows` samples at `inputs` and adds its parameter gradient ∇_θ R1 to
    /// `gradients` (one buffer per discriminator parameter, nil for those without a gradient).
    /// `dropout` is the dropout generator all three passes start from. Returns R1.
    @discardableResult
    public func accumulate(inputs: UnsafePointer<Float>, rows: Int, dropout: SeededGenerator,
                           into gradients: [UnsafeMutablePointer<Float>?]) -> Float {
        let graph = executor.graph
        let count = rows * sampleSize
        let input = executor.buffer(graph.input)
        // V = ∇ₓ Σ f(X): seed 1 for every logit.
        input.update(from: inputs, count: count)
        run(rows: rows, dropout: dropout)
        direction.update(from: executor.buffer(graph.inputGradient!), count: count)
        var squares: Double = 0
        for i in 0..<count { squares += Double(direction[i]) * Double(direction[i]) }
        let penalty = Float(Double(gamma) / 2 * squares / Double(rows))
        guard squares > 0, squares.isFinite else { return penalty }
        let epsilon = Float(Double(step) / (squares / Double(rows)).squareRoot())
        let ownGradients = graph.parameterGradients
        // ∇_θ Σ f(X + εV), kept; then ∇_θ Σ f(X − εV), left in the executor's buffers.
        for i in 0..<count { input[i] = inputs[i] + epsilon * direction[i] }
        run(rows: rows, dropout: dropout)
        for (index, node) in ownGradients.enumerated() where node >= 0 {
            (plus + parameters.offsets[index]).update(from: executor.buffer(node), count: parameters.infos[index].count)
        }
        for i in 0..<count { input[i] = inputs[i] - epsilon * direction[i] }
        run(rows: rows, dropout: dropout)
        let scale = gamma / Float(rows) / (2 * epsilon)
        for (index, node) in ownGradients.enumerated() where node >= 0 {
            guard let target = gradients[index] else { continue }
            let high = plus + parameters.offsets[index], low = executor.buffer(node)
            for j in 0..<parameters.infos[index].count { target[j] += scale * (high[j] - low[j]) }
        }
        return penalty
    }

    private func run(rows: Int, dropout: SeededGenerator) {
        let seed = executor.buffer(executor.graph.target!)
        for i in 0..<rows * outputSize { seed[i] = 1 }
        executor.randomGenerator = dropout
        executor.run(rows: rows)
    }
}
