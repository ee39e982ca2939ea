// Executes parsed programs statement by statement: the one pipeline behind `run`, `check` and
// the REPL. Keeps the session's constants, datasets and models. Stage: driver.

import NNetSyntax
import NNetIR
import NNetRuntime

public struct InterpreterOptions {
    /// Only parse, lower and shape-check: read no data, train nothing.
    public var checkOnly = false
    /// The base seed: initialises models and is the default for `train`'s seed.
    public var seed: UInt64 = 42
    /// Run the naive reference kernels instead of the fast engine.
    public var useReference = false
    /// Allow redefining names (the REPL), instead of reporting duplicates.
    public var allowRedefinition = false
    /// `check --dump ir`: print each training graph.
    public var dumpIR = false
    /// `check --plan`: print each training step's execution plan.
    public var showPlan = false
    /// JSON Lines event log.
    public var log: EventLog?
    /// `run --resume`: continue each `train` statement from the newest valid checkpoint.
    public var resume = false
    /// An interactive session (`nnet repl`): messages say what to type rather than what to run.
    public var repl = false
    public init() {}
}

/// Why a statement could not complete.
enum StatementFailure: Error {
    case diagnostics([Diagnostic])
    /// Training diverged (NaN/Inf): exit code 2.
    case numeric(Diagnostic)
    /// Ctrl-C or SIGTERM stopped the program; the text says what was saved: exit code 130.
    case interrupted(String)
}

public final class Interpreter {
    /// Mutable for the REPL's `:resume`, which re-runs one entry with `resume` set.
    public internal(set) var options: InterpreterOptions
    let console: Console
    var constants = ConstantScope()
    var definitions: [String: (kind: String, range: SourceRange)] = [:]
    var datasets: [String: DatasetGroup] = [:]
    /// Split names of datasets not loaded (check mode).
    var plannedSplits: [String: [String]] = [:]
    var models: [String: ModelEntry] = [:]
    var gans: [String: GANEntry] = [:]
    var vaes: [String: VAEEntry] = [:]
    /// Datasets without targets (`samples(...)`): predictions are shown without labels.
    var unlabelledDatasets: Set<String> = []
    /// Checkpoint directories of the `train` statements run so far (one statement each).
    var checkpointDirectories: [String: SourceRange] = [:]
    /// Whether the last `execute` stopped because of Ctrl-C or SIGTERM (exit code 130).
    public private(set) var wasInterrupted = false

    struct ModelEntry {
        let lowered: LoweredModel
        /// nil in check-only mode.
        let instance: ModelInstance?
        var loss: LossKind?
        var metrics: [Metric] = []
    }

    public init(options: InterpreterOptions, console: Console) {
        self.options = options
        self.console = console
    }

    /// Outcome of executing a program or REPL entry.
    public enum Outcome: Equatable {
        case success
        /// Diagnostics were reported (syntax, shape, data or runtime errors).
        case failed
        /// Training stopped on a non-finite loss.
        case diverged
    }

    /// Parses and executes `file`. Syntax errors stop before anything runs; other errors stop at
    /// the failing statement (in check mode every statement is still checked, up to
    /// `Diagnostic.errorLimit` errors).
    public func execute(_ file: SourceFile) -> Outcome {
        let program = Parser.parse(file)
        if !program.diagnostics.isEmpty {
            console.report(program.diagnostics)
            if program.diagnostics.contains(where: { $0.severity == .error }) { return .failed }
        }
        var failed = false
        var errorCount = 0
        wasInterrupted = false
        for statement in program.statements {
            if !options.checkOnly, Interruption.isRequested {
                console.writeError("nnet: interrupted before line \(statement.range.file.lineColumn(of: statement.range.start).line)\n")
                wasInterrupted = true
                return .failed
            }
            if errorCount >= Diagnostic.errorLimit {
                console.report([.tooManyErrors])
                return .failed
            }
            do {
                try execute(statement)
            } catch StatementFailure.diagnostics(let diagnostics) {
                console.report(diagnostics)
                failed = true
                if !options.checkOnly { return .failed }
                errorCount += diagnostics.filter { $0.severity == .error }.count
            } catch StatementFailure.numeric(let diagnostic) {
                console.report([diagnostic])
                return .diverged
            } catch StatementFailure.interrupted(let message) {
                console.writeError(message)
                wasInterrupted = true
                return .failed
            } catch {
                console.report([.error("internal-error", "\(error)", at: statement.range)])
                return .failed
            }
        }
        return failed ? .failed : .success
    }

