// The generative examples run end to end on a small generated image set: the GAN alternates
// its steps and writes sample grids; the VAE and the autoencoder learn to reconstruct.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

@Suite struct GenerativeExampleTests {
    /// The example's text reading the small image set and writing into a temporary directory.
    func prepare(_ name: String, epochs: (from: String, to: String)) throws -> (program: String, output: String) {
        let directory = temporaryDirectory("generative")
        try IDXWriter.writeFakeMNIST(to: directory, trainCount: 640, testCount: 128, seed: 5)
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Examples/\(name).nnet"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/share/datasets/fashion-mnist", with: directory)
            .replacingOccurrences(of: "\"out/", with: "\"\(directory)/")
            .replacingOccurrences(of: epochs.from, with: epochs.to)
        return (writeProgram(text), directory)
    }

    func epochValues(_ name: String, in output: String) -> [Double] {
        output.split(separator: "\n").filter { $0.contains(" epoch ") }.compactMap { line in
            let words = line.split(separator: " ")
            return words.firstIndex(of: Substring(name)).flatMap { $0 + 1 < words.count ? Double(words[$0 + 1]) : nil }
        }
    }

    func isPNG(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    @Test func ganTrainsAndWritesSampleGrids() throws {
        let (program, output) = try prepare("gan", epochs: ("epochs: 20, batch: 128", "epochs: 4, batch: 64"))
        let log = output + "/gan.jsonl"
        let result = nnet("run", program, "--log", log)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let lossD = epochValues("loss_d", in: result.standardOutput)
        let realScores = epochValues("D(real)", in: result.standardOutput)
        let fakeScores = epochValues("D(fake)", in: result.standardOutput)
        #expect(lossD.count == 4 && lossD.allSatisfy { $0.isFinite && $0 > 0 })
        // The discriminator tells real from generated samples apart, but has not won outright.
        #expect(zip(realScores, fakeScores).allSatisfy { $0 > $1 }, "\(result.standardOutput)")
        #expect(fakeScores.allSatisfy { $0 > 0.001 })
        for epoch in [4] { #expect(isPNG(output + "/gan_epoch_\(epoch).png")) }
        #expect(isPNG(output + "/gan_samples.png"))
        let events = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(events.count == 4 && events.allSatisfy { $0.contains("\"loss_d\"") && $0.contains("\"d_fake\"") })
    }

    /// The example with `generator_ema: 0.999` trains exactly as without it (the average never
    /// feeds back: the same logged epochs), then the generator holds the average after its 40
    /// steps, so the saved generator differs from the raw one.
    @Test func ganWithAGeneratorAverageTrainsTheSameAndSavesTheAverage() throws {
        let (program, output) = try prepare("gan", epochs: ("epochs: 20, batch: 128", "epochs: 4, batch: 64"))
        let text = try String(contentsOfFile: program, encoding: .utf8)
        let averaged = text.replacingOccurrences(of: "  r1_penalty: 0.3\n", with: "  r1_penalty: 0.3\n  generator_ema: 0.999\n")
        #expect(averaged != text)
        let plain = nnet("run", program, "--threads", "1", "--log", output + "/plain.jsonl")
        #expect(plain.exitCode == .success, "\(plain.standardError)")
        let rawWeights = try Data(contentsOf: URL(fileURLWithPath: output + "/gan_generator.weights"))
        let result = nnet("run", writeProgram(averaged), "--threads", "1", "--log", output + "/averaged.jsonl")
        #expect(result.exitCode == .success, "\(result.standardError)")
        #expect(result.standardOutput.contains(
            "train fashion_gan: 'generator' now holds the moving average of its weights (generator_ema 0.999, 40 updates)"),
            "\(result.standardOutput)")
        #expect(try loggedEpochs(output + "/averaged.jsonl") == loggedEpochs(output + "/plain.jsonl"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/gan_generator.weights")) != rawWeights)
        #expect(isPNG(output + "/gan_samples.png"))
    }

    @Test func dcganTrainsWithBatchNormAndWritesSampleGrids() throws {
        let (program, output) = try prepare("dcgan", epochs: ("epochs: 5, batch: 128", "epochs: 3, batch: 64"))
        let result = nnet("run", program)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let lossD = epochValues("loss_d", in: result.standardOutput)
        let lossG = epochValues("loss_g", in: result.standardOutput)
        let realScores = epochValues("D(real)", in: result.standardOutput)
        let fakeScores = epochValues("D(fake)", in: result.standardOutput)
        #expect(lossD.count == 3 && (lossD + lossG).allSatisfy { $0.isFinite && $0 > 0 }, "\(result.standardOutput)")
        #expect(zip(realScores, fakeScores).allSatisfy { $0 > $1 }, "\(result.standardOutput)")
        #expect(fakeScores.allSatisfy { $0 > 0.001 })
        for epoch in 1...3 { #expect(isPNG(output + "/dcgan_epoch_\(epoch).png")) }
        #expect(isPNG(output + "/dcgan_samples.png"))
        #expect(FileManager.default.fileExists(atPath: output + "/dcgan_generator.weights"))
    }

    @Test(arguments: ["vae", "vae_mlp"])
    func vaeLearnsAndReportsBothLossTerms(example: String) throws {
        let (program, output) = try prepare(example, epochs: ("epochs: 10, batch: 128", "epochs: 5, batch: 64"))
        let result = nnet("run", program)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let losses = epochValues("loss", in: result.standardOutput)
        let divergences = epochValues("kl", in: result.standardOutput)
        #expect(losses.count >= 5)
        #expect(losses[4] < 0.8 * losses[0], "the negative ELBO falls: \(losses)")
        #expect(divergences.prefix(5).allSatisfy { $0 > 0 }, "the KL term is positive")
        #expect(result.standardOutput.contains("evaluate fashion_vae on fashion.test: loss"))
        #expect(isPNG(output + "/\(example)_samples.png"))
        #expect(isPNG(output + "/\(example)_reconstructions_5.png"))
    }

    @Test(arguments: ["autoencoder", "autoencoder_mlp"])
    func autoencoderReconstructs(example: String) throws {
        let (program, output) = try prepare(example, epochs: ("epochs: 10, batch: 128", "epochs: 5, batch: 64"))
        let result = nnet("run", program)
        #expect(result.exitCode == .success, "\(result.standardError)")
        let losses = epochValues("loss", in: result.standardOutput.split(separator: "\n").filter { $0.hasPrefix("fashion_ae") }
            .joined(separator: "\n"))
        #expect(losses.count == 5 && losses[4] < 0.7 * losses[0], "\(losses)")
        let prefix = example == "autoencoder" ? "ae" : "ae_mlp"
        #expect(isPNG(output + "/\(prefix)_reconstructions_5.png"))
    }

    @Test func mismatchedPairingsAreRejectedBeforeTraining() {
        let result = nnet("check", writeProgram("""
            model g {
              input [10]
              dense 12, activation: sigmoid
            }
            model d {
              input [16]
              dense 1, activation: sigmoid
            }
            gan pair { generator: g, discriminator: d, noise: normal(10) }
            """))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains("generator 'g' produces [12] but discriminator 'd' expects [16]"))
    }
}
