// NaN and infinity during training: the first non-finite tensor is reported with its kind, its
// layer and the layer's source line (exit code 2); no checkpoint with NaN is written; on_nan: skip
// skips such steps with a warning; clip_norm keeps a diverging run finite.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

@Suite struct NumericalFaultTests {
    /// A one-weight linear model whose weight is trained to 1 and saved, then loaded where one
    /// sample of size `x` makes the step overflow in a chosen place.
    func unitWeightRun(x: String, optimizer: String, work: String) -> CommandResult {
        let weights = work + "/unit.weights"
        let fit = nnet("run", writeProgram("""
            data line = linear(n: 20, weights: [1], seed: 1)
            model m { input [1]; dense 1, bias: false }
            train m on line { loss: mse, optimizer: gd(lr: 0.5), epochs: 100 }
            save m to "\(weights)"
            """))
        #expect(fit.exitCode == .success, "\(fit.standardError)")
        try! "x,y\n\(x),0\n".write(toFile: work + "/one.csv", atomically: true, encoding: .utf8)
        return nnet("run", writeProgram("""
            data d = csv("\(work)/one.csv")
            model m {
              input [1]
              dense 1, bias: false
            }
            load m from "\(weights)"
            train m on d { loss: mse, optimizer: \(optimizer), epochs: 1, batch: 1 }
            """))
    }

