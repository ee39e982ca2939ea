// The planner fuses what it should and never lets two live buffers share memory.

import Testing
import NNetSyntax
import NNetIR
import NNetPlanner

func lower(_ body: String) throws -> LoweredModel {
    let file = SourceFile(name: "test.nnet", text: "model m {\n\(body)\n}\n")
    let program = Parser.parse(file)
    guard program.diagnostics.isEmpty, case .model(let declaration) = program.statements.first?.kind else {
        throw DiagnosticList(program.diagnostics)
    }
    return try ModelLowering.lower(declaration, constants: ConstantScope()).get()
}

@Suite struct PlannerTests {
    static let mlp = """
        input [784]
        dense 512, activation: relu
        dense 256, activation: relu
        dropout 0.2
        dense 10, activation: softmax
        """

    func trainingPlan(fuse: Bool = true) throws -> Plan {
        let model = try lower(Self.mlp)
        let graph = GraphBuilder.training(model, loss: .sparseCategoricalCrossEntropy, targetShape: [])
        return Planner.plan(graph, batchCapacity: 128, fuse: fuse)
    }

    @Test func denseLayersBecomeGEMMEpilogues() throws {
        let plan = try trainingPlan()
        let dense = plan.steps.filter { if case .dense = $0 { return true } else { return false } }
        #expect(dense.count == 3)
        #expect(plan.steps.contains { if case .dense(_, _, .relu, _) = $0 { return true } else { return false } })
        #expect(plan.steps.contains { if case .lossAndGradient = $0 { return true } else { return false } })
        #expect(plan.steps.contains { if case .denseInputGradient = $0 { return true } else { return false } })
        // matmul and bias-add results fused away own no buffer; the step's last node does.
        let outputs = Set(plan.steps.map(\.output))
        for node in plan.graph.nodes where (node.op == .matmul || node.op == .biasAdd) && !outputs.contains(node.id) {
            #expect(plan.offsets[node.id] == nil)
        }
        for output in outputs { #expect(plan.offsets[output] != nil) }
    }

    /// The model's softmax output is computed by the loss kernel (which needs it anyway), not by a
    /// step of its own; its buffer lives from that step to the end of the run.
    @Test func outputSoftmaxIsWrittenByTheLossStep() throws {
        let plan = try trainingPlan()
        let graph = plan.graph
        #expect(graph[graph.output].op == .softmax)
        #expect(!plan.steps.contains(.single(graph.output)))
        let lossSteps = plan.steps.indices.filter {
            if case .lossAndGradient(_, _, let probabilities) = plan.steps[$0] { return probabilities == graph.output }
            return false
        }
        #expect(lossSteps.count == 1)
        let lifetime = try #require(plan.lifetimes.first { $0.node == graph.output })
        #expect(lifetime.first == lossSteps.first && lifetime.last == plan.steps.count)
    }

    /// A decoder's sigmoid read only through a reshape (a view) is written by the loss step too.
    @Test func outputSigmoidBehindAReshapeIsWrittenByTheLossStep() throws {
        let model = try lower("input [20]\ndense 784, activation: sigmoid\nreshape [28, 28, 1]")
        let graph = GraphBuilder.training(model, loss: .binaryCrossEntropy, targetShape: [28, 28, 1], inputGradient: true)
        let plan = Planner.plan(graph, batchCapacity: 16, fuse: true)
        #expect(graph[graph.output].op == .reshape)
        let sigmoid = try #require(graph.nodes.first { $0.op == .activation(.sigmoid) })
        #expect(!plan.steps.contains(.single(sigmoid.id)))
        #expect(plan.steps.contains {
            if case .lossAndGradient(_, _, let probabilities) = $0 { return probabilities == sigmoid.id }
            return false
        })
    }

    @Test func unfusedPlanRunsEveryNode() throws {
        let plan = try trainingPlan(fuse: false)
        #expect(plan.steps.allSatisfy { if case .single = $0 { return true } else { return false } })
    }

    @Test(arguments: [true, false])
    func liveBuffersNeverOverlap(fuse: Bool) throws {
        let plan = try trainingPlan(fuse: fuse)
        let buffers = plan.lifetimes
        for (i, a) in buffers.enumerated() {
            for b in buffers[(i + 1)...] {
                let timesOverlap = a.first <= b.last && b.first <= a.last
                guard timesOverlap, let oa = plan.offsets[a.node], let ob = plan.offsets[b.node] else { continue }
                let memoryOverlaps = oa < ob + b.size && ob < oa + a.size
                #expect(!memoryOverlaps, "%\(a.node) and %\(b.node) are live together and share memory")
            }
        }
        #expect(buffers.allSatisfy { plan.offsets[$0.node]! + $0.size <= plan.arenaSize })
    }

    @Test func reuseShrinksTheArena() throws {
        let plan = try trainingPlan()
        #expect(plan.arenaSize < plan.unsharedSize)
    }

    @Test func rootsSurviveTheRun() throws {
        let plan = try trainingPlan()
        let graph = plan.graph
        let roots = Set(graph.parameterGradients + [graph.output, graph.loss!])
        for lifetime in plan.lifetimes where roots.contains(lifetime.node) {
            #expect(lifetime.last == plan.steps.count)
        }
    }
}
