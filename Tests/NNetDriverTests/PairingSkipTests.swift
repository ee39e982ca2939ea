// `on_nan: skip` in gan, vae and autoencoder training: a batch holding one sample whose values
// overflow the first layer is skipped with a warning, every epoch, and training finishes; the
// same program without the setting stops at that step. Stage: driver (tests).

import Foundation
import Testing

@Suite struct PairingSkipTests {
    /// 16 samples of 16 features in [0, 1), sample 5 all 3e38: any layer summing them overflows.
    func overflowingData() -> String {
        let directory = temporaryDirectory("skip")
        var rows = [(0..<16).map { "f\($0)" }.joined(separator: ",") + ",label"]
        for sample in 0..<16 {
            let values = (0..<16).map { feature in sample == 5 ? "3e38" : String(Double((sample * 16 + feature) % 97) / 97) }
            rows.append(values.joined(separator: ",") + ",0")
        }
        let path = directory + "/d.csv"
        FileManager.default.createFile(atPath: path, contents: Data((rows.joined(separator: "\n") + "\n").utf8))
        return path
    }

    static let pairings = [
        ("gan", """
            model gen { input [2]; dense 16, activation: sigmoid }
            model disc { input [16]; dense 4, activation: leaky_relu(0.2); dense 1, activation: sigmoid }
            gan pair { generator: gen, discriminator: disc, noise: normal(2) }
            """, "in discriminator 'disc' became -inf"),
        ("vae", """
            model enc { input [16]; dense 4 }
            model dec { input [2]; dense 16, activation: sigmoid }
            vae pair { encoder: enc, decoder: dec }
            """, "in encoder 'enc' became"),
    ]

    @Test(arguments: pairings)
    func aBatchWithOverflowingValuesIsSkipped(_ pairing: (kind: String, models: String, culprit: String)) {
        let program = "data d = csv(\"\(overflowingData())\", target: 16)\n\(pairing.models)\n"
        let skipping = nnet("run", writeProgram(program + "train pair on d.train { epochs: 3, batch: 4, seed: 1, on_nan: skip }\n"))
        #expect(skipping.exitCode == .success, "\(skipping.standardError)")
        let warnings = skipping.standardError.components(separatedBy: "\n").filter { $0.hasPrefix("warning: skipped epoch") }
        #expect(warnings.count == 3, "one skipped step per epoch: \(skipping.standardError)")
        #expect(warnings.allSatisfy { $0.contains(pairing.culprit) }, "\(warnings)")
        #expect(skipping.standardOutput.contains("pair epoch 3/3"))
        let stopping = nnet("run", writeProgram(program + "train pair on d.train { epochs: 3, batch: 4, seed: 1 }\n"))
        #expect(stopping.exitCode == .trainingFailed)
        #expect(stopping.standardError.contains("error: training 'pair' stopped at epoch 1"), "\(stopping.standardError)")
    }
}
