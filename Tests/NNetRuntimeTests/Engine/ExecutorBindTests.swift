// An executor whose input or target is bound to memory outside its arena (a GAN hands the
// generator's output to the discriminator that way) computes exactly what it computes from its
// own buffers, and its views of the input (flatten) follow the binding. Stage: runtime (tests).

import Testing
import NNetIR
import NNetRuntime

@Suite struct ExecutorBindTests {
    @Test func boundInputAndTargetGiveTheSameStepAsCopies() throws {
        let model = try lowerModel("input [2, 3]\nflatten\ndense 5, activation: tanh\ndense 2")
        let graph = GraphBuilder.training(model, loss: .meanSquaredError, targetShape: [2])
        let parameters = ParameterStore(model.parameters)
        parameters.initialize(seed: 4)
        let batch = 7
        var generator = SeededGenerator(seed: 8)
        var inputs = (0..<batch * 6).map { _ in generator.normal() }
        var targets = (0..<batch * 2).map { _ in generator.normal() }

        let copied = Executor(graph: graph, batchCapacity: batch, parameters: parameters)
        copied.buffer(graph.input).update(from: inputs, count: inputs.count)
        copied.buffer(graph.target!).update(from: targets, count: targets.count)
        copied.run(rows: batch)

        let bound = Executor(graph: graph, batchCapacity: batch, parameters: parameters)
        // The arena's own buffers hold NaN: a step that still read them would show it.
        bound.buffer(graph.input).update(repeating: .nan, count: inputs.count)
        bound.buffer(graph.target!).update(repeating: .nan, count: targets.count)
        inputs.withUnsafeMutableBufferPointer { input in
            targets.withUnsafeMutableBufferPointer { target in
                bound.bind(graph.input, to: input.baseAddress!)
                bound.bind(graph.target!, to: target.baseAddress!)
                #expect(bound.buffer(graph.input) == input.baseAddress!)
                bound.run(rows: batch)
            }
        }

        #expect(bound.loss.isFinite && bound.loss == copied.loss)
        func values(_ executor: Executor, _ node: NodeID, _ count: Int) -> [Float] {
            Array(UnsafeBufferPointer(start: executor.buffer(node), count: count))
        }
        #expect(values(bound, graph.output, batch * 2) == values(copied, graph.output, batch * 2))
        for (index, info) in model.parameters.enumerated() {
            let gradient = graph.parameterGradients[index]
            #expect(values(bound, gradient, info.count) == values(copied, gradient, info.count), "gradient of \(info.name)")
        }
    }
}
