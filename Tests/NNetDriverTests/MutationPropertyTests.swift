// Property: any edit of a valid or invalid program checks to success or to diagnostics, never a
// trap. Every example and golden case is mutated many times (seeded, so reproducible): byte
// ranges deleted, duplicated, swapped, replaced; tokens inserted; the file cut short. Each mutant
// runs through parse + `nnet check` in-process; a trap kills the test run, so running them is
// the test, and the result must be sound (Support/Checking.swift). Fuzz/ explores further.
//
// MUTATION_TRACE=1 prints each mutant before checking it (the last one printed is the culprit
// of a trap); MUTATION_COUNT=n changes the number of mutants per file.

import Foundation
import Testing

@Suite struct MutationPropertyTests {
    static let mutantsPerFile = ProcessInfo.processInfo.environment["MUTATION_COUNT"].flatMap(Int.init) ?? 80
    static let trace = ProcessInfo.processInfo.environment["MUTATION_TRACE"] != nil

    /// Every example and golden case, relative to the repository root.
    static var programs: [String] {
        var paths: [String] = []
        for directory in ["Examples", "Tests/NNetDriverTests/Cases"] {
            let root = repositoryRoot.appendingPathComponent(directory).path
            let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
            paths += files.filter { $0.hasSuffix(".nnet") }.map { "\(directory)/\($0)" }
        }
        return paths.sorted()
    }

    @Test func thereAreProgramsToMutate() {
        #expect(Self.programs.count >= 30)
    }

    @Test(arguments: programs)
    func mutantsCheckToSuccessOrDiagnostics(_ path: String) throws {
        let original = Array(try Data(contentsOf: repositoryRoot.appendingPathComponent(path)))
        var random = SplitMix64(seed: stableHash(path))
        for index in 0..<Self.mutantsPerFile {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &random) { Mutator.mutate(&bytes, using: &random) }
            let text = String(decoding: bytes, as: UTF8.self)
            if Self.trace { print("mutant \(index) of \(path):\n\(text)\n---") }
            let problems = soundnessProblems(checkSource(text))
            #expect(problems == [], "mutant \(index) of \(path): \(text.debugDescription)")
        }
    }
}

/// Random edits of a program's bytes.
enum Mutator {
    /// Statement keywords, layer and built-in names, punctuation, awkward literals and bytes.
    static let tokens: [[UInt8]] = ([
        "let ", "data ", "model ", "train ", "evaluate ", "predict ", "print ", "save ", "load ",
        " on ", " to ", " from ", "input ", "dense ", "activation ", "flatten", "reshape ", "dropout ",
        "relu", "softmax", "leaky_relu(", "adam(lr: ", "loss: ", "epochs: ", "batch: ", "metrics: ",
        "validation: ", "blobs(n: ", "csv(", "idx(", "true", "false", "x", "m",
        "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "+", "-", "*", "/", "\n", "\r\n", "\t",
        "\"", "\\", "#", "0", "1", "32", "0.5", "1e-3", "1e309", ".5", "3x", "99999999999999999999",
        "[999999999, 999999999, 999999999]", "é", "😀",
    ] as [String]).map { Array($0.utf8) } + [[0xFF], [0xC3], [0x00], [0x7F]]

    static func mutate(_ bytes: inout [UInt8], using random: inout SplitMix64) {
        let count = bytes.count
        let start = Int.random(in: 0...count, using: &random)
        let length = Int.random(in: 0...min(16, count - start), using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0:
            bytes.removeSubrange(start..<start + length)
        case 1:
            bytes.insert(contentsOf: tokens.randomElement(using: &random)!, at: start)
        case 2:
            let piece = Array(bytes[start..<start + length])
            bytes.insert(contentsOf: piece, at: Int.random(in: 0...count, using: &random))
        case 3:
            // Swap two ranges of the same length.
            let other = Int.random(in: 0...count - length, using: &random)
            guard other + length <= start || start + length <= other else { return }
            for offset in 0..<length { bytes.swapAt(start + offset, other + offset) }
        case 4:
            bytes.removeSubrange(start...)
        case 5:
            for offset in start..<start + length { bytes[offset] = UInt8.random(in: 0...255, using: &random) }
        default:
            // A run of one token, for depth and length.
            let token = tokens.randomElement(using: &random)!
            bytes.insert(contentsOf: Array(repeating: token, count: Int.random(in: 2...300, using: &random)).joined(),
                         at: start)
        }
    }
}

/// A small, fast, seedable generator (SplitMix64), so every run makes the same mutants.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// FNV-1a of the path: a seed that does not change between runs (unlike `hashValue`).
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}