    func execute(_ statement: Statement) throws {
        switch statement.kind {
        case .constant(let name, let expr):
            try define(name, as: "constant")
            constants.define(name.name, try evaluate(expr))
        case .data(let name, let expr):
            try define(name, as: "dataset")
            datasets[name.name] = try makeDataset(named: name.name, from: try evaluate(expr))
        case .model(let declaration):
            try define(declaration.name, as: "model")
            try defineModel(declaration)
        case .train(let model, let dataset, let settings):
            try train(model, on: dataset, settings: settings, statement: statement)
        case .evaluate(let model, let dataset):
            try evaluate(model, on: dataset)
        case .predict(let model, let dataset, let arguments):
            try predict(model, on: dataset, arguments: arguments, statement: statement)
        case .print(let expressions):
            for expression in expressions { try printValue(expression) }
        case .save(let model, let path):
            try saveWeights(model, to: path)
        case .load(let model, let path):
            try loadWeights(model, from: path)
        case .pairing(.gan, let name, let settings):
            try define(name, as: "gan")
            try defineGAN(name, settings: settings, statement: statement)
        case .pairing(let kind, let name, let settings):
            try define(name, as: kind.rawValue)
            try defineVAE(name, settings: settings, variational: kind == .vae, statement: statement)
        case .sample(let name, let path, let arguments):
            try sample(name, to: path, arguments: arguments, statement: statement)
        }
    }

    // MARK: - Names

    func define(_ name: Identifier, as kind: String) throws {
        if let previous = definitions[name.name], !options.allowRedefinition {
            throw StatementFailure.diagnostics([.error(
                "duplicate-definition", "'\(name.name)' is already defined as a \(previous.kind)", at: name.range,
                notes: [DiagnosticNote("'\(name.name)' defined here", at: previous.range)])])
        }
        // A redefinition in the REPL replaces the old meaning in every namespace.
        constants = constants.removing(name.name)
        datasets[name.name] = nil
        models[name.name] = nil
        gans[name.name] = nil
        vaes[name.name] = nil
        definitions[name.name] = (kind, name.range)
    }

    func evaluate(_ expr: Expr) throws -> Value {
        do { return try Evaluator.evaluate(expr, in: constants) } catch { throw StatementFailure.diagnostics([error]) }
    }

    /// The model named `name`, or an error suggesting the closest defined model.
    func modelEntry(_ name: Identifier) throws -> ModelEntry {
        if let entry = models[name.name] { return entry }
        throw StatementFailure.diagnostics([unknownName(name.name, at: name.range, kind: "model", candidates: Array(models.keys))])
    }

    func unknownName(_ name: String, at range: SourceRange, kind: String, candidates: [String]) -> Diagnostic {
        var notes: [DiagnosticNote] = []
        if let other = definitions[name] {
            notes.append(DiagnosticNote("'\(name)' is a \(other.kind), defined here", at: other.range))
        }
        return .error("unknown-\(kind)", "unknown \(kind) '\(name)'", at: range, notes: notes,
                      help: closestMatch(to: name, in: candidates).map { "did you mean '\($0)'?" }
                        ?? (candidates.isEmpty ? "no \(kind) is defined yet" : "defined \(kind)s: \(abbreviatedList(candidates.sorted()))"))
    }

    /// `a, b, c`, or for a long list its first `limit` items and the count: `a, b, …, j (250 in
    /// all)`, so that a help line stays short however many names a program defines.
    func abbreviatedList(_ items: [String], limit: Int = 10) -> String {
        guard items.count > limit else { return items.joined(separator: ", ") }
        return items.prefix(limit).joined(separator: ", ") + ", … (\(items.count) in all)"
    }

    // MARK: - Models

    func defineModel(_ declaration: ModelDecl) throws {
        switch ModelLowering.lower(declaration, constants: constants) {
        case .failure(let list):
            throw StatementFailure.diagnostics(list.items)
        case .success(let lowered):
            if !options.checkOnly { try guardParameterMemory(lowered) }
            let instance = options.checkOnly ? nil : ModelInstance(lowered, seed: modelSeed(lowered.name))
            models[lowered.name] = ModelEntry(lowered: lowered, instance: instance)
            if options.checkOnly { console.line(ModelSummary.render(lowered)) }
        }
    }

    /// Each model's initial weights depend on the base seed and its name, not on statement order.
    func modelSeed(_ name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return options.seed ^ hash
    }
}

extension ConstantScope {
    func removing(_ name: String) -> ConstantScope {
        guard lookup(name) != nil else { return self }
        var copy = ConstantScope()
        for (key, value) in values where key != name { copy.define(key, value) }
        return copy
    }
}

extension Interpreter {
    /// REPL: evaluates a bare expression (`classifier`, `fashion.train`, `2 * 3`) and prints it.
    func printExpression(_ file: SourceFile) -> Outcome {
        let (expr, diagnostics) = Parser.parseExpression(file)
        guard let expr, diagnostics.isEmpty else {
            console.report(diagnostics)
            return .failed
        }
        do {
            try printValue(expr)
            return .success
        } catch StatementFailure.diagnostics(let diagnostics) {
            console.report(diagnostics)
            return .failed
        } catch {
            console.report([.error("internal-error", "\(error)", at: expr.range)])
            return .failed
        }
    }
}
