// Runs a graph on batches: one arena holds every node's buffer, sized once for the largest
// batch, so a training step allocates nothing. Stage: runtime (engine).

import NNetIR
import NNetKernels
import NNetPlanner

public final class Executor {
    public let graph: Graph
    public let plan: Plan
    /// The largest batch the buffers hold.
    public let batchCapacity: Int
    public let parameters: ParameterStore
    /// Use the naive reference kernels and the unfused plan (the oracle) instead of the fast engine.
    public let useReference: Bool

    private var buffers: [UnsafeMutablePointer<Float>]
    private let arena: UnsafeMutablePointer<Float>
    /// Scratch shared by all nodes while they run (Node.workspaceElements).
    let scratch: UnsafeMutablePointer<Float>
    private var generator: SeededGenerator
    /// Rows in the current batch.
    public private(set) var batchSize = 0
    /// Multiplies the loss and its gradient (a VAE sums its reconstruction loss over each sample).
    public var lossScale: Float = 1
    /// false: batch_norm still normalises with the batch's statistics but leaves the running ones
    /// alone (a GAN's generator step through its frozen discriminator).
    public var updatesRunningStatistics = true

    /// Plans `graph` (fused, with buffer reuse; unfused with the reference kernels) and allocates
    /// its arena once. `keep` lists extra nodes whose values are read after a run. Without
    /// `shareMemory` every node keeps its own buffer, so all values survive a run (diagnostics).
    public init(graph: Graph, batchCapacity: Int, parameters: ParameterStore, seed: UInt64 = 0,
                useReference: Bool = false, keep: [NodeID] = [], parameterGradients: Bool = true,
                shareMemory: Bool = true) {
        // The thread that creates an executor runs it; the pool's workers flush subnormals too.
        FloatingPointEnvironment.flushSubnormalsOnThisThread()
        self.graph = graph
        self.batchCapacity = max(1, batchCapacity)
        self.parameters = parameters
        self.useReference = useReference
        self.generator = SeededGenerator(seed: seed)
        plan = Planner.plan(graph, batchCapacity: self.batchCapacity, fuse: !useReference, shareMemory: shareMemory,
                            keep: keep, parameterGradients: parameterGradients)

        let capacity = self.batchCapacity
        let scratchSize = graph.nodes.map { $0.workspaceElements(batch: capacity, in: graph) }.max() ?? 1
        arena = UnsafeMutablePointer<Float>.allocate(capacity: max(plan.arenaSize, 1))
        arena.initialize(repeating: 0, count: max(plan.arenaSize, 1))
        scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(scratchSize, 1))
        scratch.initialize(repeating: 0, count: max(scratchSize, 1))
        let arena = arena, offsets = plan.offsets
        buffers = graph.nodes.map { node in
            if case .parameter(let index) = node.op { return parameters.pointer(index) }
            return arena + (offsets[node.id] ?? 0)
        }
        pointViewsAtTheirSources()
    }

    /// Makes every view (reshape) share its source's buffer. Node ids are in topological order,
    /// so a view's source, itself possibly a view, is resolved first.
    private func pointViewsAtTheirSources() {
        for view in graph.nodes {
            if case .reshape = view.op { buffers[view.id] = buffers[view.inputs[0]] }
        }
    }

    deinit {
        arena.deallocate()
        scratch.deallocate()
    }

    /// The buffer of a node (for inputs: fill it; for outputs: read it). Batched nodes hold
    /// `batchSize` rows. Only inputs, targets, parameters, the loss, the output, parameter
    /// gradients and `keep` nodes hold their values after a run; other buffers are reused.
    public func buffer(_ node: NodeID) -> UnsafeMutablePointer<Float> { buffers[node] }

    /// Points the graph's input or target at `memory` instead of its buffer in the arena, and its
    /// views (reshape) along with it, so that one executor reads another's output or gradient
    /// without a copy (a GAN's generator step). No step writes an input or a target; `memory`
    /// must hold `batchCapacity` rows and outlive every run of this executor.
    public func bind(_ node: NodeID, to memory: UnsafeMutablePointer<Float>) {
        precondition(node == graph.input || node == graph.target, "only the input or the target can be bound")
        buffers[node] = memory
        pointViewsAtTheirSources()
    }

    /// The generator dropout draws from (part of a checkpoint's state).
    public var randomState: [UInt64] {
        get { generator.stateWords }
        set { generator.stateWords = newValue }
    }

    /// The same generator as a value: saving and restoring it allocates nothing (per-step use).
    public var randomGenerator: SeededGenerator {
        get { generator }
        set { generator = newValue }
    }

    /// Runs the plan: forward, loss and (in a training graph) backward.
    /// `rows` is the number of samples in the input buffers.
    public func run(rows count: Int) {
        precondition(count >= 1 && count <= batchCapacity, "batch of \(count) exceeds capacity \(batchCapacity)")
        batchSize = count
        runSteps(0..<plan.steps.count)
    }

    /// Runs only the forward pass (the steps before the backward pass).
    public func runForward(rows count: Int) {
        precondition(count >= 1 && count <= batchCapacity, "batch of \(count) exceeds capacity \(batchCapacity)")
        batchSize = count
        runSteps(0..<plan.firstBackwardStep)
    }

    /// Runs the backward pass after `runForward`, on the same batch (the gradient seed, for a
    /// backpropagation graph, is in the target buffer).
    public func runBackward() {
        runSteps(plan.firstBackwardStep..<plan.steps.count)
    }

    private func runSteps(_ range: Range<Int>) {
        for index in range {
            let step = plan.steps[index]
            switch step {
            case .single(let node):
                execute(graph[node])
            case .dense(let matmul, let bias, let activation, let output):
                if case .conv2d = graph[matmul].op {
                    runConvolution(graph[matmul], bias: bias, activation: activation, output: output)
                    continue
                }
                let x = graph[graph[matmul].inputs[0]], w = graph[graph[matmul].inputs[1]]
                let (m, k, n) = (rows(x), w.shape[0], w.shape[1])
                Kernels.gemmBiasActivation(transA: false, transB: false, m: m, n: n, k: k,
                                           a: buffers[x.id], lda: k, b: buffers[w.id], ldb: n,
                                           c: buffers[output], ldc: n, accumulate: false,
                                           bias: bias.map { UnsafePointer(buffers[$0]) }, activation: activation)
            case .denseInputGradient(let matmulGradient, let activationGradient):
                let node = graph[matmulGradient]
                guard case .activationGradient(let kind) = graph[activationGradient].op else { continue }
                let w = graph[node.inputs[1]]
                let (m, k, n) = (rows(node), w.shape[0], w.shape[1])
                let dx = buffers[activationGradient]
                Kernels.gemm(transA: false, transB: true, m: m, n: k, k: n, a: buffers[node.inputs[0]], lda: n,
                             b: buffers[w.id], ldb: n, c: dx, ldc: k, accumulate: false)
                Kernels.activationBackwardInParallel(kind, output: buffers[graph[activationGradient].inputs[0]],
                                                     gradient: dx, result: dx, count: m * k)
            case .poolInputGradient(let poolGradient, let activationGradient):
                runPoolInputGradient(graph[poolGradient], activationGradient: graph[activationGradient])
            case .lossAndGradient(let loss, let gradient, let probabilities):
                guard case .loss(let kind, let fromLogits) = graph[loss].op else { continue }
                let inputs = graph[loss].inputs
                buffers[loss][0] = lossScale * lossKernel(kind, fromLogits: fromLogits, prediction: inputs[0],
                                                          target: inputs[1], gradient: buffers[gradient],
                                                          probabilities: probabilities.map { buffers[$0] })
                if lossScale != 1 { scaleGradient(gradient) }
            }
        }
    }

    /// The loss computed by the last run.
    public var loss: Float { graph.loss.map { buffers[$0][0] } ?? .nan }

    // MARK: - Dispatch

    private func rows(_ node: Node) -> Int {
        // reduce over the slice: building an Array here allocated on every step of a sequence model.
        batchSize * node.shape.dropLast().reduce(1, *)
    }

    private func execute(_ node: Node) {
        let y = buffers[node.id]
        func input(_ i: Int) -> UnsafePointer<Float> { UnsafePointer(buffers[node.inputs[i]]) }
        switch node.op {
        case .input, .target, .parameter, .reshape:
            return
        case .matmul:
            let x = graph[node.inputs[0]], w = graph[node.inputs[1]]
            let (m, k, n) = (rows(x), w.shape[0], w.shape[1])
            gemm(false, false, m, n, k, input(0), k, input(1), n, y, n, false)
        case .biasAdd:
            let columns = node.shape.last ?? 1
            biasActivation(input(0), input(1), rows(node), columns, .linear, y)
        case .activation(let kind):
            biasActivation(input(0), nil, rows(node), node.shape.last ?? 1, kind, y)
        case .softmax:
            let columns = node.shape.last ?? 1
            useReference ? Reference.softmax(input(0), rows: rows(node), columns: columns, output: y)
                : Kernels.softmax(input(0), rows: rows(node), columns: columns, output: y)
        case .dropout(let rate):
            let count = node.outputElements(batch: batchSize)
            let mask = y + node.outputElements(batch: batchCapacity)
            let keep = 1 / (1 - rate)
            for i in 0..<count { mask[i] = generator.nextFloat() < rate ? 0 : keep }
            Kernels.multiply(input(0), mask, output: y, count: count)
        case .loss(let kind, let fromLogits):
            y[0] = lossScale * lossKernel(kind, fromLogits: fromLogits, prediction: node.inputs[0], target: node.inputs[1],
                                          gradient: nil)
        case .lossGradient(let kind, let fromLogits):
            _ = lossKernel(kind, fromLogits: fromLogits, prediction: node.inputs[0], target: node.inputs[1], gradient: y)
            if lossScale != 1 { scaleGradient(node.id) }
        case .matmulInputGradient:
            // dX[m, k] = dY[m, n] · W[k, n]ᵀ
            let w = graph[node.inputs[1]]
            let (m, k, n) = (rows(node), w.shape[0], w.shape[1])
            gemm(false, true, m, k, n, input(0), n, input(1), n, y, k, false)
        case .matmulWeightGradient:
            // dW[k, n] = X[m, k]ᵀ · dY[m, n]
            let x = graph[node.inputs[0]]
            let (m, k, n) = (rows(x), node.shape[0], node.shape[1])
            gemm(true, false, k, n, m, input(0), k, input(1), n, y, n, false)
        case .biasGradient:
            let dy = graph[node.inputs[0]]
            let columns = node.shape.last ?? 1
            useReference ? Reference.columnSums(input(0), rows: rows(dy), columns: columns, output: y, accumulate: false)
                : Kernels.columnSumsInParallel(input(0), rows: rows(dy), columns: columns, output: y, accumulate: false)
        case .activationGradient(let kind):
            let count = batchSize * node.elementsPerSample
            useReference ? Reference.activationBackward(kind, output: input(0), gradient: input(1), result: y, count: count)
                : Kernels.activationBackwardInParallel(kind, output: input(0), gradient: input(1), result: y, count: count)
        case .softmaxGradient:
            let columns = node.shape.last ?? 1
            useReference ? Reference.softmaxBackward(output: input(0), gradient: input(1), rows: rows(node), columns: columns, result: y)
                : Kernels.softmaxBackward(output: input(0), gradient: input(1), rows: rows(node), columns: columns, result: y)
        case .dropoutGradient:
            let count = batchSize * node.elementsPerSample
            let mask = buffers[node.inputs[0]] + graph[node.inputs[0]].outputElements(batch: batchCapacity)
            Kernels.multiply(input(1), mask, output: y, count: count)
        case .recurrent, .recurrentGradient, .recurrentWeightGradient, .recurrentBiasGradient, .embedding, .embeddingGradient:
            executeRecurrent(node)
        case .conv2d, .conv2dTranspose, .maxPool2d, .avgPool2d, .upsampling2d, .batchNorm, .layerNorm, .channelScale,
             .sum, .concat, .conv2dInputGradient, .conv2dWeightGradient, .conv2dTransposeInputGradient,
             .conv2dTransposeWeightGradient, .maxPool2dGradient, .avgPool2dGradient, .upsampling2dGradient,
             .batchNormGradient, .layerNormGradient, .channelScaleInputGradient, .channelScaleGradient, .concatGradient:
            executeConvolutional(node)
        case .add:
            let count = node.isBatched ? batchSize * node.elementsPerSample : node.elementsPerSample
            y.update(from: buffers[node.inputs[0]], count: count)
            Kernels.add(input(1), into: y, count: count)
        }
    }

    private func scaleGradient(_ node: NodeID) {
        let y = buffers[node]
        for i in 0..<graph[node].outputElements(batch: batchSize) { y[i] *= lossScale }
    }

    private func gemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool) {
        if useReference {
            Reference.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                           c: c, ldc: ldc, accumulate: accumulate)
        } else {
            Kernels.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb,
                         c: c, ldc: ldc, accumulate: accumulate)
        }
    }

    private func biasActivation(_ x: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?, _ rows: Int, _ columns: Int,
                                _ kind: ActivationKind, _ y: UnsafeMutablePointer<Float>) {
        useReference ? Reference.biasActivation(x, bias: bias, rows: rows, columns: columns, activation: kind, output: y)
            : Kernels.biasActivation(x, bias: bias, rows: rows, columns: columns, activation: kind, output: y)
    }

    /// `probabilities` receives the softmax/sigmoid of logits when given (a fused output activation).
    private func lossKernel(_ kind: LossKind, fromLogits: Bool, prediction: NodeID, target: NodeID,
                            gradient: UnsafeMutablePointer<Float>?, probabilities: UnsafeMutablePointer<Float>? = nil) -> Float {
        let p = UnsafePointer(buffers[prediction]), t = UnsafePointer(buffers[target])
        let node = graph[prediction]
        let columns = node.shape.last ?? 1
        let rows = self.rows(node)
        let count = batchSize * node.elementsPerSample
        switch (kind, fromLogits) {
        case (.meanSquaredError, _):
            return useReference ? Reference.meanSquaredError(prediction: p, target: t, count: count, gradient: gradient)
                : Kernels.meanSquaredError(prediction: p, target: t, count: count, gradient: gradient)
        case (.binaryCrossEntropy, true):
            return useReference ? Reference.sigmoidCrossEntropy(logits: p, target: t, count: count, gradient: gradient, probabilities: probabilities)
                : Kernels.sigmoidCrossEntropy(logits: p, target: t, count: count, gradient: gradient, probabilities: probabilities)
        case (.binaryCrossEntropy, false):
            return useReference ? Reference.binaryCrossEntropy(probabilities: p, target: t, count: count, gradient: gradient)
                : Kernels.binaryCrossEntropy(probabilities: p, target: t, count: count, gradient: gradient)
        case (.categoricalCrossEntropy, true):
            return useReference
                ? Reference.softmaxCrossEntropy(logits: p, target: t, rows: rows, columns: columns, probabilities: probabilities ?? scratch, gradient: gradient)
                : Kernels.softmaxCrossEntropy(logits: p, target: t, rows: rows, columns: columns, probabilities: probabilities ?? scratch, gradient: gradient)
        case (.categoricalCrossEntropy, false):
            return useReference
                ? Reference.categoricalCrossEntropy(probabilities: p, target: t, rows: rows, columns: columns, gradient: gradient)
                : Kernels.categoricalCrossEntropy(probabilities: p, target: t, rows: rows, columns: columns, gradient: gradient)
        case (.sparseCategoricalCrossEntropy, _):
            return useReference
                ? Reference.sparseSoftmaxCrossEntropy(logits: p, labels: t, rows: rows, columns: columns, probabilities: probabilities ?? scratch, gradient: gradient)
                : Kernels.sparseSoftmaxCrossEntropy(logits: p, labels: t, rows: rows, columns: columns, probabilities: probabilities ?? scratch, gradient: gradient)
        }
    }
}
