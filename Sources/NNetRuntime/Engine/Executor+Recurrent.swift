// The executor's dispatch of recurrent and embedding nodes to their kernels. Stage: runtime
// (engine). Saved state lives right after a node's output, sized for the batch capacity.

import NNetIR
import NNetKernels

extension Executor {
    func executeRecurrent(_ node: Node) {
        let y = buffer(node.id)
        func input(_ i: Int) -> UnsafePointer<Float> { UnsafePointer(buffer(node.inputs[i])) }
        /// What node `id` saved after its output.
        func state(_ id: NodeID) -> UnsafeMutablePointer<Float> { buffer(id) + graph[id].outputElements(batch: batchCapacity) }
        switch node.op {
        case .recurrent(_, let sequences):
            let layout = node.recurrentLayout(batch: batchSize, in: graph)
            let bias = node.inputs.count > 2 ? input(2) : nil
            if useReference {
                Reference.recurrentForward(layout, projection: input(0), recurrentKernel: input(1), recurrentBias: bias,
                                           output: y, returnSequences: sequences, state: state(node.id), workspace: scratch)
            } else {
                Kernels.recurrentForward(layout, projection: input(0), recurrentKernel: input(1), recurrentBias: bias,
                                         output: y, returnSequences: sequences, state: state(node.id), workspace: scratch)
            }
        case .recurrentGradient(let cell, let sequences):
            let layout = node.recurrentLayout(batch: batchSize, in: graph)
            let forward = UnsafePointer(state(node.inputs[0]))
            let recurrentGradient = cell.hasRecurrentBias ? state(node.id) : nil
            if useReference {
                Reference.recurrentBackward(layout, state: forward, recurrentKernel: input(1), outputGradient: input(2),
                                            returnSequences: sequences, projectionGradient: y,
                                            recurrentGradient: recurrentGradient, workspace: scratch)
            } else {
                Kernels.recurrentBackward(layout, state: forward, recurrentKernel: input(1), outputGradient: input(2),
                                          returnSequences: sequences, projectionGradient: y,
                                          recurrentGradient: recurrentGradient, workspace: scratch)
            }
        case .recurrentWeightGradient(let cell):
            let layout = node.recurrentLayout(batch: batchSize, in: graph)
            let forward = UnsafePointer(state(node.inputs[0]))
            let dR = cell.hasRecurrentBias ? UnsafePointer(state(node.inputs[1])) : input(1)
            useReference ? Reference.recurrentWeightGradient(layout, state: forward, recurrentGradient: dR, result: y)
                : Kernels.recurrentWeightGradient(layout, state: forward, recurrentGradient: dR, result: y)
        case .recurrentBiasGradient:
            let layout = node.recurrentLayout(batch: batchSize, in: graph)
            let dR = UnsafePointer(state(node.inputs[0]))
            let rows = layout.batch * layout.time
            useReference ? Reference.columnSums(dR, rows: rows, columns: layout.width, output: y, accumulate: false)
                : Kernels.columnSumsInParallel(dR, rows: rows, columns: layout.width, output: y, accumulate: false)
        case .embedding:
            let table = graph[node.inputs[1]]
            let count = batchSize * graph[node.inputs[0]].elementsPerSample
            useReference
                ? Reference.embedding(ids: input(0), count: count, table: input(1), vocabulary: table.shape[0],
                                      dimension: table.shape[1], output: y)
                : Kernels.embedding(ids: input(0), count: count, table: input(1), vocabulary: table.shape[0],
                                    dimension: table.shape[1], output: y)
        case .embeddingGradient:
            let count = batchSize * graph[node.inputs[0]].elementsPerSample
            useReference
                ? Reference.embeddingGradient(ids: input(0), count: count, outputGradient: input(1), vocabulary: node.shape[0],
                                              dimension: node.shape[1], result: y)
                : Kernels.embeddingGradient(ids: input(0), count: count, outputGradient: input(1), vocabulary: node.shape[0],
                                            dimension: node.shape[1], result: y)
        default:
            preconditionFailure("\(node.op.name) is not a recurrent or embedding op")
        }
    }
}
