// The convolutional plan: max-pool gradients absorb the activation gradient before them, and
// each im2col conv2d's column matrix is kept (in its step's buffer, live until its weight gradient runs)
// instead of being rebuilt. Stage: planner (tests).

import Testing
import NNetIR
import NNetKernels
import NNetPlanner

@Suite struct ConvolutionPlanTests {
    static let classifier = """
        input [28, 28, 1]
        conv2d 32, kernel: 3, padding: same, activation: relu
        max_pool2d 2
        conv2d 48, kernel: 3, padding: same, activation: relu
        max_pool2d 2
        flatten
        dense 10, activation: softmax
        """
    // 48 filters are not whole 32-channel strips, so the second layer is an im2col GEMM and keeps
    // its columns (with 64 it would be an implicit GEMM, which builds none).

    func plan(fuse: Bool) throws -> Plan {
        let graph = GraphBuilder.training(try lower(Self.classifier), loss: .sparseCategoricalCrossEntropy, targetShape: [])
        return Planner.plan(graph, batchCapacity: 16, fuse: fuse)
    }

    @Test func poolGradientsAbsorbTheReluGradient() throws {
        let plan = try plan(fuse: true)
        let fused = plan.steps.filter { if case .poolInputGradient = $0 { return true } else { return false } }
        #expect(fused.count == 2)
        #expect(!plan.steps.contains { step in
            if case .single(let id) = step, case .activationGradient = plan.graph[id].op { return true }
            return false
        })
    }

    @Test func columnsAreKeptUntilTheWeightGradient() throws {
        let plan = try plan(fuse: true)
        #expect(Set(plan.savedColumns.owners.values).count == 1, "only the 48-filter layer keeps columns")
        let graph = plan.graph
        let weightGradients = graph.nodes.filter { if case .conv2dWeightGradient = $0.op { return true } else { return false } }
        #expect(weightGradients.count == 2)
        for gradient in weightGradients {
            guard case .conv2dWeightGradient(let g) = gradient.op else { continue }
            if !Kernels.keepsColumns(g) {
                // The first layer is convolved directly (Kernels.convolvesDirectly): no matrix to keep.
                #expect(plan.savedColumns.owners[gradient.id] == nil, "%\(gradient.id) keeps columns nobody builds")
                continue
            }
            guard let owner = plan.savedColumns.owners[gradient.id] else {
                Issue.record("%\(gradient.id) reads no kept columns")
                continue
            }
            let kept = g.columnElements(batch: 16)
            #expect(plan.savedColumns.sizes[owner] == kept)
            let step = plan.steps.firstIndex { $0.output == gradient.id }!
            let lifetime = plan.lifetimes.first { $0.node == owner }!
            #expect(lifetime.last >= step, "the columns' buffer must live until %\(gradient.id) runs")
            #expect(lifetime.size >= graph[owner].outputElements(batch: 16) + kept)
        }
    }

    @Test(arguments: [true, false])
    func liveBuffersNeverOverlap(fuse: Bool) throws {
        let plan = try plan(fuse: fuse)
        for (i, a) in plan.lifetimes.enumerated() {
            for b in plan.lifetimes[(i + 1)...] where a.first <= b.last && b.first <= a.last {
                guard let oa = plan.offsets[a.node], let ob = plan.offsets[b.node] else { continue }
                #expect(!(oa < ob + b.size && ob < oa + a.size), "%\(a.node) and %\(b.node) are live together and share memory")
            }
        }
    }

    @Test func theReferencePlanKeepsNothing() throws {
        #expect(try plan(fuse: false).savedColumns == .none)
    }
}
