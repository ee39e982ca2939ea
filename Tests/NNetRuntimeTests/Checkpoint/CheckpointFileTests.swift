// The checkpoint file: exact round trip, every corruption and truncation detected before
// anything is decoded, and the directory's newest-valid search, pruning and temp-file cleanup.
// Stage: runtime (checkpoint tests).

import Foundation
import Testing
import NNetRuntime

/// A checkpoint with every field set to something distinctive; `paired` adds a pairing's second
/// model, generators, sums and sample order (a GAN's or VAE's checkpoint); `averaged` a moving
/// average of the first model's weights (a GAN's `generator_ema`).
func sampleCheckpoint(epochsDone: Int = 2, scale: Float = 1, paired: Bool = false, averaged: Bool = false) -> Checkpoint {
    var checkpoint = Checkpoint(
        modelHash: 0x0123_4567_89ab_cdef, settingsHash: 0xfedc_ba98_7654_3210, layers: ["input input", "dense h1"],
        settings: [("loss", "mse"), ("lr", "0.001"), ("epochs", "4")],
        position: Checkpoint.Position(epochsBefore: 1, epochsDone: epochsDone, batchIndex: 3, stepsDone: 19),
        sums: Checkpoint.EpochSums(loss: 1.25, samples: 24, metrics: [0.5, 7]),
        randomState: [1, 2, 3, UInt64.max], optimizerKind: "adam", optimizerStep: 19,
        optimizerState: [0.25, -0.5, 1e-30, 3e38].map { $0 * scale },
        parameters: [Checkpoint.Tensor(name: "h1.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6].map { $0 * scale }),
                     Checkpoint.Tensor(name: "h1.bias", shape: [3], values: [-0.0, .leastNonzeroMagnitude, 7])])
    if paired {
        checkpoint.companion = Checkpoint.Companion(
            optimizerKind: "sgd with momentum", optimizerStep: 7, optimizerState: [0.5, -1e-20],
            parameters: [Checkpoint.Tensor(name: "out.weight", shape: [1, 2], values: [3, -4].map { $0 * scale })])
        checkpoint.extraRandomStates = [[5, 6, 7, 8], [UInt64.max, 0, 1, 2]]
        checkpoint.counters = [1.5, -2.25, 0.125, 1e300, 3]
        checkpoint.order = [4, 0, 3, 1, 2]
    }
    if averaged {
        checkpoint.averagedWeights = Checkpoint.AveragedWeights(
            updates: 41, parameters: [Checkpoint.Tensor(name: "h1.weight", shape: [2, 3], values: [1.5, 2, 3, 4, 5, -0.0]),
                                      Checkpoint.Tensor(name: "h1.bias", shape: [3], values: [0.25, .leastNonzeroMagnitude, 7])])
    }
    return checkpoint
}

/// CRC-32 (the polynomial zlib uses), to build files by hand.
func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xffff_ffff
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xedb8_8320 : crc >> 1 }
    }
    return ~crc
}

func checkpointTemporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "nnet-checkpoint-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

extension Checkpoint {
    /// Field-by-field equality, floats compared by bit pattern.
    func isIdentical(to other: Checkpoint) -> Bool {
        modelHash == other.modelHash && settingsHash == other.settingsHash && layers == other.layers
            && settings.map { [$0.key, $0.value] } == other.settings.map { [$0.key, $0.value] }
            && position == other.position && sums.loss.bitPattern == other.sums.loss.bitPattern
            && sums.samples == other.sums.samples && sums.metrics == other.sums.metrics
            && randomState == other.randomState && optimizerKind == other.optimizerKind
            && optimizerStep == other.optimizerStep
            && optimizerState.map(\.bitPattern) == other.optimizerState.map(\.bitPattern)
            && parameters.map(\.name) == other.parameters.map(\.name)
            && parameters.map(\.shape) == other.parameters.map(\.shape)
            && parameters.map { $0.values.map(\.bitPattern) } == other.parameters.map { $0.values.map(\.bitPattern) }
            && companion?.optimizerKind == other.companion?.optimizerKind
            && companion?.optimizerStep == other.companion?.optimizerStep
            && companion?.optimizerState.map(\.bitPattern) == other.companion?.optimizerState.map(\.bitPattern)
            && companion?.parameters.map { [$0.name] + $0.shape.map(String.init) + $0.values.map { String($0.bitPattern) } }
                == other.companion?.parameters.map { [$0.name] + $0.shape.map(String.init) + $0.values.map { String($0.bitPattern) } }
            && extraRandomStates == other.extraRandomStates && counters.map(\.bitPattern) == other.counters.map(\.bitPattern)
            && order == other.order
            && averagedWeights?.updates == other.averagedWeights?.updates
            && averagedWeights?.parameters.map { [$0.name] + $0.shape.map(String.init) + $0.values.map { String($0.bitPattern) } }
                == other.averagedWeights?.parameters.map { [$0.name] + $0.shape.map(String.init) + $0.values.map { String($0.bitPattern) } }
    }
}

