// Checkpoints, resume, NaN provenance and clipping for `gan`, `vae` and `autoencoder` training,
// in-process: 2 epochs + resume + 2 reproduce 4 epochs bitwise (every logged loss and the final
// weights), changes are reported, changed shapes refused, a finished schedule explained; a NaN
// names the pairing, the model, the layer and its source line; the settings are checked.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

/// A small pairing with dropout in both models (so every generator's state matters); 6 steps an
/// epoch, the autoencoders' last one short (90 samples, batch 16).
func pairingProgram(_ kind: String, directory: String, epochs: Int, hidden: Int = 8, lr: String = "0.01",
                    extra: String = "", samples: Int = 96) -> String {
    let settings = "epochs: \(epochs), batch: 16, seed: 7, checkpoint: \"\(directory)\", checkpoint_steps: 2\(extra)"
    if kind == "gan" {
        return """
            data d = blobs(n: \(samples), centers: 2, features: 4, seed: 1)
            model g {
              input [3]
              dense 8, activation: relu
              dropout 0.2
              dense 4
            }
            model disc {
              input [4]
              h: dense \(hidden), activation: relu
              dropout 0.3
              dense 1, activation: sigmoid
            }
            gan pair { generator: g, discriminator: disc, noise: normal(3), generator_optimizer: adam(lr: \(lr)) }
            train pair on d.train { \(settings) }
            save g to "\(directory).g.weights"
            save disc to "\(directory).d.weights"
            """
    }
    let code = kind == "vae" ? 4 : 2
    return """
        data d = blobs(n: \(samples - 6), centers: 2, features: 6, seed: 1)
        model enc {
          input [6]
          h: dense \(hidden), activation: relu
          dropout 0.2
          dense \(code)
        }
        model dec {
          input [2]
          dense 8, activation: relu
          dense 6
        }
        \(kind) pair { encoder: enc, decoder: dec, reconstruction: mse, optimizer: adam(lr: \(lr)) }
        train pair on d.train { \(settings) }
        save enc to "\(directory).g.weights"
        save dec to "\(directory).d.weights"
        """
}

/// `pairingProgram` for "gan", "vae" or "autoencoder", or a GAN with one more pairing setting:
/// "gan with instance noise", "gan with r1 penalty", "gan with generator ema".
func pairingVariant(_ variant: String, directory: String, epochs: Int) -> String {
    let text = pairingProgram(String(variant.prefix { $0 != " " }), directory: directory, epochs: epochs)
    let extra = variant.hasSuffix("instance noise") ? "instance_noise: 0.3,"
        : variant.hasSuffix("r1 penalty") ? "r1_penalty: 5,"
        : variant.hasSuffix("generator ema") ? "generator_ema: 0.9," : ""
    return extra.isEmpty ? text : text.replacingOccurrences(of: "noise: normal(3),", with: "noise: normal(3), \(extra)")
}

@Suite struct PairingCheckpointTests {
    static let kinds = ["gan", "vae", "autoencoder"]

