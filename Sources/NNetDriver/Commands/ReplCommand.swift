// `nnet repl`: the same pipeline one entry at a time. Definitions persist between entries, an
// error is reported and the session goes on, and a bare expression is printed. Ctrl-C stops a
// `train` after its current step (the session and the trained weights stay) or clears the line
// being typed; ctrl-D leaves. Stage: driver.

import NNetSyntax
import NNetRuntime
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum ReplCommand {
    static func run(_ options: ReplOptions, console: Console) -> ExitCode {
        if let threads = options.threads { Engine.configureThreads(threads) }
        let session = ReplSession(seed: options.seed, console: console)
        let history = ProcessInfo.processInfo.environment["HOME"].map { $0 + "/.nnet_history" }
        let editor = LineEditor(prompt: "nnet> ", continuationPrompt: "  ... ", historyPath: history)
        // SIGINT only: it stops training (Trainer) or abandons the line being read (LineEditor).
        // SIGTERM keeps its default and ends the session.
        Interruption.installHandlers([SIGINT], interruptingReads: true)
        defer { Interruption.removeHandlers() }
        editor.abandonsEntryOnSignal = {
            guard Interruption.isRequested else { return false }
            Interruption.reset()
            return true
        }
        if console.isTTY { console.line("nnet \(HelpText.version) — type 'help' for help, 'exit' or ctrl-D to leave") }
        while true {
            Interruption.announce(false)
            guard let entry = editor.readEntry() else { break }
            Interruption.announce(true)
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
    /// The last entry Ctrl-C stopped, for `:resume`.
    private var interruptedEntry: SourceFile?
    static let statementKeywords = Set(Parser.statementKeywords)

    public init(seed: UInt64?, console: Console) {
        var options = InterpreterOptions()
        if let seed { options.seed = seed }
        options.allowRedefinition = true
        options.repl = true
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
        case ":resume":
            resumeInterruptedEntry()
            return true
        default: break
        }
        entryCount += 1
        let file = SourceFile(name: "<repl:\(entryCount)>", text: entry)
        let firstWord = trimmed.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        if !ReplSession.statementKeywords.contains(String(firstWord)) && !trimmed.contains("\n") {
            _ = interpreter.printExpression(file)
        } else {
            run(file)
        }
        return true
    }

    /// Executes an entry; remembers it when Ctrl-C stopped it, and forgets a Ctrl-C that arrived
    /// outside a training loop, so it cannot stop the next entry.
    private func run(_ file: SourceFile) {
        _ = interpreter.execute(file)
        if interpreter.wasInterrupted { interruptedEntry = file }
        Interruption.reset()
    }

    /// `:resume`: the interrupted entry again, each `train` continuing from its newest checkpoint.
    private func resumeInterruptedEntry() {
        guard let entry = interruptedEntry else {
            console.line("nothing to resume: no train statement was interrupted in this session")
            return
        }
        interruptedEntry = nil
        interpreter.options.resume = true
        defer { interpreter.options.resume = false }
        run(entry)
    }

    static let help = """
    Enter statements as in a .nnet file; a block ({ … }) may span lines.
      data d = blobs(n: 200)          define a dataset
      model m { input [2] … }         define a model (shown with: m)
      train m on d { loss: … }        train; evaluate m on d.test; predict m on d
      gan p { generator: g, discriminator: d }   pair models (also vae, autoencoder); sample p to "p.png"
      m, d.train, m.dense_1.weight    show a model summary, a dataset, a parameter
      1/255 * 3                       evaluate an expression
    Names may be redefined. ctrl-C stops training after its current step (saving a checkpoint
    if the train statement has one; :resume continues from it) or clears the line. 'exit' or ctrl-D leaves.
    """
}

import Foundation
