// Ctrl-C in `nnet repl`, against the real executable with its input on a pipe: SIGINT during a
// `train` stops it after the step, saves a checkpoint, says how to resume and returns to the
// prompt with every definition and the trained weights; `:resume` continues from the checkpoint;
// SIGINT at the prompt abandons the line being typed; end of input (ctrl-D) leaves with status 0.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

/// `nnet repl` reading from a pipe the test writes to; its output goes to files.
final class LaunchedRepl {
    let launched: LaunchedNNet
    let input = Pipe()

    init(binary: String, work: String) throws {
        launched = try LaunchedNNet(["repl", "--threads", "1"], binary: binary, work: work, label: "repl",
                                    standardInput: input)
    }

    func type(_ text: String) { input.fileHandleForWriting.write(Data(text.utf8)) }
    func endInput() { try? input.fileHandleForWriting.close() }
    var process: Process { launched.process }
    var standardOutput: String { launched.standardOutput }
    var standardError: String { launched.standardError }
}

@Suite(.serialized, .enabled(if: nnetBinary != nil, "no nnet executable next to the tests or in .build; these tests launch it"))
struct ReplInterruptionTests {
    static func definitions(checkpoint: String) -> String {
        """
        data d = blobs(n: 300, centers: 3, features: 2, seed: 1)
        model m {
          input [2]
          h: dense 16, activation: relu
          dropout 0.2
          dense 3, activation: softmax
        }
        m.h.bias
        train m on d {
          loss: sparse_categorical_crossentropy, optimizer: adam(lr: 0.01)
          epochs: 40, batch: 8, seed: 5, checkpoint: "\(checkpoint)", checkpoint_steps: 10
        }

        """
    }

    @Test func ctrlCStopsTrainingKeepsTheSessionAndResumeContinues() throws {
        let binary = try #require(nnetBinary)
        let work = temporaryDirectory("repl")
        let directory = work + "/ckpt"
        let repl = try LaunchedRepl(binary: binary, work: work)
        repl.type(Self.definitions(checkpoint: directory))
        #expect(waitUntil { InterruptionTests.hasCheckpoint(directory) || !repl.process.isRunning })
        repl.launched.signal(SIGINT)
        #expect(waitUntil { repl.standardError.contains("interrupted at epoch") || !repl.process.isRunning },
                "\(repl.standardError)")
        #expect(repl.process.isRunning, "the session survives Ctrl-C")
        let stderr = repl.standardError
        #expect(stderr.contains("nnet: training 'm' interrupted at epoch "))
        #expect(stderr.contains("the weights of the last completed step are kept; every definition is intact"))
        #expect(stderr.contains("saved a checkpoint: \(directory)/checkpoint-"))
        #expect(stderr.contains("to continue exactly where it stopped, enter :resume"))
        let saved = try #require(CheckpointDirectory(directory, create: false).newest().found)
        #expect(saved.checkpoint.position.stepsDone < 40 * 38, "stopped before the end")

        // The definitions and the trained weights are intact: the bias printed now is the
        // checkpoint's (to the 4 printed decimals), no longer the initial zeros.
        repl.type("m.h.bias\n")
        #expect(waitUntil { repl.standardOutput.components(separatedBy: "m.h.bias [16] = ").count == 3 })
        let printed = repl.standardOutput.components(separatedBy: "m.h.bias [16] = ")
        let before = numbers(after: "[", in: printed[1]), after = numbers(after: "[", in: printed[2])
        #expect(before == [Double](repeating: 0, count: 16))
        let bias = try #require(saved.checkpoint.parameters.first { $0.name == "h.bias" })
        #expect(after.count == 16 && zip(after, bias.values).allSatisfy { abs($0 - Double($1)) <= 0.00005 + 1e-9 },
                "\(after) vs \(bias.values)")
        #expect(after != before)

        // Ctrl-C at the prompt abandons the line being typed and the session goes on.
        // The pauses let the session read the partial line before the signal, and see the signal
        // before the rest of the line arrives.
        repl.type("print 1000 +")
        usleep(1_000_000)
        repl.launched.signal(SIGINT)
        usleep(1_000_000)
        #expect(repl.process.isRunning, "Ctrl-C at the prompt does not end the session")
        repl.type("7\n")
        #expect(waitUntil { repl.standardOutput.split(separator: "\n").contains("7") || !repl.process.isRunning },
                "\(repl.standardOutput)")
        #expect(!repl.standardOutput.contains("1007"))

        // :resume continues the interrupted train statement from its checkpoint, to the end.
        repl.type(":resume\nevaluate m on d\n")
        #expect(waitUntil(timeout: 120) { repl.standardOutput.contains("evaluate m on d") || !repl.process.isRunning })
        #expect(repl.standardOutput.contains("train m: resuming from \(saved.path) at epoch"), "\(repl.standardOutput)")
        #expect(repl.standardOutput.contains("m epoch 40/40"))

        // End of input (ctrl-D on a terminal) leaves normally.
        repl.endInput()
        #expect(repl.launched.wait() == 0, "\(repl.standardError)")
    }

    @Test func resumeWithNothingInterruptedSaysSo() throws {
        let binary = try #require(nnetBinary)
        let repl = try LaunchedRepl(binary: binary, work: temporaryDirectory("repl"))
        repl.type(":resume\n")
        repl.endInput()
        #expect(repl.launched.wait() == 0)
        #expect(repl.standardOutput.contains("nothing to resume: no train statement was interrupted in this session"))
    }
}
