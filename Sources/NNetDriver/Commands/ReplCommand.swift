// `nnet repl`: the same pipeline one entry at a time. Definitions persist between entries, an
// error is reported and the session goes on, and a bare expression is printed. Stage: driver.

import NNetSyntax

enum ReplCommand {
    static func run(_ options: ReplOptions, console: Console) -> ExitCode {
        if let threads = options.threads { Engine.configureThreads(threads) }
        let session = ReplSession(seed: options.seed, console: console)
        let history = ProcessInfo.processInfo.environment["HOME"].map { $0 + "/.nnet_history" }
        let editor = LineEditor(prompt: "nnet> ", continuationPrompt: "  ... ", historyPath: history)
        if console.isTTY { console.line("nnet \(HelpText.version) — type 'help' for help, 'exit' or ctrl-D to leave") }
        while let entry = editor.readEntry() {
            if !session.handle(entry) { break }
        }
        return .success
    }
}

/// The state of one REPL session; `handle` takes one complete entry.
public final class ReplSession {
    let interpreter: Interpreter
    let console: Console
    private var entryCount = 0
    static let statementKeywords = Set(Parser.statementKeywords)

    public init(seed: UInt64?, console: Console) {
        var options = InterpreterOptions()
        if let seed { options.seed = seed }
        options.allowRedefinition = true
        interpreter = Interpreter(options: options, console: console)
        self.console = console
    }

    /// Executes one entry. Returns false when the user asked to leave.
    @discardableResult
    public func handle(_ entry: String) -> Bool {
        let trimmed = entry.trimmingCharacters(in: .whitespacesAndNewlines)
        switch trimmed {
        case "": return true
        case "exit", "quit", ":q", ":quit": return false
        case "help", ":help":
            console.line(ReplSession.help)
            return true
        default: break
        }
        entryCount += 1
        let file = SourceFile(name: "<repl:\(entryCount)>", text: entry)
        let firstWord = trimmed.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        if !ReplSession.statementKeywords.contains(String(firstWord)) && !trimmed.contains("\n") {
            _ = interpreter.printExpression(file)
        } else {
            _ = interpreter.execute(file)
        }
        return true
    }

    static let help = """
    Enter statements as in a .nnet file; a block ({ … }) may span lines.
      data d = blobs(n: 200)          define a dataset
      model m { input [2] … }         define a model (shown with: m)
      train m on d { loss: … }        train; evaluate m on d.test; predict m on d
      gan p { generator: g, discriminator: d }   pair models (also vae, autoencoder); sample p to "p.png"
      m, d.train, m.dense_1.weight    show a model summary, a dataset, a parameter
      1/255 * 3                       evaluate an expression
    Names may be redefined. 'exit' or ctrl-D leaves.
    """
}

import Foundation
