// `nnet run FILE`: executes a program. Stage: driver.

enum RunCommand {
    static func run(_ options: RunOptions, console: Console) -> ExitCode {
        guard let source = Driver.readSource(options.file, console: console) else { return .inputNotFound }
        var interpreterOptions = InterpreterOptions()
        if let seed = options.seed { interpreterOptions.seed = seed }
        interpreterOptions.useReference = options.reference
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
        return interpreter.execute(source).exitCode
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