    /// With `generator_ema`, the saved generator is the average: it too comes out bitwise the same.
    @Test(arguments: kinds + ["gan with generator ema"])
    func fourEpochsEqualTwoThenResumedToFour(kind: String) throws {
        let work = temporaryDirectory("pair")
        let straight = nnet("run", writeProgram(pairingVariant(kind, directory: work + "/a", epochs: 4)), "--threads", "1",
                            "--log", work + "/a.jsonl")
        #expect(straight.exitCode == .success, "\(straight.standardError)")
        let first = nnet("run", writeProgram(pairingVariant(kind, directory: work + "/b", epochs: 2)), "--threads", "1",
                         "--log", work + "/b1.jsonl")
        #expect(first.exitCode == .success, "\(first.standardError)")
        let second = nnet("run", writeProgram(pairingVariant(kind, directory: work + "/b", epochs: 4)), "--threads", "1",
                          "--log", work + "/b2.jsonl", "--resume")
        #expect(second.exitCode == .success, "\(second.standardError)")
        // 6 steps an epoch (batch 16), a checkpoint every 2 steps and after each epoch: 8 in 2 epochs.
        #expect(second.standardOutput.contains("train pair: resuming from \(work)/b/checkpoint-000008.ckpt at epoch 3 (2 of 4 epochs done)"),
                "\(second.standardOutput)")
        #expect(second.standardOutput.contains("  epochs 2 -> 4 at epoch 3"))
        #expect(!second.standardOutput.contains("pair epoch 2/"))
        let expected = try loggedEpochs(work + "/a.jsonl")
        #expect(expected.count == 4)
        #expect(try loggedEpochs(work + "/b1.jsonl") + loggedEpochs(work + "/b2.jsonl") == expected)
        // Both models' final weights agree bitwise.
        for model in ["g", "d"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: work + "/a.\(model).weights"))
            let b = try Data(contentsOf: URL(fileURLWithPath: work + "/b.\(model).weights"))
            #expect(a == b, "\(kind): model \(model)")
        }
    }

    /// A checkpoint taken mid-epoch (after step 4 of 6) resumes at step 3 with the epoch's
    /// sample order and running sums: the rest of the run matches the uninterrupted one, and so
    /// do the saved weights. With instance noise, the resumed steps also continue its schedule and
    /// its noise; with the R1 penalty (through the discriminator's dropout), its passes reuse the
    /// real batch's masks; with the generator's moving average, it continues from the saved average.
    @Test(arguments: kinds + ["gan with instance noise", "gan with r1 penalty", "gan with generator ema"])
    func aMidEpochCheckpointResumesExactly(kind: String) throws {
        let work = temporaryDirectory("pair")
        let text = pairingVariant(kind, directory: work + "/a", epochs: 3)
        #expect(kind.split(separator: " ").count == 1 || text.contains("noise: normal(3), "))
        let program = writeProgram(text)
        #expect(nnet("run", program, "--threads", "1", "--log", work + "/a.jsonl").exitCode == .success)
        let trained = try ["g", "d"].map { try Data(contentsOf: URL(fileURLWithPath: work + "/a.\($0).weights")) }
        // Keep only an older checkpoint from the middle of epoch 3 (after its 2nd step).
        let all = try FileManager.default.contentsOfDirectory(atPath: work + "/a").filter { $0.hasSuffix(".ckpt") }.sorted()
        #expect(all.count == 3)
        let middle = try #require(all.first.map { work + "/a/" + $0 })
        let checkpoint = try CheckpointFile.read(from: middle)
        #expect(checkpoint.position.epochsDone == 2 && checkpoint.position.batchIndex > 0, "\(checkpoint.position)")
        #expect(checkpoint.companion != nil && !checkpoint.order.isEmpty)
        for file in all.dropFirst() { try FileManager.default.removeItem(atPath: work + "/a/" + file) }
        let resumed = nnet("run", program, "--threads", "1", "--resume", "--log", work + "/b.jsonl")
        #expect(resumed.exitCode == .success, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("at epoch 3, step \(checkpoint.position.batchIndex + 1)"), "\(resumed.standardOutput)")
        #expect(try loggedEpochs(work + "/b.jsonl") == Array(loggedEpochs(work + "/a.jsonl").suffix(1)))
        #expect(try ["g", "d"].map { try Data(contentsOf: URL(fileURLWithPath: work + "/a.\($0).weights")) } == trained)
        #expect((checkpoint.averagedWeights != nil) == kind.hasSuffix("generator ema"))
    }

    @Test(arguments: kinds)
    func changedHyperparametersAreReported(kind: String) throws {
        let work = temporaryDirectory("pair")
        #expect(nnet("run", writeProgram(pairingProgram(kind, directory: work + "/c", epochs: 1))).exitCode == .success)
        let resumed = nnet("run", writeProgram(pairingProgram(kind, directory: work + "/c", epochs: 2, lr: "0.005")), "--resume")
        #expect(resumed.exitCode == .success, "\(resumed.standardError)")
        let key = kind == "gan" ? "generator_lr" : "lr"
        #expect(resumed.standardOutput.contains("  \(key) 0.01 -> 0.005 at epoch 2"), "\(resumed.standardOutput)")
        #expect(resumed.standardOutput.contains("pair epoch 2/2"))
    }

    /// A checkpoint saved without instance noise (the setting absent from its settings, as in
    /// checkpoints from before it existed) resumes with it and names the change.
    @Test func instanceNoiseAddedOnResumeIsReported() {
        let work = temporaryDirectory("pair")
        #expect(nnet("run", writeProgram(pairingProgram("gan", directory: work + "/c", epochs: 1))).exitCode == .success)
        let noisy = pairingProgram("gan", directory: work + "/c", epochs: 2)
            .replacingOccurrences(of: "noise: normal(3),", with: "noise: normal(3), instance_noise: 0.2,")
        let resumed = nnet("run", writeProgram(noisy), "--resume")
        #expect(resumed.exitCode == .success, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("  instance_noise none -> 0.2 at epoch 2"), "\(resumed.standardOutput)")
        #expect(resumed.standardOutput.contains("pair epoch 2/2"))
    }

    /// Removing the encoder's dropout changes the layers but no parameter: resuming goes on and says so.
    @Test func aLayerChangeThatKeepsTheParametersIsReported() {
        let work = temporaryDirectory("pair")
        #expect(nnet("run", writeProgram(pairingProgram("vae", directory: work + "/c", epochs: 1))).exitCode == .success)
        let edited = pairingProgram("vae", directory: work + "/c", epochs: 2).replacingOccurrences(of: "  dropout 0.2\n", with: "")
        let resumed = nnet("run", writeProgram(edited), "--resume")
        #expect(resumed.exitCode == .success, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("  the layers changed since the checkpoint; its parameters still fit"),
                "\(resumed.standardOutput)")
    }

    @Test(arguments: kinds)
    func changedShapesAreRefusedWithBothShapes(kind: String) {
        let work = temporaryDirectory("pair")
        #expect(nnet("run", writeProgram(pairingProgram(kind, directory: work + "/c", epochs: 1))).exitCode == .success)
        let refused = nnet("run", writeProgram(pairingProgram(kind, directory: work + "/c", epochs: 2, hidden: 16)), "--resume")
        #expect(refused.exitCode == .programError)
        #expect(refused.standardError.contains("error: cannot resume training 'pair' from \(work)/c/checkpoint-"), "\(refused.standardError)")
        let (model, input) = kind == "gan" ? ("disc", 4) : ("enc", 6)
        #expect(refused.standardError.contains("note: \(model): 'h.weight' is [\(input), 8] in the checkpoint but [\(input), 16] in the model"),
                "\(refused.standardError)")
    }

    /// With `generator_ema`, the generator holds the average after training: `save` writes the
    /// checkpoint's averaged weights, not its raw ones, and the run says so.
    @Test func theGeneratorHoldsItsAverageAfterTraining() throws {
        let work = temporaryDirectory("pair")
        let result = nnet("run", writeProgram(pairingVariant("gan with generator ema", directory: work + "/c", epochs: 2)))
        #expect(result.exitCode == .success, "\(result.standardError)")
        #expect(result.standardOutput.contains("train pair: 'g' now holds the moving average of its weights (generator_ema 0.9, 12 updates)"),
                "\(result.standardOutput)")
        let newest = try #require(try CheckpointDirectory(work + "/c", create: false).files().max { $0.sequence < $1.sequence })
        let checkpoint = try CheckpointFile.read(from: newest.path)
        let average = try #require(checkpoint.averagedWeights)
        #expect(average.updates == 12)
        let saved = try Data(contentsOf: URL(fileURLWithPath: work + "/c.g.weights"))
        func bytes(_ values: [Float]) -> Data { values.withUnsafeBytes { Data($0) } }
        for (averaged, raw) in zip(average.parameters, checkpoint.parameters) where raw.name.hasSuffix("weight") {
            #expect(saved.range(of: bytes(averaged.values)) != nil, "\(averaged.name)")
            #expect(saved.range(of: bytes(raw.values)) == nil, "\(raw.name)")
        }
    }

    /// A second `train` that cannot continue the first one's trainer (another seed) starts from
    /// the raw weights, not from the average the first left in the generator: its raw weights end
    /// where those of the same two statements without `generator_ema` do.
    @Test func aNewTrainerStartsFromTheRawWeights() throws {
        let work = temporaryDirectory("pair")
        var final: [Checkpoint] = []
        for (label, variant) in [("raw", "gan"), ("ema", "gan with generator ema")] {
            let program = pairingVariant(variant, directory: work + "/\(label)1", epochs: 1)
                + "\ntrain pair on d.train { epochs: 1, batch: 16, seed: 8, checkpoint: \"\(work)/\(label)2\" }\n"
            let result = nnet("run", writeProgram(program), "--threads", "1")
            #expect(result.exitCode == .success, "\(result.standardError)")
            let newest = try #require(try CheckpointDirectory(work + "/\(label)2", create: false).files().max { $0.sequence < $1.sequence })
            final.append(try CheckpointFile.read(from: newest.path))
        }
        #expect(final[0].averagedWeights == nil && final[1].averagedWeights?.updates == 6)
        #expect(final[1].parameters == final[0].parameters)
        #expect(final[1].companion?.parameters == final[0].companion?.parameters)
    }

    /// With `generator_ema`, the finished schedule's generator is its average again.
    @Test(arguments: kinds + ["gan with generator ema"])
    func aFinishedScheduleSaysHowToExtendIt(kind: String) throws {
        let work = temporaryDirectory("pair")
        let program = writeProgram(pairingVariant(kind, directory: work + "/c", epochs: 2))
        #expect(nnet("run", program).exitCode == .success)
        let trained = try Data(contentsOf: URL(fileURLWithPath: work + "/c.g.weights"))
        try FileManager.default.removeItem(atPath: work + "/c.g.weights")
        let again = nnet("run", program, "--resume")
        #expect(again.exitCode == .success)
        #expect(again.standardOutput.contains("train pair: already finished: 2 of 2 epochs done"), "\(again.standardOutput)")
        #expect(again.standardOutput.contains("to train longer, raise epochs (e.g. epochs: 4) and run with --resume again"))
        #expect(!again.standardOutput.contains("pair epoch"))
        // The finished run's weights were loaded, not left at their initial values.
        #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/c.g.weights")) == trained)
    }

    @Test(arguments: [
        ("keep: 2", "'keep' needs a checkpoint directory"),
        ("checkpoint_every: 2", "'checkpoint_every' needs a checkpoint directory"),
        ("clip_norm: -1", "'clip_norm' of train (gan) must be in"),
        ("clip_value: 0", "'clip_value' of train (gan) must be in"),
        ("checkpoint: \"x\", keep: 0", "'keep' of train (gan) must be at least 1"),
    ])
    func settingsAreChecked(setting: String, message: String) {
        let program = pairingProgram("gan", directory: "unused", epochs: 1)
            .replacingOccurrences(of: "checkpoint: \"unused\", checkpoint_steps: 2", with: setting)
        let result = nnet("check", writeProgram(program))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains(message), "\(result.standardError)")
    }

    @Test func eachPairingTrainNeedsItsOwnDirectory() {
        let program = pairingProgram("vae", directory: "runs/p", epochs: 1)
        let result = nnet("check", writeProgram(program + "\ntrain pair on d.train { epochs: 1, checkpoint: \"runs/p\" }"))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains("error: checkpoint directory \"runs/p\" is already used by an earlier train statement"),
                "\(result.standardError)")
    }

    // MARK: - Numerical faults and clipping

    /// Inputs of 1e35 give the discriminator's first layer gradients near 1e35; SGD with lr 1e6
    /// steps its weights past the largest float. (Adam would not: its second moment overflows to
    /// infinity and the step becomes zero, as in the reference and PyTorch.)
    @Test func aGANFaultNamesTheDiscriminatorsLayer() {
        let work = temporaryDirectory("pair")
        let program = pairingProgram("gan", directory: work + "/c", epochs: 2)
            .replacingOccurrences(of: "seed: 1)", with: "seed: 1, scale: 1e35)")
            .replacingOccurrences(of: "generator_optimizer: adam(lr: 0.01) }",
                                  with: "generator_optimizer: adam(lr: 0.01), discriminator_optimizer: sgd(lr: 1000000) }")
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains(
            "program.nnet:10:3: error: training 'pair' stopped at epoch 1, step 1: parameter 'h.weight' in discriminator 'disc' became -inf"),
            "\(result.standardError)")
        #expect(result.standardError.contains("program.nnet:8:7: note: model 'disc' defined here"))
        #expect(result.standardError.contains("note: while training 'pair' here"))
        #expect(result.standardError.contains("note: the last good checkpoint in \(work)/c was kept (nothing with NaN is saved)"))
        #expect(((try? CheckpointDirectory(work + "/c", create: false).files()) ?? []).isEmpty)
    }

    /// Inputs of 1e30 make the encoder's log-variance huge: z = mean + exp(log-variance/2)·ε overflows
    /// (to -inf: the first such ε of seed 1's stream is negative).
    @Test func aVAEFaultNamesTheEncodersOutputLayer() {
        let program = pairingProgram("vae", directory: temporaryDirectory("pair") + "/c", epochs: 2)
            .replacingOccurrences(of: "seed: 1)", with: "seed: 1, scale: 1e30)")
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains(
            "program.nnet:6:3: error: training 'pair' stopped at epoch 1, step 1: the activation of layer 'dense_2' (dense) in encoder 'enc' "
            + "became -inf (the sampled code z: exp(log-variance / 2) overflowed)"), "\(result.standardError)")
    }

    /// Inputs of 1e36 pass the encoder and decoder finite, but their squared reconstruction
    /// error overflows: the decoder's loss, reported at the train statement.
    @Test func anAutoencoderFaultNamesTheDecodersLoss() {
        let program = pairingProgram("autoencoder", directory: temporaryDirectory("pair") + "/c", epochs: 2)
            .replacingOccurrences(of: "seed: 1)", with: "seed: 1, scale: 1e36)")
        let result = nnet("run", writeProgram(program))
        #expect(result.exitCode == .trainingFailed)
        #expect(result.standardError.contains("program.nnet:14:1: error: training 'pair' stopped at epoch 1, step 1: the loss of decoder 'dec' became inf"),
                "\(result.standardError)")
    }

    /// SGD with lr 1e6 overflows the decoder's loss; clip_value bounds every step, so the same
    /// run stays finite.
    @Test func clippingKeepsADivergingPairingFinite() {
        let work = temporaryDirectory("pair")
        let diverging = pairingProgram("autoencoder", directory: work + "/a", epochs: 2)
            .replacingOccurrences(of: "adam(lr: 0.01)", with: "sgd(lr: 1e6)")
        let failed = nnet("run", writeProgram(diverging))
        #expect(failed.exitCode == .trainingFailed)
        #expect(failed.standardError.contains("error: training 'pair' stopped at epoch 1, step "), "\(failed.standardError)")
        let clipped = nnet("run", writeProgram(diverging.replacingOccurrences(of: "/a\"", with: "/b\"")
            .replacingOccurrences(of: "checkpoint_steps: 2", with: "checkpoint_steps: 2, clip_value: 1e-9")))
        #expect(clipped.exitCode == .success, "\(clipped.standardError)")
        let checkpoint = CheckpointDirectory.self
        let saved = try? checkpoint.init(work + "/b", create: false).newest().found?.checkpoint
        #expect(saved?.settings.first { $0.key == "clip_value" }?.value == "1e-09")
    }
}
