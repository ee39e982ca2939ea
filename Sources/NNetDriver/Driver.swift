// Entry point shared by the executable and the tests: parses the command line and runs a command.
// Stage: driver.

#if canImport(Glibc)
import Glibc
#endif
import NNetSyntax
import NNetKernels

public enum Driver {
    /// Runs `nnet` with `arguments` (program name excluded) on the real terminal.
    public static func main(_ arguments: [String]) -> Int32 {
        var standardOutput = FileDescriptorOutput(fd: 1)
        var standardError = FileDescriptorOutput(fd: 2)
        let console = Console(isTTY: Terminal.supportsCursorControl(1),
                              color: Terminal.supportsColor(2),
                              out: { standardOutput.write($0) }, error: { standardError.write($0) })
        return run(arguments, console: console).rawValue
    }

    /// Runs a command with all output going to `console` (tests capture it).
    public static func run(_ arguments: [String], console: Console) -> ExitCode {
        FloatingPointEnvironment.flushSubnormalsOnThisThread()
        let command: Command
        do {
            command = try Command.parse(arguments)
        } catch {
            console.writeError("nnet: error: \(error.message)\n\(error.hint)\n")
            return .usageError
        }
        switch command {
        case .help(let topic):
            guard let text = HelpText.text(for: topic) else {
                console.writeError("nnet: error: no help for '\(topic ?? "")'\n")
                return .usageError
            }
            console.writeOut(text.hasSuffix("\n") ? text : text + "\n")
            return .success
        case .version:
            console.line(HelpText.versionLine)
            return .success
        case .run(let options):
            return RunCommand.run(options, console: console)
        case .check(let options):
            return CheckCommand.run(options, console: console)
        case .repl(let options):
            return ReplCommand.run(options, console: console)
        case .benchGEMM(let options):
            return BenchCommand.gemm(options, console: console)
        case .benchFile(let options):
            return BenchCommand.file(options, console: console)
        case .benchCores(let json):
            return BenchCommand.cores(json: json, console: console)
        }
    }

    /// Reads a program file, or reports why it cannot be read.
    static func readSource(_ path: String, console: Console) -> SourceFile? {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            console.writeError("nnet: error: cannot read '\(path)': \(exists ? (isDirectory.boolValue ? "it is a directory" : "permission denied") : "no such file")\n")
            return nil
        }
        return SourceFile(name: path, text: String(decoding: data, as: UTF8.self))
    }
}

import Foundation
