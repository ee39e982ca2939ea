// `nnet run FILE`: executes a program. Ctrl-C and SIGTERM stop training between steps (saving a
// checkpoint when the program asks for them) and exit with 130. Stage: driver.

import NNetRuntime

enum RunCommand {
    static func run(_ options: RunOptions, console: Console) -> ExitCode {
        guard let source = Driver.readSource(options.file, console: console) else { return .inputNotFound }
        var interpreterOptions = InterpreterOptions()
        if let seed = options.seed { interpreterOptions.seed = seed }
        interpreterOptions.useReference = options.reference
        interpreterOptions.resume = options.resume
        if let threads = options.threads { Engine.configureThreads(threads) }
        if let path = options.logPath {
            do {
                interpreterOptions.log = try EventLog(path: path)
            } catch {
                console.writeError("nnet: error: \(error)\n")
                return .inputNotFound
            }
        }
        let interpreter = Interpreter(options: interpreterOptions, console: console)
        Interruption.installHandlers()
        defer { Interruption.removeHandlers() }
        let outcome = interpreter.execute(source)
        return interpreter.wasInterrupted ? .interrupted : outcome.exitCode
    }
}

extension Interpreter.Outcome {
    var exitCode: ExitCode {
        switch self {
        case .success: return .success
        case .failed: return .programError
        case .diverged: return .trainingFailed
        }
    }
}
