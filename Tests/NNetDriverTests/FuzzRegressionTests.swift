// Inputs that crashed, hung, blew up quadratically or broke the diagnostics contract under the
// fuzzer (Fuzz/), the mutation property test or the long-input probes, minimised. Each runs through parse + `nnet check` in-process and must end in success
// or rendered diagnostics; a trap kills the test run. The long inputs were seconds to minutes
// before their fix and are milliseconds now; their output size is checked, never their time.

import Testing
import NNetSyntax
import NNetDriver

struct FuzzCase: Sendable, CustomTestStringConvertible {
    let name: String
    let source: String
    /// Text the output must contain: standard output on success, standard error on failure.
    let expected: String
    let succeeds: Bool
    var testDescription: String { name }

    static func ok(_ name: String, _ source: String, printing expected: String) -> FuzzCase {
        FuzzCase(name: name, source: source, expected: expected, succeeds: true)
    }

    static func error(_ name: String, _ source: String, _ expected: String) -> FuzzCase {
        FuzzCase(name: name, source: source, expected: expected, succeeds: false)
    }
}

@Suite struct FuzzRegressionTests {
    /// Short inputs that trapped (or rendered a position outside the file).
    static let crashes: [FuzzCase] = [
        // `Int(v)` on an integer literal beyond Int when printing the value.
        .ok("integer literal beyond Int", "print 99999999999999999999\n", printing: "1e+20"),
        .ok("integer product beyond Int", "let a = 9999999999 * 9999999999\nprint -a\n", printing: "-9.999999998e+19"),
        .error("integer beyond Int in a message", "let a = 99999999999999999999\nmodel m { input [2]; dense 2, bias: a }\n",
               "'bias' of layer 'dense' must be true or false, found integer '1e+20'"),
        // `Int(v)` on a CSV target column index beyond Int.
        .error("CSV target column beyond Int", "data d = csv(\"x.csv\", target: 100000000000000000000)\n",
               "CSV target column 1e+20 is out of range"),
        // Element counts multiplied past Int.max (flatten, reshape, dense weights).
        .error("input shape overflowing Int", "model m { input [999999999, 999999999, 999999999]; flatten }\n",
               "'shape' of layer 'input' has 9.99999997e+26 elements; a tensor may have at most 2147483647"),
        .error("reshape target overflowing Int", "model m { input [2]; reshape [99999999, 99999999, 9999999] }\n",
               "'shape' of layer 'reshape' has"),
        .error("dense output beyond the tensor limit", "model m { input [2]; dense 99999999999999 }\n",
               "the output of dense 'dense_1', [99999999999999], has 99999999999999 elements"),
        .error("dense weight beyond the tensor limit", "model m { input [99999]; dense 99999 }\n",
               "the weight of dense 'dense_1', [99999, 99999], has 9999800001 elements"),
        // A convolution's fans (kernel taps × channels) multiplied past Int.max.
        .error("conv2d fan-in overflowing Int", "model m { input [1, 1, 999999999]; conv2d 1, 999999, padding: same }\n",
               "the weight of conv2d 'conv2d_1', [999999, 999999, 999999999, 1], has"),
        .error("conv2d fan-out overflowing Int", "model m { input [4, 4, 1]; conv2d 99999999999999, 3 }\n",
               "the weight of conv2d 'conv2d_1', [3, 3, 1, 99999999999999], has"),
        .error("conv2d_transpose fans overflowing Int",
               "model m { input [1, 1, 999999999]; conv2d_transpose 1, 999999, stride: 999999 }\n",
               "the weight of conv2d_transpose 'conv2d_transpose_1', [999999, 999999, 1, 999999999], has"),
        // CR LF line ends: "found newline" was rendered one column past the end of the line
        // (found by the mutation property test).
        .error("CR LF at an unclosed bracket", "model m {\r\n  input [4\r\n}\r\n",
               "input.nnet:2:11: error: expected ']' to close '[' at 2:9, found newline"),
        // `nnet check` plans the training step to print its memory: sizes multiplied past Int.max
        // in the planner (found by the fuzzer: a huge batch; a huge convolution's im2col scratch).
        .ok("huge batch in the memory estimate",
            "model m { input [100000]; dense 1 }\ndata d = blobs(n: 10)\ntrain m on d { loss: mse, batch: 999999999999999 }\n",
            printing: "train m: memory more than 1 EiB for batch 999999999999999"),
        .ok("huge im2col scratch in the memory estimate",
            "model m { input [46340, 46340, 1]; conv2d 1, 46340, padding: same }\ndata d = blobs(n: 10)\ntrain m on d { loss: mse }\n",
            printing: "train m: memory more than 1 EiB for batch 32"),
    ]