@Suite struct CheckpointFileTests {
    @Test(arguments: [false, true])
    func roundTripIsExact(paired: Bool) throws {
        let checkpoint = sampleCheckpoint(paired: paired)
        let decoded = try CheckpointFile.decode(CheckpointFile.encode(checkpoint), path: "x")
        #expect(decoded.isIdentical(to: checkpoint))
        #expect((decoded.companion != nil) == paired)
        #expect(!sampleCheckpoint(paired: paired).isIdentical(to: sampleCheckpoint(paired: !paired)))
    }

    /// A GAN's `generator_ema`: the average and its update count come back exactly, in a file
    /// marked "NNETCKP3"; without an average the file is the "NNETCKP2" earlier builds wrote.
    @Test func averagedWeightsRoundTripInTheirOwnVersion() throws {
        let checkpoint = sampleCheckpoint(paired: true, averaged: true)
        let bytes = CheckpointFile.encode(checkpoint)
        #expect(bytes.starts(with: Array("NNETCKP3".utf8)))
        #expect(CheckpointFile.encode(sampleCheckpoint(paired: true)).starts(with: Array("NNETCKP2".utf8)))
        let decoded = try CheckpointFile.decode(bytes, path: "x")
        #expect(decoded.isIdentical(to: checkpoint))
        #expect(decoded.averagedWeights?.updates == 41)
        #expect(!decoded.isIdentical(to: sampleCheckpoint(paired: true)))
        var infinite = checkpoint
        infinite.averagedWeights!.parameters[1].values[0] = .infinity
        #expect(checkpoint.isFinite && !infinite.isFinite)
    }

    /// Files written before pairings had checkpoints ("NNETCKP1", no pairing section) still read.
    @Test func aVersionOneFileStillReads() throws {
        let current = CheckpointFile.encode(sampleCheckpoint())
        // The empty pairing section: no companion, no generators, no counters, no order.
        let emptyPairing = 4 + 4 + 4 + 8
        var old = Array("NNETCKP1".utf8) + current[8..<(current.count - 4 - emptyPairing)]
        withUnsafeBytes(of: crc32(old).littleEndian) { old += $0 }
        let decoded = try CheckpointFile.decode(old, path: "old.ckpt")
        #expect(decoded.isIdentical(to: sampleCheckpoint()))
    }

