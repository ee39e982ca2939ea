// The libFuzzer target: bytes -> lexer -> parser -> `nnet check` (the check-mode interpreter:
// constant evaluation, lowering with shape checks, argument binding; no data read), then for a
// program that parses `nnet check --dump ir --plan`. Any trap is a crash; so is a result that
// breaks what every input must give (see `checkSoundness`).
// Stage: test harness (Fuzz/README.md).

import NNetSyntax
import NNetDriver

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Invalid UTF-8 is decoded lossily, as `nnet` reads files.
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let file = SourceFile(name: "fuzz.nnet", text: text)
    let tokens = Lexer.tokenize(file)
    precondition(tokens.last?.kind == .endOfFile, "the token list must end with end of file")
    for token in tokens { _ = token.description }
    let program = Parser.parse(file)
    _ = program.dump()
    _ = Parser.parseExpression(file)
    var options = InterpreterOptions()
    options.checkOnly = true
    let (console, captured) = Console.capturing()
    let outcome = Interpreter(options: options, console: console).execute(file)
    checkSoundness(file, program.diagnostics, outcome, captured.standardError)
    guard program.diagnostics.isEmpty else { return 0 }
    // A program that parses is checked again as `nnet check --dump ir --plan` would (training
    // graphs with gradients, execution plans), with REPL-style redefinition allowed.
    options.dumpIR = true
    options.showPlan = true
    options.allowRedefinition = true
    let (planConsole, planCaptured) = Console.capturing()
    let planOutcome = Interpreter(options: options, console: planConsole).execute(file)
    checkSoundness(file, program.diagnostics, planOutcome, planCaptured.standardError)
    return 0
}

/// Traps when the result is not success-or-diagnostics: a failure must render an error, success
/// must not, and every range and rendered `fuzz.nnet:LINE:COLUMN` must lie inside the file.
func checkSoundness(_ file: SourceFile, _ diagnostics: [Diagnostic], _ outcome: Interpreter.Outcome,
                    _ standardError: String) {
    for diagnostic in diagnostics {
        for range in [diagnostic.range] + diagnostic.notes.map(\.range) {
            guard let range else { continue }
            precondition(range.start >= 0 && range.start <= range.end && range.end <= file.bytes.count,
                         "range \(range.start)..<\(range.end) outside the file: \(diagnostic.message)")
        }
    }
    var renderedError = false
    for line in standardError.split(separator: "\n") where line.hasPrefix(file.name + ":") {
        let fields = line.dropFirst(file.name.count + 1).split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
        guard fields.count >= 3, let lineNumber = Int(fields[0]), let column = Int(fields[1]) else { continue }
        precondition((1...file.lineStarts.count).contains(lineNumber)
                     && (1...file.lineText(lineNumber).count + 1).contains(column),
                     "rendered position \(lineNumber):\(column) is not in the file")
        if fields[2] == " error" { renderedError = true }
    }
    switch outcome {
    case .failed: precondition(renderedError || standardError.contains("error: "), "failed without an error")
    case .success: precondition(!standardError.contains("error: "), "succeeded with an error")
    case .diverged: preconditionFailure("check mode cannot diverge")
    }
}

// MARK: - Entry point

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable with `main` aliased to `<module>_main`, so libFuzzer's own `main`
/// is never used: hand the command line to libFuzzer's driver from here.
@_cdecl("NNetFuzz_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzzOneInput)
}