    @Test(arguments: crashes)
    func crashInputChecksCleanly(_ fuzzCase: FuzzCase) {
        let result = checkSource(fuzzCase.source)
        #expect(soundnessProblems(result) == [])
        #expect((result.outcome == .success) == fuzzCase.succeeds, "\(result.standardError)")
        let output = fuzzCase.succeeds ? result.standardOutput : result.standardError
        #expect(output.contains(fuzzCase.expected), "\(output)")
    }

    /// `nnet check --plan` counts FLOPs in `Int`: an LSTM over 10^9 steps or a convolution with an
    /// image-sized kernel went past Int.max (found by the fuzzer, which also runs `--plan`).
    @Test(arguments: [
        "model m { input [999999999, 1]; lstm 23000 }\ndata d = sine(n: 10, length: 5)\ntrain m on d { loss: mse }\n",
        "model m { input [46340, 46340, 1]; conv2d 1, 46340, padding: same }\ndata d = blobs(n: 10)\ntrain m on d { loss: mse }\n",
    ])
    func planOfAnAbsurdModelIsDeclined(_ source: String) {
        let result = nnet("check", "--plan", writeProgram(source))
        #expect(result.exitCode == .success, "\(result.standardError)")
        #expect(result.standardOutput.contains("plan: training step of m not planned: it would need more than 1 EiB or 2^62 FLOPs"))
    }

    // MARK: - Quadratic blow-ups

    /// `@` × n: one lexer error per character; computing each one's column to keep one error per
    /// line was quadratic (100k: 14 s).
    @Test func longLineOfUnexpectedCharacters() {
        let result = checkSource(String(repeating: "@", count: 30_000))
        #expect(soundnessProblems(result) == [])
        #expect(result.standardError.components(separatedBy: "error:").count == 2)
        #expect(result.standardError.utf8.count < 1_000, "the source line is shown as a window")
    }

    /// A long name and a near miss: the edit distance behind `did you mean` was quadratic in the
    /// name's length (100k: minutes).
    @Test func longNameWithANearMiss() {
        let name = String(repeating: "a", count: 100_000)
        let result = checkSource("let \(name) = 1\nprint \(name.dropLast())b\n")
        #expect(soundnessProblems(result) == [])
        #expect(result.outcome == .failed)
        #expect(result.standardError.contains("unknown name"))
    }

    /// `print x;` × n on one line: every error rendered the whole line (100k statements: 300 MB
    /// of output). Now a window of the line, and at most `Diagnostic.errorLimit` errors.
    @Test func manyErrorsOnOneLongLine() {
        let result = checkSource(String(repeating: "print x;", count: 5_000))
        #expect(soundnessProblems(result) == [])
        #expect(result.standardError.components(separatedBy: "error: unknown name 'x'").count == Diagnostic.errorLimit + 1)
        #expect(result.standardError.contains("error: too many errors (\(Diagnostic.errorLimit)); stopping here"))
        #expect(result.standardError.utf8.count < 100_000)
    }

    /// The same with a non-ASCII line, where a column needs the characters before it.
    @Test func manyErrorsOnOneLongNonASCIILine() {
        let result = checkSource(String(repeating: "print \"é\" + x;", count: 5_000))
        #expect(soundnessProblems(result) == [])
        #expect(result.standardError.contains("too many errors"))
        #expect(result.standardError.utf8.count < 100_000)
    }

    /// `print (;` × n: one syntax error per statement, each message naming the `(` by position.
    @Test func manySyntaxErrorsOnOneLongLine() {
        let result = checkSource(String(repeating: "print (;", count: 5_000))
        #expect(soundnessProblems(result) == [])
        #expect(result.parseDiagnostics.count == Diagnostic.errorLimit + 1)
        #expect(result.parseDiagnostics.last?.id == "too-many-errors")
        #expect(result.standardError.utf8.count < 100_000)
    }

    /// Thousands of definitions, then unknown names: each help listed every definition.
    @Test func unknownNamesAmongManyDefinitions() {
        let definitions = (0..<2_000).map { "let c\($0) = \($0)\n" }.joined()
        let result = checkSource(definitions + String(repeating: "print zzz\n", count: 20))
        #expect(soundnessProblems(result) == [])
        #expect(result.standardError.contains("help: defined names: c0, c1, c10, c100, c1000, c1001, c1002, c1003, c1004, c1005, … (2000 in all)"))
        #expect(result.standardError.utf8.count < 50_000)
    }

    /// Deep and long inputs that were already linear stay so (1 MB each in the probes).
    @Test(arguments: ["[", "(", "-", "a.", "1+", "model m {\n", "\"", "\u{FF}"])
    func longRepetitionChecksCleanly(_ unit: String) {
        let result = checkSource("let a = " + String(repeating: unit, count: 10_000) + "1")
        #expect(soundnessProblems(result) == [])
        #expect(result.outcome == .failed)
        #expect(result.standardError.utf8.count < 100_000)
    }
}
