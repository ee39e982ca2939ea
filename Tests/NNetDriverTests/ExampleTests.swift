// Every example runs end to end and meets its threshold. Fashion-MNIST is replaced by a small
// generated IDX directory so the tests need no installed dataset.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

@Suite struct ExampleTests {
    func example(_ name: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("Examples/\(name).nnet"), encoding: .utf8)
    }

    @Test func linearRegressionRecoversSlopeAndIntercept() throws {
        let result = nnet("run", repositoryRoot.appendingPathComponent("Examples/linear_regression.nnet").path)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let weight = numbers(after: "line.fit.weight", in: result.standardOutput)
        let bias = numbers(after: "line.fit.bias", in: result.standardOutput)
        #expect(weight.count == 1 && bias.count == 1)
        #expect(abs(weight[0] - 2) < 0.1, "weight \(weight)")
        #expect(abs(bias[0] - 1) < 0.1, "bias \(bias)")
    }

    @Test func multivariateRegressionRecoversEveryWeight() throws {
        let result = nnet("run", repositoryRoot.appendingPathComponent("Examples/multivariate_regression.nnet").path)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let weights = numbers(after: "plane.fit.weight", in: result.standardOutput)
        let bias = numbers(after: "plane.fit.bias", in: result.standardOutput)
        #expect(weights.count == 2 && bias.count == 1)
        #expect(abs(weights[0] - 2) < 0.1 && abs(weights[1] - 3) < 0.1, "weights \(weights)")
        #expect(abs(bias[0] - 1) < 0.1, "bias \(bias)")
    }

    @Test func logisticRegressionSeparatesTheBlobs() throws {
        let result = nnet("run", repositoryRoot.appendingPathComponent("Examples/logistic_regression.nnet").path)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let accuracy = metric("accuracy", inLineContaining: "evaluate logistic on blobs.test", of: result.standardOutput)
        #expect((accuracy ?? 0) >= 0.95, "\(result.standardOutput)")
    }

    @Test func mlpClassifierLearnsGeneratedImages() throws {
        let directory = temporaryDirectory("fake-fashion")
        try IDXWriter.writeFakeMNIST(to: directory, trainCount: 2000, testCount: 500, seed: 11)
        let program = try example("mlp_classifier")
            .replacingOccurrences(of: "/usr/share/datasets/fashion-mnist", with: directory)
        #expect(program.contains(directory), "the example must read its data from one idx(...) path")
        let log = directory + "/log.jsonl"
        let result = nnet("run", writeProgram(program), "--log", log)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let accuracy = metric("accuracy", inLineContaining: "evaluate classifier on fashion.test", of: result.standardOutput)
        #expect((accuracy ?? 0) >= 0.9, "\(result.standardOutput)")
        // The log holds one epoch event per epoch and the evaluation, each valid JSON.
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let events = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(events.filter { $0["event"] as? String == "epoch" }.count == 5)
        #expect(events.last?["event"] as? String == "evaluate")
        #expect(events.last?["dataset"] as? String == "fashion.test")
    }

    @Test(arguments: ["linear_regression", "multivariate_regression", "logistic_regression", "mlp_classifier"])
    func everyExampleChecks(name: String) throws {
        let result = nnet("check", repositoryRoot.appendingPathComponent("Examples/\(name).nnet").path)
        #expect(result.exitCode == .success, "\(result.standardError)")
        #expect(result.standardOutput.contains("total:"))
    }
}