    @Test func aSampleOrderThatIsNotAPermutationIsRefused() {
        var checkpoint = sampleCheckpoint(paired: true)
        checkpoint.order = [0, 1, 1, 3, 4]
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(CheckpointFile.encode(checkpoint), path: "x") }
        #expect(error?.message.contains("not a permutation") == true)
    }

    @Test func aTensorWhoseElementCountOverflowsIsRefused() {
        var checkpoint = sampleCheckpoint()
        checkpoint.parameters = [Checkpoint.Tensor(name: "huge", shape: [Int](repeating: (1 << 31) - 1, count: 8), values: [])]
        let error = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(CheckpointFile.encode(checkpoint), path: "x") }
        #expect(error?.message == "tensor 'huge' has an invalid shape")
    }

    @Test(arguments: [false, true])
    func everyFlippedByteIsDetected(averaged: Bool) {
        let bytes = CheckpointFile.encode(sampleCheckpoint(paired: true, averaged: averaged))
        for index in bytes.indices {
            var corrupt = bytes
            corrupt[index] ^= 0x5a
            #expect(throws: CheckpointError.self, "byte \(index)") { try CheckpointFile.decode(corrupt, path: "x") }
        }
    }

    @Test(arguments: [false, true])
    func everyTruncationIsDetected(averaged: Bool) {
        let bytes = CheckpointFile.encode(sampleCheckpoint(paired: true, averaged: averaged))
        for length in 0..<bytes.count {
            #expect(throws: CheckpointError.self, "\(length) bytes") {
                try CheckpointFile.decode(Array(bytes[..<length]), path: "x")
            }
        }
    }

    @Test func messagesSayWhatIsWrong() throws {
        let bytes = CheckpointFile.encode(sampleCheckpoint())
        var corrupt = bytes
        corrupt[40] ^= 1
        let checksum = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(corrupt, path: "c.ckpt") }
        #expect(checksum?.description == "c.ckpt: checksum mismatch: the file is corrupt or truncated")
        let magic = #expect(throws: CheckpointError.self) { try CheckpointFile.decode(Array("NNETWTS1xxxxxxxx".utf8), path: "w") }
        #expect(magic?.message.contains("not an nnet checkpoint") == true)
        let missing = #expect(throws: CheckpointError.self) { try CheckpointFile.read(from: "/nonexistent/c.ckpt") }
        #expect(missing?.message.contains("missing") == true)
    }

    @Test func directoryFallsBackPastCorruptFiles() throws {
        let path = checkpointTemporaryDirectory()
        let directory = try CheckpointDirectory(path)
        let first = try directory.write(sampleCheckpoint(epochsDone: 1), keep: 5)
        let second = try directory.write(sampleCheckpoint(epochsDone: 2), keep: 5)
        let third = try directory.write(sampleCheckpoint(epochsDone: 3), keep: 5)
        #expect(try CheckpointDirectory(path, create: false).newest().found?.path == third)
        // Truncate the newest, corrupt the one before: the search reports both and takes the first.
        let data = try Data(contentsOf: URL(fileURLWithPath: third))
        try data.prefix(data.count / 2).write(to: URL(fileURLWithPath: third))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: second)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: second))
        let search = try CheckpointDirectory(path, create: false).newest()
        #expect(search.found?.path == first)
        #expect(search.found?.checkpoint.position.epochsDone == 1)
        #expect(search.rejected.map(\.path) == [third, second])
        #expect(search.rejected.allSatisfy { $0.reason.contains("checksum mismatch") })
    }

    @Test func keepsTheNewestAndCleansTemporaryFiles() throws {
        let path = checkpointTemporaryDirectory()
        _ = FileManager.default.createFile(atPath: path + "/checkpoint-000009.ckpt.tmp", contents: Data([1, 2, 3]))
        _ = FileManager.default.createFile(atPath: path + "/notes.txt", contents: Data())
        let directory = try CheckpointDirectory(path)
        #expect(!FileManager.default.fileExists(atPath: path + "/checkpoint-000009.ckpt.tmp"))
        var written: [String] = []
        for epoch in 1...5 { written.append(try directory.write(sampleCheckpoint(epochsDone: epoch), keep: 2)) }
        #expect(directory.files().map(\.path) == Array(written.suffix(2)))
        #expect(FileManager.default.fileExists(atPath: path + "/notes.txt"), "other files are left alone")
        // Numbering continues after the files already there.
        let reopened = try CheckpointDirectory(path)
        let next = try reopened.write(sampleCheckpoint(), keep: 2)
        #expect(next.hasSuffix("checkpoint-000006.ckpt"))
    }

    @Test func refusesToSaveNonFiniteState() throws {
        let directory = try CheckpointDirectory(checkpointTemporaryDirectory())
        #expect(throws: CheckpointError.self) { try directory.write(sampleCheckpoint(scale: .nan), keep: 3) }
        #expect(throws: CheckpointError.self) { try directory.write(sampleCheckpoint(scale: 1e30), keep: 3) }  // 3e38·1e30 = inf
        #expect(directory.files().isEmpty)
    }

    @Test func parameterMismatchesNameBothShapes() throws {
        let model = try lowerModel("input [2]\nh1: dense 4\ndense 1")
        var checkpoint = sampleCheckpoint()
        checkpoint.parameters = [
            Checkpoint.Tensor(name: "h1.weight", shape: [2, 3], values: [Float](repeating: 0, count: 6)),
            Checkpoint.Tensor(name: "h1.bias", shape: [4], values: [Float](repeating: 0, count: 4)),
            Checkpoint.Tensor(name: "old.weight", shape: [1], values: [0]),
        ]
        let problems = checkpoint.parameterMismatches(model)
        #expect(problems.contains("'h1.weight' is [2, 3] in the checkpoint but [2, 4] in the model"))
        #expect(problems.contains { $0.hasPrefix("'dense_2.weight' [4, 1] is new") })
        #expect(problems.contains { $0.hasPrefix("'old.weight' [1] is in the checkpoint but no longer") })
        #expect(problems.count == 4)  // h1.weight, dense_2.weight, dense_2.bias, old.weight
    }
}
