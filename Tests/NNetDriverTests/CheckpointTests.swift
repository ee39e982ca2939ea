// Checkpoints through the CLI, in-process: a resumed run reproduces the uninterrupted one's logged
// losses bitwise, changed hyperparameters are reported, changed shapes refused, a finished
// schedule explained, a corrupt newest checkpoint skipped; the settings are validated; the memory
// estimate is printed by `check` and guards `run`.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

/// A small classifier with dropout (so the generator state matters) and a short last batch.
func checkpointProgram(directory: String, epochs: Int, lr: String = "0.01", hidden: Int = 8,
                       extra: String = "") -> String {
    """
    data d = blobs(n: 60, centers: 3, features: 2, seed: 1)
    model m {
      input [2]
      h: dense \(hidden), activation: relu
      dropout 0.3
      dense 3, activation: softmax
    }
    train m on d {
      loss: sparse_categorical_crossentropy
      optimizer: adam(lr: \(lr))
      epochs: \(epochs), batch: 7, seed: 3, metrics: [accuracy]
      checkpoint: "\(directory)"\(extra)
    }
    evaluate m on d
    """
}

/// The `"loss":…,"metrics":{…}` text of each epoch event in a JSON Lines log, as printed.
func loggedEpochs(_ path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        .filter { $0.contains("\"event\":\"epoch\"") }
        .map { line in
            let start = line.range(of: "\"epoch\":")!.lowerBound
            let end = line.range(of: ",\"seconds\"")!.lowerBound
            return String(line[start..<end])
        }
}

