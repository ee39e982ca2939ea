// Runs nnet commands in-process and captures their output.

import Foundation
import NNetDriver

struct CommandResult {
    let exitCode: ExitCode
    let standardOutput: String
    let standardError: String
}

func nnet(_ arguments: String...) -> CommandResult { nnet(arguments) }

func nnet(_ arguments: [String]) -> CommandResult {
    let (console, captured) = Console.capturing()
    let code = Driver.run(arguments, console: console)
    return CommandResult(exitCode: code, standardOutput: captured.standardOutput, standardError: captured.standardError)
}

/// The repository root, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary directory.
func temporaryDirectory(_ label: String = "nnet") -> String {
    let path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Writes `text` to a new file in a temporary directory and returns its path.
func writeProgram(_ text: String, name: String = "program.nnet") -> String {
    let path = temporaryDirectory() + "/" + name
    try! text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Every number in `text` after `prefix` (e.g. the values printed for a parameter).
func numbers(after prefix: String, in text: String) -> [Double] {
    guard let line = text.split(separator: "\n").first(where: { $0.contains(prefix) }),
          let range = line.range(of: prefix) else { return [] }
    let rest = line[range.upperBound...]
    let afterEquals = rest.split(separator: "=", maxSplits: 1).last ?? rest
    return afterEquals.split(whereSeparator: { !"0123456789.-e".contains($0) }).compactMap { Double($0) }
}

/// The value printed after `name` in a line such as `... accuracy 0.8580 ...`.
func metric(_ name: String, inLineContaining marker: String, of text: String) -> Double? {
    guard let line = text.split(separator: "\n").last(where: { $0.contains(marker) }) else { return nil }
    let words = line.split(separator: " ")
    guard let index = words.firstIndex(of: Substring(name)), index + 1 < words.count else { return nil }
    return Double(words[index + 1])
}
