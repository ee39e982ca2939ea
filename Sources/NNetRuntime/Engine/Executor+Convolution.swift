// The executor's dispatch of convolutional, pooling, upsampling, normalisation and multi-input
// (sum, concat) nodes to their kernels. Stage: runtime (engine). im2col matrices live in the
// shared scratch (Node.workspaceElements); saved state right after a node's output.

import NNetIR
import NNetKernels

extension Executor {
    /// conv2d + bias + activation as one im2col GEMM with the epilogue (the planner's fused step).
    func runConvolution(_ conv: Node, bias: NodeID?, activation: ActivationKind, output: NodeID) {
        guard case .conv2d(let g) = conv.op else { preconditionFailure("not a convolution: \(conv.op.name)") }
        Kernels.conv2d(buffer(conv.inputs[0]), weights: buffer(conv.inputs[1]), bias: bias.map { UnsafePointer(buffer($0)) },
                       activation: activation, geometry: g, batch: batchSize, output: buffer(output),
                       columns: savedColumns(of: conv.id) ?? scratch)
    }

    /// max_pool2d's input gradient times the gradient of the activation that feeds the pool
    /// (the planner's fused step), written into the activation gradient's buffer.
    func runPoolInputGradient(_ poolGradient: Node, activationGradient: Node) {
        guard case .maxPool2dGradient(let g) = poolGradient.op, case .activationGradient(let kind) = activationGradient.op
        else { preconditionFailure("not a pool gradient: \(poolGradient.op.name)") }
        let pool = poolGradient.inputs[0]
        let argmax = buffer(pool) + graph[pool].outputElements(batch: batchCapacity)
        Kernels.maxPool2dBackward(buffer(poolGradient.inputs[1]), argmax: argmax, geometry: g, batch: batchSize,
                                  result: buffer(activationGradient.id), activationOutput: buffer(activationGradient.inputs[0]),
                                  activation: kind, pooled: buffer(pool))
    }

    /// The column matrix the plan keeps for conv2d `node` or its weight gradient (after the
    /// owner's output and saved state), or nil when it keeps none.
    func savedColumns(of node: NodeID) -> UnsafeMutablePointer<Float>? {
        guard let owner = plan.savedColumns.owners[node] else { return nil }
        let ownerNode = graph[owner]
        return buffer(owner) + ownerNode.outputElements(batch: batchCapacity)
            + ownerNode.stateElements(batch: batchCapacity, in: graph)
    }

