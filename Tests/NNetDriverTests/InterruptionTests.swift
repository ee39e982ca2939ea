// Ctrl-C, SIGTERM and kill -9 against the real `nnet` executable: an interrupt finishes the step,
// saves a checkpoint and exits with 130, and resuming gives the uninterrupted run's losses; a
// SIGKILL at random moments never leaves a checkpoint that fails to load.

import Foundation
import Testing
import NNetDriver
import NNetRuntime

/// The `nnet` executable built with these tests: next to the test bundle (SwiftPM puts products
/// and the test bundle in one directory), else under the repository's `.build`, or `NNET_BINARY`.
let nnetBinary: String? = {
    var candidates: [String] = []
    if let explicit = ProcessInfo.processInfo.environment["NNET_BINARY"] { candidates.append(explicit) }
    candidates.append(Bundle.main.bundleURL.appendingPathComponent("nnet").path)
    if let executable = Bundle.main.executableURL {
        candidates.append(executable.deletingLastPathComponent().appendingPathComponent("nnet").path)
    }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("nnet").path)
    for configuration in ["debug", "release"] {
        candidates.append(repositoryRoot.appendingPathComponent(".build/\(configuration)/nnet").path)
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// A launched `nnet` whose output goes to files.
final class LaunchedNNet {
    let process = Process()
    let outputPath: String
    let errorPath: String

    init(_ arguments: [String], binary: String, work: String, label: String, standardInput: Pipe? = nil) throws {
        outputPath = work + "/\(label).out"
        errorPath = work + "/\(label).err"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        process.standardInput = standardInput ?? FileHandle.nullDevice
        try process.run()
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the exit (killing the process after `timeout` seconds) and returns its status.
    @discardableResult
    func wait(timeout: Double = 120) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(2_000) }
        if process.isRunning {
            Issue.record("nnet did not finish within \(timeout) s")
            signal(SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var standardOutput: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }
}

/// Polls `condition` every 2 ms for up to `timeout` seconds.
func waitUntil(timeout: Double = 60, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

@Suite(.serialized, .enabled(if: nnetBinary != nil, "no nnet executable next to the tests or in .build; these tests launch it"))
struct InterruptionTests {
    /// Long enough (38 steps × 10 epochs) that a signal after the first checkpoint lands mid-run.
    static func program(checkpoint: String?, epochs: Int = 10, steps: Int = 10) -> String {
        """
        data d = blobs(n: 300, centers: 3, features: 2, seed: 1)
        model m {
          input [2]
          h: dense 16, activation: relu
          dropout 0.2
          dense 3, activation: softmax
        }
        train m on d {
          loss: sparse_categorical_crossentropy
          optimizer: adam(lr: 0.01)
          epochs: \(epochs), batch: 8, seed: 5, metrics: [accuracy]
          \(checkpoint.map { "checkpoint: \"\($0)\", checkpoint_steps: \(steps)" } ?? "")
        }
        """
    }

    static func hasCheckpoint(_ directory: String) -> Bool {
        ((try? CheckpointDirectory(directory, create: false).files()) ?? []).isEmpty == false
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func aSignalSavesACheckpointAndResumingMatchesAnUninterruptedRun(signal: Int32) throws {
        let binary = try #require(nnetBinary)
        let work = temporaryDirectory("interrupt")
        let program = writeProgram(Self.program(checkpoint: work + "/ckpt"))
        let reference = writeProgram(Self.program(checkpoint: work + "/reference"))
        let straight = nnet("run", reference, "--threads", "1", "--log", work + "/straight.jsonl")
        #expect(straight.exitCode == .success, "\(straight.standardError)")

        let run = try LaunchedNNet(["run", program, "--threads", "1", "--log", work + "/first.jsonl"],
                                   binary: binary, work: work, label: "first")
        #expect(waitUntil { Self.hasCheckpoint(work + "/ckpt") || !run.process.isRunning })
        run.signal(signal)
        let status = run.wait()
        #expect(status == ExitCode.interrupted.rawValue, "\(run.standardError)")
        #expect(run.standardError.contains("nnet: training 'm' interrupted at epoch "))
        #expect(run.standardError.contains("saved a checkpoint: \(work)/ckpt/checkpoint-"))
        #expect(run.standardError.contains("to continue, run: nnet run \(program) --resume"))
        let newest = try #require(CheckpointDirectory(work + "/ckpt", create: false).newest().found)
        #expect(newest.checkpoint.position.stepsDone < 380, "stopped before the end")

        let resumed = try LaunchedNNet(["run", program, "--threads", "1", "--resume", "--log", work + "/second.jsonl"],
                                       binary: binary, work: work, label: "second")
        #expect(resumed.wait() == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("train m: resuming from \(newest.path)"))
        let combined = try loggedEpochs(work + "/first.jsonl") + loggedEpochs(work + "/second.jsonl")
        #expect(combined == (try loggedEpochs(work + "/straight.jsonl")))
    }

    /// The same for a GAN and a VAE: both models, both optimizers, every generator and the
    /// epoch's sample order are saved mid-epoch, and the resumed run matches the straight one.
    @Test(arguments: [("gan", SIGINT), ("vae", SIGTERM)])
    func aSignalStopsAPairingAndResumingMatchesAnUninterruptedRun(kind: String, signal: Int32) throws {
        let binary = try #require(nnetBinary)
        let work = temporaryDirectory("interrupt")
        let text = { (directory: String) in
            pairingProgram(kind, directory: directory, epochs: 12, samples: 400)
                .replacingOccurrences(of: "checkpoint_steps: 2", with: "checkpoint_steps: 5")
        }
        let straight = nnet("run", writeProgram(text(work + "/reference")), "--threads", "1", "--log", work + "/straight.jsonl")
        #expect(straight.exitCode == .success, "\(straight.standardError)")

        let program = writeProgram(text(work + "/ckpt"))
        let run = try LaunchedNNet(["run", program, "--threads", "1", "--log", work + "/first.jsonl"],
                                   binary: binary, work: work, label: "first")
        #expect(waitUntil { Self.hasCheckpoint(work + "/ckpt") || !run.process.isRunning })
        run.signal(signal)
        #expect(run.wait() == ExitCode.interrupted.rawValue, "\(run.standardError)")
        #expect(run.standardError.contains("nnet: training 'pair' interrupted at epoch "), "\(run.standardError)")
        #expect(run.standardError.contains("saved a checkpoint: \(work)/ckpt/checkpoint-"))
        #expect(run.standardError.contains("to continue, run: nnet run \(program) --resume"))
        let newest = try #require(CheckpointDirectory(work + "/ckpt", create: false).newest().found)
        #expect(newest.checkpoint.companion != nil)

        let resumed = try LaunchedNNet(["run", program, "--threads", "1", "--resume", "--log", work + "/second.jsonl"],
                                       binary: binary, work: work, label: "second")
        #expect(resumed.wait() == 0, "\(resumed.standardError)")
        #expect(resumed.standardOutput.contains("train pair: resuming from \(newest.path)"))
        let combined = try loggedEpochs(work + "/first.jsonl") + loggedEpochs(work + "/second.jsonl")
        #expect(combined == (try loggedEpochs(work + "/straight.jsonl")))
        for model in ["g", "d"] {
            #expect(try Data(contentsOf: URL(fileURLWithPath: work + "/ckpt.\(model).weights"))
                    == Data(contentsOf: URL(fileURLWithPath: work + "/reference.\(model).weights")))
        }
    }

    @Test func anInterruptWithoutCheckpointingSaysNothingWasSaved() throws {
        let binary = try #require(nnetBinary)
        let work = temporaryDirectory("interrupt")
        let log = work + "/log.jsonl"
        let run = try LaunchedNNet(["run", writeProgram(Self.program(checkpoint: nil, epochs: 400)), "--log", log],
                                   binary: binary, work: work, label: "run")
        #expect(waitUntil { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("\"event\":\"epoch\"") })
        run.signal(SIGINT)
        #expect(run.wait() == ExitCode.interrupted.rawValue)
        #expect(run.standardError.contains("nothing was saved: this train statement has no 'checkpoint' setting"))
        #expect(run.standardError.contains("help: add checkpoint: \"runs/m\" to its settings"))
    }

    /// SIGKILL at 20 seeded random moments (often mid-write: a checkpoint every step), each run
    /// resuming the previous one: every checkpoint file left behind loads and passes its CRC,
    /// and training makes progress across the kills.
    @Test func killNineNeverLeavesABrokenCheckpoint() throws {
        let binary = try #require(nnetBinary)
        let work = temporaryDirectory("kill")
        let directory = work + "/ckpt"
        let program = writeProgram(Self.program(checkpoint: directory, epochs: 100_000, steps: 1))
        var random = SeededGenerator(seed: 2024)
        var progress: [Int] = []
        for attempt in 0..<20 {
            let run = try LaunchedNNet(["run", program, "--resume", "--quiet"], binary: binary, work: work,
                                       label: "run\(attempt)")
            // Wait for the program to start writing, then a random moment more.
            _ = waitUntil(timeout: 30) { Self.hasCheckpoint(directory) || !run.process.isRunning }
            usleep(UInt32(random.nextIndex(below: 150_000)))
            run.signal(SIGKILL)
            run.wait()
            #expect(run.process.terminationReason == .uncaughtSignal, "attempt \(attempt): \(run.standardError)")
            let files = try CheckpointDirectory(directory, create: false).files()
            #expect(!files.isEmpty, "attempt \(attempt)")
            for file in files {
                #expect(throws: Never.self, "attempt \(attempt): \(file.path)") { _ = try CheckpointFile.read(from: file.path) }
            }
            if let newest = files.last, let checkpoint = try? CheckpointFile.read(from: newest.path) {
                progress.append(checkpoint.position.stepsDone)
            }
        }
        #expect(progress.count == 20)
        #expect(progress == progress.sorted(), "each run resumes where the last one was killed: \(progress)")
        #expect(progress.last! > progress.first!)
    }
}
