// Recurrent kernels (forward, BPTT, recurrent-weight gradient, embedding) against the reference,
// on batch and unit counts around the SIMD width and the GEMM tiles. Stage: kernels (tests).

import Testing
import NNetKernels

struct RecurrentShape: Sendable, CustomStringConvertible {
    let batch: Int, time: Int, units: Int
    init(_ batch: Int, _ time: Int, _ units: Int) { (self.batch, self.time, self.units) = (batch, time, units) }
    var description: String { "batch \(batch) time \(time) units \(units)" }
}

@Suite("Recurrent")
struct RecurrentTests {
    static let cells: [RecurrentCell] = [.simple(.tanh), .simple(.relu), .lstm(.tanh), .lstm(.sigmoid), .gru(.tanh),
                                         .gru(.leakyRelu(alpha: 0.1))]
    static let shapes = [RecurrentShape(1, 1, 1), RecurrentShape(3, 5, 17), RecurrentShape(9, 4, 16),
                         RecurrentShape(17, 3, 33), RecurrentShape(2, 7, 15)]

    /// Everything one layer run produces, fast or reference.
    struct Run {
        var output: [Float], state: [Float], projectionGradient: [Float], recurrentGradient: [Float], weightGradient: [Float]
    }

    static func run(_ cell: RecurrentCell, _ shape: RecurrentShape, sequences: Bool, reference: Bool,
                    pool: ThreadPool? = ThreadPool.shared) -> Run {
        let layout = RecurrentLayout(cell: cell, batch: shape.batch, time: shape.time, units: shape.units)
        var random = TestRandom(seed: 21)
        let rows = shape.batch * shape.time
        let projection = random.floats(rows * layout.width, -1.5, 1.5)
        let kernel = random.floats(shape.units * layout.width, -0.6, 0.6)
        let bias = cell.hasRecurrentBias ? random.floats(layout.width) : nil
        let outputCount = sequences ? rows * shape.units : shape.batch * shape.units
        let dy = random.floats(outputCount)
        var output = [Float](repeating: .nan, count: outputCount)
        var state = [Float](repeating: .nan, count: layout.stateElements)
        var dP = [Float](repeating: .nan, count: rows * layout.width)
        var dR = dP
        var dU = [Float](repeating: .nan, count: shape.units * layout.width)
        var workspace = [Float](repeating: .nan, count: max(layout.forwardWorkspaceElements, layout.backwardWorkspaceElements))
        let isGRU = cell.hasRecurrentBias
        withOptionalPointer(bias) { bias in
            if reference {
                Reference.recurrentForward(layout, projection: projection, recurrentKernel: kernel, recurrentBias: bias,
                                           output: &output, returnSequences: sequences, state: &state, workspace: &workspace)
            } else {
                Kernels.recurrentForward(layout, projection: projection, recurrentKernel: kernel, recurrentBias: bias,
                                         output: &output, returnSequences: sequences, state: &state, workspace: &workspace,
                                         pool: pool)
            }
        }
        dR.withUnsafeMutableBufferPointer { r in
            let recurrent = isGRU ? r.baseAddress! : nil
            if reference {
                Reference.recurrentBackward(layout, state: state, recurrentKernel: kernel, outputGradient: dy,
                                            returnSequences: sequences, projectionGradient: &dP, recurrentGradient: recurrent,
                                            workspace: &workspace)
            } else {
                Kernels.recurrentBackward(layout, state: state, recurrentKernel: kernel, outputGradient: dy,
                                          returnSequences: sequences, projectionGradient: &dP, recurrentGradient: recurrent,
                                          workspace: &workspace, pool: pool)
            }
        }
        let recurrent = isGRU ? dR : dP
        if reference {
            Reference.recurrentWeightGradient(layout, state: state, recurrentGradient: recurrent, result: &dU)
        } else {
            Kernels.recurrentWeightGradient(layout, state: state, recurrentGradient: recurrent, result: &dU)
        }
        return Run(output: output, state: state, projectionGradient: dP, recurrentGradient: isGRU ? dR : [],
                   weightGradient: dU)
    }