    func executeConvolutional(_ node: Node) {
        let y = buffer(node.id)
        let batch = batchSize
        func input(_ i: Int) -> UnsafePointer<Float> { UnsafePointer(buffer(node.inputs[i])) }
        /// What node `id` saved after its output.
        func state(_ id: NodeID) -> UnsafeMutablePointer<Float> { buffer(id) + graph[id].outputElements(batch: batchCapacity) }
        /// (rows, columns) of a node's batch seen as a matrix over its last dimension.
        func matrix(_ id: NodeID) -> (Int, Int) {
            let shape = graph[id].shape
            return (batch * shape.dropLast().reduce(1, *), shape.last ?? 1)
        }
        let reference = useReference
        switch node.op {
        case .conv2d(let g):
            reference ? Reference.conv2d(input(0), weights: input(1), bias: nil, activation: .linear, geometry: g, batch: batch, output: y)
                : Kernels.conv2d(input(0), weights: input(1), bias: nil, activation: .linear, geometry: g, batch: batch,
                                 output: y, columns: savedColumns(of: node.id) ?? scratch)
        case .conv2dInputGradient(let g), .conv2dTranspose(let g):
            // A transposed convolution's forward pass is the input gradient of the conv2d it inverts.
            reference ? Reference.conv2dInputGradient(input(0), weights: input(1), geometry: g, batch: batch, result: y)
                : Kernels.conv2dInputGradient(input(0), weights: input(1), geometry: g, batch: batch, result: y, columns: scratch)
        case .conv2dTransposeInputGradient(let g):
            reference ? Reference.conv2d(input(0), weights: input(1), bias: nil, activation: .linear, geometry: g, batch: batch, output: y)
                : Kernels.conv2d(input(0), weights: input(1), bias: nil, activation: .linear, geometry: g, batch: batch,
                                 output: y, columns: scratch)
        case .conv2dWeightGradient(let g):
            let kept = savedColumns(of: node.id)
            reference ? Reference.conv2dWeightGradient(input(0), outputGradient: input(1), geometry: g, batch: batch, result: y)
                : Kernels.conv2dWeightGradient(input(0), outputGradient: input(1), geometry: g, batch: batch, result: y,
                                               columns: kept ?? scratch, columnsReady: kept != nil)
        case .conv2dTransposeWeightGradient(let g):
            // The inverted conv2d's input is this node's dy, its output gradient this node's x.
            reference ? Reference.conv2dWeightGradient(input(1), outputGradient: input(0), geometry: g, batch: batch, result: y)
                : Kernels.conv2dWeightGradient(input(1), outputGradient: input(0), geometry: g, batch: batch, result: y,
                                               columns: scratch)
        case .maxPool2d(let g):
            reference ? Reference.maxPool2d(input(0), geometry: g, batch: batch, output: y, argmax: state(node.id))
                : Kernels.maxPool2d(input(0), geometry: g, batch: batch, output: y, argmax: state(node.id))
        case .maxPool2dGradient(let g):
            let argmax = UnsafePointer(state(node.inputs[0]))
            reference ? Reference.maxPool2dBackward(input(1), argmax: argmax, geometry: g, batch: batch, result: y)
                : Kernels.maxPool2dBackward(input(1), argmax: argmax, geometry: g, batch: batch, result: y)
        case .avgPool2d(let g):
            reference ? Reference.avgPool2d(input(0), geometry: g, batch: batch, output: y)
                : Kernels.avgPool2d(input(0), geometry: g, batch: batch, output: y)
        case .avgPool2dGradient(let g):
            reference ? Reference.avgPool2dBackward(input(0), geometry: g, batch: batch, result: y)
                : Kernels.avgPool2dBackward(input(0), geometry: g, batch: batch, result: y)
        case .upsampling2d(let a):
            reference ? Reference.upsample2d(input(0), height: a.height, width: a.width, channels: a.channels, factor: a.factor,
                                             interpolation: a.interpolation, batch: batch, output: y)
                : Kernels.upsample2d(input(0), height: a.height, width: a.width, channels: a.channels, factor: a.factor,
                                     interpolation: a.interpolation, batch: batch, output: y)
        case .upsampling2dGradient(let a):
            reference ? Reference.upsample2dBackward(input(0), height: a.height, width: a.width, channels: a.channels,
                                                     factor: a.factor, interpolation: a.interpolation, batch: batch, result: y)
                : Kernels.upsample2dBackward(input(0), height: a.height, width: a.width, channels: a.channels,
                                             factor: a.factor, interpolation: a.interpolation, batch: batch, result: y)
        case .batchNorm(let a):
            executeBatchNorm(node, a, rows: matrix(node.id).0, state: state(node.id))
        case .batchNormGradient(let a):
            let (rows, columns) = matrix(node.id)
            let invStd = UnsafePointer(state(node.inputs[0]) + columns)
            reference ? Reference.batchNormBackward(output: input(0), gradient: input(1), rows: rows, columns: columns,
                                                    inverseStd: invStd, training: a.training, result: y, sums: scratch)
                : Kernels.batchNormBackward(output: input(0), gradient: input(1), rows: rows, columns: columns,
                                            inverseStd: invStd, training: a.training, result: y, sums: scratch)
        case .layerNorm(let epsilon):
            let (rows, columns) = matrix(node.id)
            reference ? Reference.layerNorm(input(0), rows: rows, columns: columns, epsilon: epsilon, output: y, inverseStd: state(node.id))
                : Kernels.layerNorm(input(0), rows: rows, columns: columns, epsilon: epsilon, output: y, inverseStd: state(node.id))
        case .layerNormGradient:
            let (rows, columns) = matrix(node.id)
            let invStd = UnsafePointer(state(node.inputs[0]))
            reference ? Reference.layerNormBackward(output: input(0), gradient: input(1), rows: rows, columns: columns,
                                                    inverseStd: invStd, result: y)
                : Kernels.layerNormBackward(output: input(0), gradient: input(1), rows: rows, columns: columns,
                                            inverseStd: invStd, result: y)
        case .channelScale, .channelScaleInputGradient:
            let (rows, columns) = matrix(node.id)
            reference ? Reference.scaleColumns(input(0), by: input(1), rows: rows, columns: columns, output: y)
                : Kernels.scaleColumns(input(0), by: input(1), rows: rows, columns: columns, output: y)
        case .channelScaleGradient:
            let (rows, columns) = matrix(node.inputs[0])
            reference ? Reference.scaleColumnsGradient(input(0), gradient: input(1), rows: rows, columns: columns, result: y)
                : Kernels.scaleColumnsGradient(input(0), gradient: input(1), rows: rows, columns: columns, result: y)
        case .sum:
            let count = node.outputElements(batch: batch)
            y.update(from: buffer(node.inputs[0]), count: count)
            for i in 1..<node.inputs.count { Kernels.add(input(i), into: y, count: count) }
        case .concat(let axis):
            let (outer, inner) = blocks(node.shape, axis: axis, batch: batch)
            var offset = 0
            for (i, id) in node.inputs.enumerated() {
                let length = graph[id].shape[axis] * inner
                copyBlocks(input(i), sourceStride: length, into: y + offset, destinationStride: node.shape[axis] * inner,
                           length: length, count: outer)
                offset += length
            }
        case .concatGradient(let axis, let offset):
            let whole = graph[node.inputs[0]].shape
            let (outer, inner) = blocks(whole, axis: axis, batch: batch)
            let length = node.shape[axis] * inner
            copyBlocks(input(0) + offset * inner, sourceStride: whole[axis] * inner, into: y, destinationStride: length,
                       length: length, count: outer)
        default:
            preconditionFailure("\(node.op.name) is not a convolutional op")
        }
    }

