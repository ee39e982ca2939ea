// Training gives the same bits on any number of threads, run as separate processes (each with its
// own pool) on a model whose every layer kind is large enough to be split over the threads.
// Stage: driver (tests).

import Foundation
import Testing
import NNetDriver

@Suite struct ThreadCountTests {
    /// Direct single-channel convolution, implicit-GEMM convolutions (the 32-filter layers; the
    /// second also takes the implicit input gradient, and so does the 8-filter one), im2col
    /// convolution, max and average pooling, nearest upsampling, dense layers and Adam, at batch
    /// 128 (each kernel above its split threshold).
    static func program(weights: String) -> String {
        """
        data d = blobs(n: 384, centers: 3, features: 784, spread: 2, seed: 5)
        model m {
          input [784]
          reshape [28, 28, 1]
          conv2d 16, kernel: 3, padding: same, activation: relu
          max_pool2d 2
          conv2d 32, kernel: 3, padding: same, activation: relu
          conv2d 32, kernel: 3, padding: same, activation: relu
          upsampling2d 2
          conv2d 8, kernel: 3, padding: same, activation: relu
          avg_pool2d 2
          flatten
          dense 64, activation: relu
          dense 3, activation: softmax
        }
        train m on d {
          loss: sparse_categorical_crossentropy
          optimizer: adam(lr: 0.001)
          epochs: 2, batch: 128, seed: 3
        }
        save m to "\(weights)"
        """
    }

    /// A VAE whose sampling step (noise, z, the KL term and their gradient: 128 x 16 latent values)
    /// is split over the threads, as are its dense layers and its reconstruction loss.
    static func vaeProgram(weights: String) -> String {
        """
        data d = blobs(n: 384, centers: 3, features: 784, spread: 2, seed: 5)
        model encoder {
          input [784]
          dense 64, activation: relu
          dense 32
        }
        model decoder {
          input [16]
          dense 64, activation: relu
          dense 784
        }
        vae v {
          encoder: encoder
          decoder: decoder
          reconstruction: mse
          optimizer: adam(lr: 0.001)
        }
        train v on d {
          epochs: 2, batch: 128, seed: 3
        }
        save encoder to "\(weights)"
        """
    }

    @Test("1, 2 and 3 threads train to the same weights and losses", arguments: ["classifier", "vae"])
    func sameBitsOnAnyThreadCount(model: String) throws {
        let binary = try #require(nnetBinary)
        let work = temporaryDirectory("threads")
        var weights: [Data] = [], epochs: [[String]] = []
        for threads in [1, 2, 3] {
            let path = "\(work)/\(threads).weights"
            let program = writeProgram(model == "vae" ? Self.vaeProgram(weights: path) : Self.program(weights: path))
            let run = try LaunchedNNet(["run", program, "--threads", "\(threads)", "--log", "\(work)/\(threads).jsonl"],
                                       binary: binary, work: work, label: "threads-\(threads)")
            #expect(run.wait() == 0, "\(run.standardError)")
            weights.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            epochs.append(try loggedEpochs("\(work)/\(threads).jsonl"))
        }
        #expect(epochs[0].count == 2)
        #expect(weights[1] == weights[0] && weights[2] == weights[0], "the saved weights differ between thread counts")
        #expect(epochs[1] == epochs[0] && epochs[2] == epochs[0], "\(epochs)")
    }
}
