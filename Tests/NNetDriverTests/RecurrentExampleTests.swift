// The recurrent examples run end to end on less data and meet their thresholds; the recurrent
// diagnostics (data against an embedding's vocabulary, naive_mse misuse) read well.

import Foundation
import Testing
import NNetDriver

/// Training the examples takes seconds in a release build and ten minutes in a debug one.
#if DEBUG
private let isReleaseBuild = false
#else
private let isReleaseBuild = true
#endif

@Suite struct RecurrentExampleTests {
    func example(_ name: String) throws -> String {
        try String(contentsOf: repositoryRoot.appendingPathComponent("Examples/\(name).nnet"), encoding: .utf8)
    }

    /// `text` with every occurrence of each key replaced, each key required to occur.
    func shrunk(_ text: String, _ replacements: [(String, String)]) -> String {
        var result = text
        for (old, new) in replacements {
            #expect(result.contains(old), "the example no longer contains '\(old)'")
            result = result.replacingOccurrences(of: old, with: new)
        }
        return result
    }

    @Test(.enabled(if: isReleaseBuild, "trains for seconds in release builds (swift test -c release)"))
    func lstmSineBeatsTheNaiveForecast() throws {
        let program = shrunk(try example("lstm_sine"), [("n: 2000", "n: 1000"), ("epochs: 10", "epochs: 6")])
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode == .success, "\(result.standardError)")
        let naive = metric("mse", inLineContaining: "naive_mse on clean.validation", of: result.standardOutput)
        let model = metric("loss", inLineContaining: "evaluate forecaster on waves.validation", of: result.standardOutput)
        #expect(naive != nil && model != nil, "\(result.standardOutput)")
        // The full run ends near 1/25 of the baseline, this shorter one near 1/10.
        #expect((model ?? 1) < 0.25 * (naive ?? 0), "\(result.standardOutput)")
    }

    @Test(.enabled(if: isReleaseBuild, "trains for seconds in release builds (swift test -c release)"))
    func gruClassifiesWaveforms() throws {
        let program = shrunk(try example("gru_sequence"), [("epochs: 20", "epochs: 12")])
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode == .success, "\(result.standardError)")
        let accuracy = metric("accuracy", inLineContaining: "evaluate classifier on shapes.validation", of: result.standardOutput)
        // The full run reaches 0.97; 12 of its 20 epochs about 0.93.
        #expect((accuracy ?? 0) >= 0.9, "\(result.standardOutput)")
    }

    @Test(arguments: ["lstm_sine", "gru_sequence"])
    func everyRecurrentExampleChecks(name: String) throws {
        let result = nnet("check", repositoryRoot.appendingPathComponent("Examples/\(name).nnet").path)
        #expect(result.exitCode == .success, "\(result.standardError)")
        #expect(result.standardOutput.contains("total:"))
    }

    @Test func tokenIdsOutsideTheVocabularyStopBeforeTraining() throws {
        let directory = temporaryDirectory("tokens")
        let csv = directory + "/tokens.csv"
        try "a,b,c,label\n1,2,3,0\n0,4,2,1\n3,3,1,0\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let program = """
            data tokens = csv("\(csv)", target: "label", classes: true)
            model reader {
              input [3]
              embedding 4, 2
              lstm 3
              dense 2, activation: softmax
            }
            train reader on tokens { loss: sparse_categorical_crossentropy, epochs: 1 }
            """
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode != .success)
        #expect(result.standardError.contains("token id 4 (sample 1, position 1) outside the vocabulary 0..<4"),
                "\(result.standardError)")
        #expect(result.standardError.contains("make the vocabulary at least 5"), "\(result.standardError)")
        #expect(!result.standardOutput.contains("epoch"), "no training step may run")
    }
}
