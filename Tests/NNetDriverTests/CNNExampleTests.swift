// Examples/cnn_classifier.nnet end to end on a small generated IDX directory (the real
// Fashion-MNIST run, ≥ 90% test accuracy in 3 epochs, is in docs/performance.md).

import Foundation
import Testing
import NNetDriver
import NNetRuntime

@Suite struct CNNExampleTests {
    func example() throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("Examples/cnn_classifier.nnet"), encoding: .utf8)
    }

    @Test func cnnClassifierLearnsGeneratedImages() throws {
        let directory = temporaryDirectory("fake-fashion-cnn")
        try IDXWriter.writeFakeMNIST(to: directory, trainCount: 2000, testCount: 500, seed: 12)
        let program = try example().replacingOccurrences(of: "/usr/share/datasets/fashion-mnist", with: directory)
        #expect(program.contains(directory), "the example must read its data from one idx(...) path")
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode == .success, "\(result.standardError)")
        let accuracy = metric("accuracy", inLineContaining: "evaluate classifier on fashion.test", of: result.standardOutput)
        #expect((accuracy ?? 0) >= 0.9, "\(result.standardOutput)")
    }

    @Test func cnnClassifierChecks() throws {
        let result = nnet("check", repositoryRoot.appendingPathComponent("Examples/cnn_classifier.nnet").path, "--plan")
        #expect(result.exitCode == .success, "\(result.standardError)")
        #expect(result.standardOutput.contains("conv2d_1      conv2d      [28, 28, 32]         320  3x3, same, relu"))
        #expect(result.standardOutput.contains("max_pool2d_2  max_pool2d  [7, 7, 64]"))
        #expect(result.standardOutput.contains("total: 421,642 parameters"))
        // The first conv2d (one input channel) runs the direct kernel, the second one im2col GEMM,
        // each with its bias and ReLU in the epilogue.
        #expect(result.standardOutput.contains("conv2d (direct, 1 channel) + bias + relu"))
        #expect(result.standardOutput.components(separatedBy: "conv2d (im2col gemm) + bias + relu").count == 2)
    }
}