@Suite struct CheckpointTests {
    @Test func fourEpochsEqualTwoThenResumedToFour() throws {
        let work = temporaryDirectory("ckpt")
        let straight = writeProgram(checkpointProgram(directory: work + "/a", epochs: 4))
        let a = nnet("run", straight, "--threads", "1", "--log", work + "/a.jsonl")
        #expect(a.exitCode == .success, "\(a.standardError)")

        let first = writeProgram(checkpointProgram(directory: work + "/b", epochs: 2))
        let b1 = nnet("run", first, "--threads", "1", "--log", work + "/b1.jsonl")
        #expect(b1.exitCode == .success, "\(b1.standardError)")
        let second = writeProgram(checkpointProgram(directory: work + "/b", epochs: 4))
        let b2 = nnet("run", second, "--threads", "1", "--log", work + "/b2.jsonl", "--resume")
        #expect(b2.exitCode == .success, "\(b2.standardError)")
        #expect(b2.standardOutput.contains("train m: resuming from \(work)/b/checkpoint-000002.ckpt at epoch 3 (2 of 4 epochs done)"))
        #expect(b2.standardOutput.contains("  epochs 2 -> 4 at epoch 3"))

        let expected = try loggedEpochs(work + "/a.jsonl")
        #expect(expected.count == 4)
        #expect(try loggedEpochs(work + "/b1.jsonl") + loggedEpochs(work + "/b2.jsonl") == expected)
        // The final weights agree too: the evaluations print the same numbers.
        let evaluation = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("evaluate") } }
        #expect(evaluation(a.standardOutput) != nil && evaluation(a.standardOutput) == evaluation(b2.standardOutput))
    }

    @Test func changedHyperparametersAreReportedAndUsed() throws {
        let work = temporaryDirectory("ckpt")
        #expect(nnet("run", writeProgram(checkpointProgram(directory: work, epochs: 2))).exitCode == .success)
        let resumed = nnet("run", writeProgram(checkpointProgram(directory: work, epochs: 3, lr: "0.005")), "--resume",
                           "--log", work + "/log.jsonl")
        #expect(resumed.exitCode == .success, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("  lr 0.01 -> 0.005 at epoch 3"))
        #expect(resumed.standardOutput.contains("  epochs 2 -> 3 at epoch 3"))
        #expect(resumed.standardOutput.contains("m epoch 3/3"))
        #expect(!resumed.standardOutput.contains("m epoch 1/"))
        let log = try String(contentsOfFile: work + "/log.jsonl", encoding: .utf8)
        #expect(log.contains("\"event\":\"resume\""))
        #expect(log.contains("\"changes\":[{\"setting\":\"lr\",\"from\":\"0.01\",\"to\":\"0.005\"},"))
    }

    @Test func changedShapesAreRefusedWithBothShapes() {
        let work = temporaryDirectory("ckpt")
        #expect(nnet("run", writeProgram(checkpointProgram(directory: work, epochs: 1))).exitCode == .success)
        let resumed = nnet("run", writeProgram(checkpointProgram(directory: work, epochs: 2, hidden: 16)), "--resume")
        #expect(resumed.exitCode == .programError)
        let error = resumed.standardError
        #expect(error.contains("error: cannot resume training 'm' from \(work)/checkpoint-000001.ckpt: the model's parameters changed"))
        #expect(error.contains("note: 'h.weight' is [2, 8] in the checkpoint but [2, 16] in the model"))
        #expect(error.contains("note: 'h.bias' is [8] in the checkpoint but [16] in the model"))
        #expect(error.contains("note: 'dense_2.weight' is [8, 3] in the checkpoint but [16, 3] in the model"))
        #expect(!resumed.standardOutput.contains("epoch 2/"))
    }

    @Test func aChangedOptimizerIsRefused() {
        let work = temporaryDirectory("ckpt")
        #expect(nnet("run", writeProgram(checkpointProgram(directory: work, epochs: 1))).exitCode == .success)
        let sgd = checkpointProgram(directory: work, epochs: 2).replacingOccurrences(of: "adam(lr: 0.01)", with: "sgd(lr: 0.01, momentum: 0.9)")
        let resumed = nnet("run", writeProgram(sgd), "--resume")
        #expect(resumed.exitCode == .programError)
        #expect(resumed.standardError.contains("it holds adam state but the optimizer is now sgd with momentum"))
    }

    @Test func aFinishedScheduleSaysHowToExtendIt() {
        let work = temporaryDirectory("ckpt")
        let program = writeProgram(checkpointProgram(directory: work, epochs: 2))
        let first = nnet("run", program)
        let again = nnet("run", program, "--resume")
        #expect(again.exitCode == .success, "\(again.standardError)")
        #expect(again.standardOutput.contains("train m: already finished: 2 of 2 epochs done"))
        #expect(again.standardOutput.contains("raise epochs (e.g. epochs: 4) and run with --resume again"))
        #expect(!again.standardOutput.contains("m epoch"))
        // The checkpoint's weights were loaded: the evaluation matches the first run's.
        let evaluation = { (text: String) in text.split(separator: "\n").first { $0.hasPrefix("evaluate") } }
        #expect(evaluation(first.standardOutput) != nil && evaluation(first.standardOutput) == evaluation(again.standardOutput))
    }

    @Test func aCorruptNewestCheckpointFallsBackToThePreviousOne() throws {
        let work = temporaryDirectory("ckpt")
        let program = writeProgram(checkpointProgram(directory: work + "/c", epochs: 3))
        #expect(nnet("run", program, "--threads", "1", "--log", work + "/full.jsonl").exitCode == .success)
        let newest = work + "/c/checkpoint-000003.ckpt"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: newest))
        let resumed = nnet("run", program, "--threads", "1", "--resume", "--log", work + "/resumed.jsonl")
        #expect(resumed.exitCode == .success, "\(resumed.standardError)")
        #expect(resumed.standardError.contains(
            "warning: \(newest): checksum mismatch: the file is corrupt or truncated; not loaded, falling back to \(work)/c/checkpoint-000002.ckpt"))
        #expect(resumed.standardOutput.contains("resuming from \(work)/c/checkpoint-000002.ckpt at epoch 3"))
        #expect(try loggedEpochs(work + "/resumed.jsonl") == Array(loggedEpochs(work + "/full.jsonl").suffix(1)))
    }

    @Test func resumeWithoutACheckpointStartsOver() {
        let work = temporaryDirectory("ckpt")
        let noSetting = nnet("run", writeProgram("""
            data d = blobs(n: 20, seed: 1)
            model m { input [2]; dense 2, activation: softmax }
            train m on d { loss: sparse_categorical_crossentropy }
            """), "--resume")
        #expect(noSetting.exitCode == .success)
        #expect(noSetting.standardOutput.contains("train m: no 'checkpoint' setting, so nothing to resume; training from the start"))
        let empty = nnet("run", writeProgram(checkpointProgram(directory: work + "/none", epochs: 1)), "--resume")
        #expect(empty.exitCode == .success)
        #expect(empty.standardOutput.contains("train m: no valid checkpoint in \(work)/none; training from the start"))
        #expect(FileManager.default.fileExists(atPath: work + "/none/checkpoint-000001.ckpt"))
    }

    @Test(arguments: [
        ("keep: 2", "'keep' needs a checkpoint directory"),
        ("checkpoint_steps: 5", "'checkpoint_steps' needs a checkpoint directory"),
        ("on_nan: maybe", "on_nan"),
        ("clip_norm: -1", "'clip_norm' of train must be in"),
        ("clip_value: 0", "'clip_value' of train must be in"),
        ("checkpoint: \"\"", "'checkpoint' needs a directory name"),
        ("checkpoint: \"x\", keep: 0", "'keep' of train must be at least 1"),
    ])
    func settingsAreChecked(setting: String, message: String) {
        let result = nnet("check", writeProgram("""
            data d = blobs(n: 20, seed: 1)
            model m { input [2]; dense 2, activation: softmax }
            train m on d { loss: sparse_categorical_crossentropy, \(setting) }
            """))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    @Test func eachTrainStatementNeedsItsOwnDirectory() {
        let result = nnet("check", writeProgram("""
            data d = blobs(n: 20, seed: 1)
            model m { input [2]; dense 2, activation: softmax }
            train m on d { loss: sparse_categorical_crossentropy, checkpoint: "runs/m" }
            train m on d { loss: sparse_categorical_crossentropy, checkpoint: "./runs//m" }
            """))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains("4:67: error: checkpoint directory \"./runs//m\" is already used by an earlier train statement"))
        #expect(result.standardError.contains("3:67: note: used here"))
    }

    @Test func checkPrintsTheMemoryEstimate() {
        let result = nnet("check", writeProgram(checkpointProgram(directory: "unused", epochs: 1)))
        #expect(result.exitCode == .success)
        // Parameters 2·8+8 + 8·3+3 = 51 floats, each tensor padded to 16: 16+16+32+16 = 80 floats = 320 B;
        // Adam keeps two moments per float.
        #expect(result.standardOutput.contains("train m: memory about "))
        #expect(result.standardOutput.contains("(parameters 320 B, optimizer state 640 B, activations for batch 7 "))
        #expect(result.standardOutput.contains("), data not counted"))
    }

    /// Activations of `units` × batch floats several times over: more than the machine has.
    @Test func runRefusesATrainingRunThatCannotFitInMemory() throws {
        let physical = try #require(MemoryEstimate.physicalMemory)
        let units = max(100_000, physical / (4 * 100_000) + 1)
        let result = nnet("run", writeProgram("""
            data d = blobs(n: 100000, seed: 1)
            model m { input [2]; dense \(units), activation: relu; dense 2 }
            train m on d { loss: sparse_categorical_crossentropy, batch: 100000 }
            """))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains("error: training 'm' needs about "))
        #expect(result.standardError.contains("activations for batch 100000"))
        #expect(result.standardError.contains("more than this machine's \(MemoryEstimate.format(physical))"))
    }

    /// Parameters alone (dense layers of 1.6e9 floats, 6.4 GB each) beyond physical memory.
    @Test func runRefusesAModelWhoseParametersCannotFit() throws {
        let physical = try #require(MemoryEstimate.physicalMemory)
        let layers = physical / 6_400_000_000 + 2
        let body = (0..<layers).map { _ in "dense 40000, bias: false" }.joined(separator: "; ")
        let result = nnet("run", writeProgram("model big { input [40000]; \(body) }"))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains("error: model 'big' has "))
        #expect(result.standardError.contains("more than this machine's \(MemoryEstimate.format(physical)) of memory"))
    }

    @Test func resumeIsAnOptionOfRun() throws {
        #expect(try Command.parse(["run", "m.nnet", "--resume"]) == .run(RunOptions(file: "m.nnet", resume: true)))
        let help = nnet("help", "run").standardOutput
        #expect(help.contains("--resume"))
        #expect(help.contains("130"))
    }
}
