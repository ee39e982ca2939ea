// Every op's gradient, as appended by the autodiff pass and run by the executor, against
// central finite differences of the loss.

import Testing
import NNetSyntax
import NNetIR
import NNetKernels
import NNetRuntime

/// Lowers `model m { … }` written in the language.
func lowerModel(_ body: String) throws -> LoweredModel {
    let file = SourceFile(name: "test.nnet", text: "model m {\n\(body)\n}\n")
    let program = Parser.parse(file)
    guard program.diagnostics.isEmpty, case .model(let declaration) = program.statements.first?.kind else {
        throw DiagnosticList(program.diagnostics)
    }
    return try ModelLowering.lower(declaration, constants: ConstantScope()).get()
}

struct GradientCase: CustomStringConvertible, Sendable {
    let name: String
    let layers: String
    let loss: LossKind
    /// Inputs are token ids below this (for an embedding) instead of Gaussian values.
    var tokens: Int? = nil
    var description: String { name }
}

@Suite struct GradientCheckTests {
    static let cases: [GradientCase] = [
        GradientCase(name: "sigmoid hidden, fused softmax + sparse cross-entropy", layers: """
            input [4]
            dense 5, activation: sigmoid
            dense 3, activation: softmax
            """, loss: .sparseCategoricalCrossEntropy),
        GradientCase(name: "tanh hidden, linear output, mse", layers: """
            input [3]
            dense 4, activation: tanh
            dense 2
            """, loss: .meanSquaredError),
        GradientCase(name: "relu + dropout, fused sigmoid + binary cross-entropy", layers: """
            input [4]
            dense 6, activation: relu
            dropout 0.3
            dense 1, activation: sigmoid
            """, loss: .binaryCrossEntropy),
        GradientCase(name: "leaky relu, reshape, per-step dense, flatten, categorical cross-entropy", layers: """
            input [3]
            dense 6, activation: leaky_relu(0.2)
            reshape [2, 3]
            dense 2, bias: false
            flatten
            dense 3, activation: softmax
            """, loss: .categoricalCrossEntropy),
        GradientCase(name: "softmax output under binary cross-entropy (unfused)", layers: """
            input [3]
            dense 4
            activation tanh
            dense 3, activation: softmax
            """, loss: .binaryCrossEntropy),
        GradientCase(name: "sigmoid output under categorical cross-entropy (unfused)", layers: """
            input [3]
            dense 3, activation: sigmoid
            """, loss: .categoricalCrossEntropy),
        GradientCase(name: "linear logits under sparse cross-entropy", layers: """
            input [2]
            dense 4, activation: relu
            dense 3
            """, loss: .sparseCategoricalCrossEntropy),
        // Recurrent layers: last step and every step, one step and several (RecurrentGradientCases.swift).
    ] + RecurrentGradientCases.cases
        // Convolutional layers, pooling, upsampling, normalisation, add/concat (ConvolutionGradientCases.swift).
        + ConvolutionGradientCases.cases

    static let batch = 4

    /// Targets that suit `loss` for a model with `outputShape`.
    static func targets(_ loss: LossKind, outputShape: [Int], generator: inout SeededGenerator,
                        batch: Int = GradientCheckTests.batch) -> (shape: [Int], values: [Float]) {
        let per = elementCount(outputShape)
        let classes = outputShape.last ?? 1
        switch loss {
        case .sparseCategoricalCrossEntropy:
            return ([], (0..<batch).map { _ in Float(generator.nextIndex(below: classes)) })
        case .categoricalCrossEntropy:
            var values = [Float](repeating: 0, count: batch * per)
            for row in 0..<batch { values[row * per + generator.nextIndex(below: per)] = 1 }
            return (outputShape, values)
        case .binaryCrossEntropy:
            return (outputShape, (0..<batch * per).map { _ in generator.nextFloat() < 0.5 ? 0 : 1 })
        case .meanSquaredError:
            return (outputShape, (0..<batch * per).map { _ in generator.normal() })
        }
    }

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ testCase: GradientCase) throws {
        let model = try lowerModel(testCase.layers)
        var generator = SeededGenerator(seed: 5)
        let inputs = (0..<Self.batch * elementCount(model.inputShape)).map { _ in
            testCase.tokens.map { Float(generator.nextIndex(below: $0)) } ?? generator.normal()
        }
        let (targetShape, targets) = Self.targets(testCase.loss, outputShape: model.outputShape, generator: &generator)
        let graph = GraphBuilder.training(model, loss: testCase.loss, targetShape: targetShape)
        let parameters = ParameterStore(model.parameters)
        parameters.initialize(seed: 3)

        // A fresh executor per evaluation with the same seed draws the same dropout mask.
        func run() -> Executor {
            let executor = Executor(graph: graph, batchCapacity: Self.batch, parameters: parameters, seed: 9,
                                    useReference: true)
            inputs.withUnsafeBufferPointer { executor.buffer(graph.input).update(from: $0.baseAddress!, count: $0.count) }
            targets.withUnsafeBufferPointer { executor.buffer(graph.target!).update(from: $0.baseAddress!, count: $0.count) }
            executor.run(rows: Self.batch)
            return executor
        }

        let analytic = run()
        // float32 losses of magnitude ~1 round at ~1e-7, so with a step of 1e-3 the central
        // difference carries ~1e-4 of rounding noise and O(step²) truncation error.
        let step: Float = 1e-3
        // Running statistics (batch_norm) are not trained and have no gradient.
        for (index, info) in model.parameters.enumerated() where info.isTrainable {
            let gradient = analytic.buffer(graph.parameterGradients[index])
            let weights = parameters.pointer(index)
            for element in 0..<info.count {
                let original = weights[element]
                weights[element] = original + step
                let plus = run().loss
                weights[element] = original - step
                let minus = run().loss
                weights[element] = original
                let numeric = (plus - minus) / (2 * step)
                let difference = abs(gradient[element] - numeric)
                #expect(difference <= 1e-3 + 1e-2 * abs(numeric),
                        "\(testCase.name): \(info.name)[\(element)] analytic \(gradient[element]) numeric \(numeric)")
            }
        }
    }

    /// Every op the IR has appears in some checked graph, so a new op without a gradient check fails.
    @Test func theCasesCoverEveryOp() throws {
        var seen = Set<String>()
        for testCase in Self.cases {
            let model = try lowerModel(testCase.layers)
            let targetShape = testCase.loss == .sparseCategoricalCrossEntropy ? [] : model.outputShape
            for node in GraphBuilder.training(model, loss: testCase.loss, targetShape: targetShape).nodes {
                seen.insert(node.op.kindName)
            }
        }
        // `add` only appears where a value has several consumers, which sequential models lack.
        let required = Set(Op.allKindNames).subtracting(["add"])
        #expect(required.subtracting(seen).isEmpty, "ops without a gradient check: \(required.subtracting(seen).sorted())")
    }
}