    /// batch_norm: batch statistics (updating the running ones, inputs 1 and 2) or running ones.
    private func executeBatchNorm(_ node: Node, _ a: BatchNormAttributes, rows: Int, state: UnsafeMutablePointer<Float>) {
        let columns = node.shape.last ?? 1
        let x = UnsafePointer(buffer(node.inputs[0]))
        let (runningMean, runningVariance) = (buffer(node.inputs[1]), buffer(node.inputs[2]))
        let (mean, invStd) = (state, state + columns)
        // Momentum 1 keeps the running statistics exactly: 1·r + 0·batch.
        let momentum = updatesRunningStatistics ? a.momentum : 1
        switch (a.training, useReference) {
        case (true, true):
            Reference.batchNormTraining(x, rows: rows, columns: columns, epsilon: a.epsilon, momentum: momentum,
                                        runningMean: runningMean, runningVariance: runningVariance,
                                        output: buffer(node.id), mean: mean, inverseStd: invStd)
        case (true, false):
            Kernels.batchNormTraining(x, rows: rows, columns: columns, epsilon: a.epsilon, momentum: momentum,
                                      runningMean: runningMean, runningVariance: runningVariance,
                                      output: buffer(node.id), mean: mean, inverseStd: invStd)
        case (false, true):
            Reference.batchNormInference(x, rows: rows, columns: columns, epsilon: a.epsilon, runningMean: runningMean,
                                         runningVariance: runningVariance, output: buffer(node.id), mean: mean,
                                         inverseStd: invStd)
        case (false, false):
            Kernels.batchNormInference(x, rows: rows, columns: columns, epsilon: a.epsilon, runningMean: runningMean,
                                       runningVariance: runningVariance, output: buffer(node.id), mean: mean,
                                       inverseStd: invStd)
        }
    }

    /// A tensor split at `axis` as `outer` blocks of `inner`-float slices per axis position.
    private func blocks(_ shape: [Int], axis: Int, batch: Int) -> (outer: Int, inner: Int) {
        (batch * shape[..<axis].reduce(1, *), shape[(axis + 1)...].reduce(1, *))
    }

    private func copyBlocks(_ source: UnsafePointer<Float>, sourceStride: Int, into destination: UnsafeMutablePointer<Float>,
                            destinationStride: Int, length: Int, count: Int) {
        useReference
            ? Reference.copyBlocks(source, sourceStride: sourceStride, into: destination, destinationStride: destinationStride,
                                   length: length, count: count)
            : Kernels.copyBlocks(source, sourceStride: sourceStride, into: destination, destinationStride: destinationStride,
                                 length: length, count: count)
    }
}
