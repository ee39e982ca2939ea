// `data name = samples(pairing, n: N)` and `predict classifier on name, summary: true`: images
// drawn from a GAN's generator or a VAE's decoder become a dataset a classifier can judge (how
// the predicted classes spread, how confident they are); the pairings work from the REPL.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

@Suite struct GeneratedSamplesTests {
    static let models = """
        model g {
          input [8]
          dense 16, activation: relu
          dense 36, activation: sigmoid
          reshape [6, 6, 1]
        }
        model d {
          input [6, 6, 1]
          flatten
          dense 1, activation: sigmoid
        }
        model classifier {
          input [6, 6, 1]
          flatten
          dense 4, activation: softmax
        }
        gan pair { generator: g, discriminator: d, noise: uniform(8) }

        """

    @Test func aClassifierSummarisesGeneratedImages() throws {
        let log = temporaryDirectory("samples") + "/log.jsonl"
        let result = nnet("run", writeProgram(Self.models + """
            data generated = samples(pair, n: 50, seed: 4)
            print generated
            predict classifier on generated, count: 50, summary: true
            predict classifier on generated.train, count: 2
            """), "--log", log)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let output = result.standardOutput
        #expect(output.contains("generated.train: 50 samples of [6, 6, 1]"), "\(output)")
        #expect(output.contains("predict classifier on generated.train: 50 samples"))
        let counts = numbers(after: "classes:", in: output)
        // "0: n0, 1: n1, ...": class indices and counts alternate; the counts add up to the samples.
        #expect(counts.count == 8 && stride(from: 1, to: 8, by: 2).map { counts[$0] }.reduce(0, +) == 50, "\(counts)")
        #expect(output.contains("mean top probability"))
        // Generated samples have no labels: predictions are shown alone.
        let lines = output.split(separator: "\n").filter { $0.contains("[0] class") || $0.contains("[1] class") }
        #expect(lines.count == 2 && lines.allSatisfy { !$0.contains("label") }, "\(output)")
        let summary = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            .first { $0.contains("\"predict_summary\"") }
        let event = try #require(summary.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] })
        #expect((event["class_counts"] as? [Int])?.reduce(0, +) == 50)
        let top = try #require(event["mean_top_probability"] as? Double)
        #expect(top >= 0.25 && top <= 1, "a top probability over 4 classes is at least 1/4")
        let largest = try #require(event["largest_class_fraction"] as? Double)
        #expect(largest >= 0.25 && largest <= 1)
    }

    @Test func samplesAreDrawnWhenTheStatementRunsAndRepeatWithTheSeed() {
        let result = nnet("run", writeProgram(Self.models + """
            data a = samples(pair, n: 3, seed: 7)
            data b = samples(pair, n: 3, seed: 7)
            data c = samples(pair, n: 3, seed: 8)
            predict classifier on a, count: 3
            predict classifier on b, count: 3
            predict classifier on c, count: 3
            """))
        #expect(result.exitCode == .success, "\(result.standardError)")
        let blocks = result.standardOutput.components(separatedBy: "predict classifier on ").dropFirst()
            .map { $0.split(separator: "\n").dropFirst().joined(separator: "\n") }
        #expect(blocks.count == 3 && blocks[0] == blocks[1] && blocks[0] != blocks[2], "\(result.standardOutput)")
    }

    @Test func mistakesAreReportedWithTheirPlace() {
        let unknown = nnet("check", writeProgram(Self.models + "data x = samples(pari, n: 10)\n", name: "unknown.nnet"))
        #expect(unknown.exitCode == .programError)
        #expect(unknown.standardError.contains("unknown.nnet:18:18: error: unknown gan or vae 'pari'"), "\(unknown.standardError)")
        #expect(unknown.standardError.contains("did you mean 'pair'?"))

        let autoencoder = nnet("check", writeProgram(Self.models + """
            model e { input [6, 6, 1]; flatten; dense 8 }
            autoencoder ae { encoder: e, decoder: g }
            data x = samples(ae, n: 10)
            """, name: "ae.nnet"))
        #expect(autoencoder.standardError.contains("ae.nnet:20:18: error: autoencoder 'ae' has no prior to sample from"),
                "\(autoencoder.standardError)")

        let notAClassifier = nnet("check", writeProgram(Self.models + """
            data x = samples(pair, n: 10)
            predict d on x, count: 10, summary: true
            """, name: "summary.nnet"))
        #expect(notAClassifier.standardError.contains("summary.nnet:19:37: error: 'summary' needs a classifier"),
                "\(notAClassifier.standardError)")

        let missingCount = nnet("check", writeProgram(Self.models + "data x = samples(pair)\n", name: "count.nnet"))
        #expect(missingCount.standardError.contains("count.nnet:18:10:"), "\(missingCount.standardError)")
        #expect(missingCount.standardError.contains("'n'"))
    }
}

@Suite struct GenerativeReplTests {
    @Test func pairingsTrainSampleAndEvaluateFromTheRepl() throws {
        let directory = temporaryDirectory("repl-generative")
        let (console, captured) = Console.capturing()
        let session = ReplSession(seed: 1, console: console)
        session.handle("data images = blobs(n: 64, features: 16, centers: 2, seed: 3)")
        session.handle("model g { input [4]; dense 16, activation: sigmoid; reshape [4, 4, 1] }")
        session.handle("model d { input [4, 4, 1]; flatten; dense 1, activation: sigmoid }")
        // One-line pairings and samples are statements, not expressions.
        session.handle("gan pair { generator: g, discriminator: d }")
        session.handle("train pair on images { epochs: 2, batch: 16 }")
        #expect(captured.standardOutput.contains("pair epoch 2/2: loss_d"), "\(captured.standardOutput)\(captured.standardError)")
        session.handle("sample pair to \"\(directory)/gan.png\", count: 4")
        #expect(captured.standardOutput.contains("sample pair: wrote 4 images"))
        session.handle("model e { input [4, 4, 1]; flatten; dense 4 }")
        session.handle("model dec { input [2]; dense 16, activation: sigmoid; reshape [4, 4, 1] }")
        session.handle("vae v { encoder: e, decoder: dec }")
        session.handle("train v on images { epochs: 2, batch: 16 }")
        #expect(captured.standardOutput.contains("v epoch 2/2: loss"))
        session.handle("evaluate v on images")
        #expect(captured.standardOutput.contains("evaluate v on images.train: loss"))
        session.handle("data drawn = samples(v, n: 5)")
        session.handle("drawn")
        #expect(captured.standardOutput.contains("drawn.train: 5 samples of [4, 4, 1]"))
        // Redefining the generator and training again trains the new model.
        session.handle("model g { input [4]; dense 16, activation: relu; reshape [4, 4, 1] }")
        session.handle("train pair on images { epochs: 1, batch: 16 }")
        #expect(captured.standardOutput.contains("pair epoch 1/1: loss_d"))
        #expect(captured.standardError.isEmpty, "\(captured.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory + "/gan.png"))
    }
}