    /// Largest |a − b| relative to the largest |b| of the tensor.
    static func scaledError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map(abs).max() ?? 0, 1e-30)
        return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
    }

    /// The fast kernels' polynomial sigmoid/tanh (≤ 4 ulp) and float GEMM sums (the reference
    /// sums in Double) differ by ~1e-6 per step; through a few steps of recurrence and BPTT that
    /// stays under 2e-5 of each tensor's magnitude.
    @Test("forward, BPTT and dU match the reference", arguments: cells, shapes)
    func matchesReference(cell: RecurrentCell, shape: RecurrentShape) {
        for sequences in [false, true] {
            let fast = Self.run(cell, shape, sequences: sequences, reference: false)
            let slow = Self.run(cell, shape, sequences: sequences, reference: true)
            let context = "\(cell) \(shape) sequences \(sequences)"
            #expect(!fast.output.contains { $0.isNaN } && !fast.projectionGradient.contains { $0.isNaN }, "\(context): unwritten")
            #expect(Self.scaledError(fast.output, slow.output) <= 2e-5, "\(context): output")
            #expect(Self.scaledError(fast.state, slow.state) <= 2e-5, "\(context): state")
            #expect(Self.scaledError(fast.projectionGradient, slow.projectionGradient) <= 2e-5, "\(context): dP")
            #expect(Self.scaledError(fast.recurrentGradient, slow.recurrentGradient) <= 2e-5, "\(context): dR")
            #expect(Self.scaledError(fast.weightGradient, slow.weightGradient) <= 2e-5, "\(context): dU")
        }
    }

    /// The batch splits over threads in whole GEMM tiles, so the result does not depend on the pool.
    @Test("results are bitwise identical on one thread and on several", arguments: cells)
    func threadCountIndependent(cell: RecurrentCell) {
        let shape = RecurrentShape(41, 40, 64)
        let pool = ThreadPool(threadCount: 3)
        let single = Self.run(cell, shape, sequences: true, reference: false, pool: nil)
        let multi = Self.run(cell, shape, sequences: true, reference: false, pool: pool)
        #expect(single.output == multi.output && single.state == multi.state)
        #expect(single.projectionGradient == multi.projectionGradient && single.recurrentGradient == multi.recurrentGradient)
    }

    @Test("embedding lookups and their gradient match the reference, out-of-range ids give zero rows")
    func embedding() {
        var random = TestRandom(seed: 5)
        let (vocabulary, dimension) = (7, 17)
        let table = random.floats(vocabulary * dimension)
        let ids: [Float] = [0, 6, 3, 3, 7, -1, 2, 6, .nan, 1]
        let dy = random.floats(ids.count * dimension)
        var fast = [Float](repeating: .nan, count: ids.count * dimension), slow = fast
        Kernels.embedding(ids: ids, count: ids.count, table: table, vocabulary: vocabulary, dimension: dimension, output: &fast)
        Reference.embedding(ids: ids, count: ids.count, table: table, vocabulary: vocabulary, dimension: dimension, output: &slow)
        #expect(fast == slow)
        #expect(Array(fast[dimension..<2 * dimension]) == Array(table[6 * dimension..<7 * dimension]))
        #expect(fast[4 * dimension..<6 * dimension].allSatisfy { $0 == 0 } && fast[8 * dimension..<9 * dimension].allSatisfy { $0 == 0 })
        var fastGradient = [Float](repeating: .nan, count: table.count), slowGradient = fastGradient
        Kernels.embeddingGradient(ids: ids, count: ids.count, outputGradient: dy, vocabulary: vocabulary, dimension: dimension,
                                  result: &fastGradient)
        Reference.embeddingGradient(ids: ids, count: ids.count, outputGradient: dy, vocabulary: vocabulary, dimension: dimension,
                                    result: &slowGradient)
        #expect(fastGradient == slowGradient)
        // Token 3 appears twice: its row is the sum of both gradients.
        #expect(fastGradient[3 * dimension] == dy[2 * dimension] + dy[3 * dimension])
        #expect(fastGradient[4 * dimension..<6 * dimension].allSatisfy { $0 == 0 })
    }
}