    @Test func anActivationIsReportedAtItsLayer() {
        let result = nnet("run", writeProgram("""
            data d = blobs(n: 64, centers: 2, features: 2, seed: 1, scale: 1e30)
            model m {
              input [2]
              h: dense 8, activation: relu
              dense 2, activation: softmax
            }
            train m on d {
              loss: sparse_categorical_crossentropy
              optimizer: sgd(lr: 0.1)
              epochs: 2, batch: 8, seed: 3
            }
            """))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains(
            "program.nnet:4:3: error: training 'm' stopped at epoch 1, step 2: the activation of layer 'h' (dense) became -inf (matmul)"),
            "\(result.standardError)")
        #expect(result.standardError.contains("program.nnet:7:1: note: while training 'm' here"))
        #expect(result.standardError.contains("help: try a smaller learning rate, clip_norm: 1.0"))
    }

    /// x = 1.5e19, w = 1: the loss x² = 2.25e38 is finite, its gradient 2x² = 4.5e38 is not.
    @Test func aGradientIsReportedAtItsLayer() {
        let result = unitWeightRun(x: "1.5e19", optimizer: "sgd(lr: 0.001)", work: temporaryDirectory("fault"))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains(
            "program.nnet:4:3: error: training 'm' stopped at epoch 1, step 1: the gradient of layer 'dense_1' (dense) became inf "
                + "(matmul_grad_weight, the gradient of dense_1.weight)"), "\(result.standardError)")
    }

    /// x = 1.5e16: the gradient 4.5e32 is finite, but lr 1e6 times it is not.
    @Test func aParameterIsReportedAtItsLayer() {
        let result = unitWeightRun(x: "1.5e16", optimizer: "sgd(lr: 1000000)", work: temporaryDirectory("fault"))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains(
            "program.nnet:4:3: error: training 'm' stopped at epoch 1, step 1: parameter 'dense_1.weight' became -inf"),
            "\(result.standardError)")
        #expect(result.standardError.contains("help: try a smaller learning rate, or clip_norm: 1.0"))
    }

    @Test func nonFiniteDataIsReportedAtTheDataset() {
        let result = nnet("run", writeProgram("""
            data d = blobs(n: 16, seed: 1, scale: 1e38)
            model m { input [2]; dense 2, activation: softmax }
            train m on d { loss: sparse_categorical_crossentropy }
            """))
        #expect(result.exitCode == .trainingFailed)
        // The 16 samples form one batch, which is not shuffled: its first non-finite value is -inf.
        #expect(result.standardError.contains("program.nnet:3:12: error: training 'm' stopped at epoch 1, step 1: the input data holds -inf"),
                "\(result.standardError)")
        #expect(result.standardError.contains("help: check the dataset for NaN or infinite values"))
    }

    /// The run fails at step 2; the checkpoint after step 1 stays, the only one, and finite.
    @Test func theLastGoodCheckpointIsKeptAndNoneWithNaNIsWritten() throws {
        let work = temporaryDirectory("fault")
        let result = nnet("run", writeProgram("""
            data d = blobs(n: 64, centers: 2, features: 2, seed: 1, scale: 1e30)
            model m { input [2]; h: dense 8, activation: relu; dense 2, activation: softmax }
            train m on d {
              loss: sparse_categorical_crossentropy, optimizer: sgd(lr: 0.1), epochs: 2, batch: 8, seed: 3
              checkpoint: "\(work)", checkpoint_steps: 1
            }
            """))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains("note: the last good checkpoint in \(work) was kept (nothing with NaN is saved)"))
        let files = try CheckpointDirectory(work, create: false).files()
        #expect(files.map(\.sequence) == [1])
        let checkpoint = try CheckpointFile.read(from: files[0].path)
        #expect(checkpoint.isFinite && checkpoint.position.stepsDone == 1)
    }

    /// One sample in ten is 1e30 (its loss overflows); the others fit y = 2x.
    @Test func skipModeSkipsBadStepsAndGoesOn() throws {
        let work = temporaryDirectory("fault")
        let rows = (0..<9).map { "\(Double($0) / 4 - 1),\(Double($0) / 2 - 2)" } + ["1e30,0"]
        try ("x,y\n" + rows.joined(separator: "\n") + "\n").write(toFile: work + "/data.csv", atomically: true, encoding: .utf8)
        let result = nnet("run", writeProgram("""
            data d = csv("\(work)/data.csv")
            model m { input [1]; dense 1 }
            train m on d {
              loss: mse, optimizer: sgd(lr: 0.1), epochs: 3, batch: 1, on_nan: skip
              checkpoint: "\(work)/ckpt", checkpoint_steps: 1, keep: 100
            }
            """), "--log", work + "/log.jsonl")
        #expect(result.exitCode == .success, "\(result.standardError)")
        let warnings = result.standardError.split(separator: "\n").filter { $0.hasPrefix("warning: skipped epoch") }
        #expect(warnings.count == 3, "\(result.standardError)")
        #expect(warnings.allSatisfy { $0.contains(": the loss became inf") })
        #expect(result.standardOutput.contains("m epoch 3/3"))
        let log = try String(contentsOfFile: work + "/log.jsonl", encoding: .utf8)
        #expect(log.components(separatedBy: "\"event\":\"skipped\"").count == 4)
        // Every step wrote a checkpoint, skipped ones too, and all hold finite values.
        let files = try CheckpointDirectory(work + "/ckpt", create: false).files()
        #expect(files.count == 30 + 3)
        #expect(try files.allSatisfy { try CheckpointFile.read(from: $0.path).isFinite })
    }

    @Test func skipModeStillStopsWhenAWholeEpochIsSkipped() {
        let path = repositoryRoot.appendingPathComponent("Tests/NNetDriverTests/Cases/diagnostics/nan_loss.nnet").path
        let program = try! String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "epochs: 50, batch: 8", with: "epochs: 50, batch: 8, on_nan: skip")
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains("error: training 'm' stopped: every step of epoch 2 was skipped"))
        #expect(result.standardError.contains("(further skipped steps are logged only)"))
    }

    /// The golden nan_loss case diverges with sgd(lr: 10); clipping the gradient norm keeps it finite.
    @Test func clipNormKeepsADivergingRunFinite() {
        let path = repositoryRoot.appendingPathComponent("Tests/NNetDriverTests/Cases/diagnostics/nan_loss.nnet").path
        let program = try! String(contentsOfFile: path, encoding: .utf8)
        #expect(nnet("run", writeProgram(program)).exitCode == .trainingFailed)
        for clip in ["clip_norm: 1.0", "clip_value: 0.1"] {
            let clipped = nnet("run", writeProgram(program.replacingOccurrences(of: "batch: 8", with: "batch: 8, \(clip)")))
            #expect(clipped.exitCode == .success, "\(clip): \(clipped.standardError)")
        }
    }
}
