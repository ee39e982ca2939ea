// How much memory a training run needs, computed from the plan before anything large is
// allocated, so a run that cannot fit stops with the numbers instead of being killed by the
// kernel's OOM killer. Stage: runtime (training).

import Foundation
import NNetIR
import NNetPlanner

/// Bytes a `train` statement needs, by part.
public struct MemoryEstimate: Sendable, Equatable {
    public var parameters: Int
    public var optimizerState: Int
    /// The training step's arena (activations, gradients, saved state) and scratch, for `batch` rows.
    public var activations: Int
    public var batch: Int
    /// The evaluation arena for the validation split, when one is given.
    public var validation: Int
    /// The training data in memory, when known (`nnet check` reads no data).
    public var data: Int?

    public var total: Int { parameters + optimizerState + activations + validation + (data ?? 0) }

    /// Plans the training step (and the validation pass) without allocating their buffers.
    public static func training(_ model: LoweredModel, loss: LossKind, targetShape: [Int], batch: Int,
                                optimizer: OptimizerSettings, dataBytes: Int? = nil, validationSamples: Int? = nil,
                                useReference: Bool = false) -> MemoryEstimate {
        let store = model.parameters.reduce(0) { $0 + (($1.count + 15) & ~15) }
        let graph = GraphBuilder.training(model, loss: loss, targetShape: targetShape)
        var validation = 0
        if let samples = validationSamples, samples > 0 {
            let evaluation = GraphBuilder.evaluation(model, loss: loss, targetShape: targetShape)
            validation = arenaBytes(evaluation, batch: min(256, samples), useReference: useReference)
        }
        return MemoryEstimate(parameters: 4 * store, optimizerState: 4 * store * optimizer.stateSlots,
                              activations: arenaBytes(graph, batch: batch, useReference: useReference),
                              batch: batch, validation: validation, data: dataBytes)
    }

    static func arenaBytes(_ graph: Graph, batch: Int, useReference: Bool) -> Int {
        let capacity = max(batch, 1)
        let plan = Planner.plan(graph, batchCapacity: capacity, fuse: !useReference)
        let scratch = graph.nodes.map { $0.workspaceElements(batch: capacity, in: graph) }.max() ?? 1
        return 4 * (plan.arenaSize + scratch)
    }

    /// The machine's physical memory in bytes (sysconf), or nil when unknown.
    public static var physicalMemory: Int? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: size)
        return overflow ? Int.max : bytes
    }

    /// `about 1.2 GiB (parameters 4.0 MiB, optimizer state 8.0 MiB, activations for batch 32
    /// 1.1 GiB, data 60 MiB)`.
    public var description: String {
        var parts = ["parameters \(Self.format(parameters))"]
        if optimizerState > 0 { parts.append("optimizer state \(Self.format(optimizerState))") }
        parts.append("activations for batch \(batch) \(Self.format(activations))")
        if validation > 0 { parts.append("validation \(Self.format(validation))") }
        if let data { parts.append("data \(Self.format(data))") }
        return "about \(Self.format(total)) (" + parts.joined(separator: ", ") + ")"
    }

    /// Binary units with three significant digits: `512 B`, `1.50 KiB`, `23.4 MiB`, `105 GiB`.
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let decimals = value < 9.995 ? 2 : (value < 99.95 ? 1 : 0)
        return String(format: "%.\(decimals)f ", value) + units[unit]
    }
}
