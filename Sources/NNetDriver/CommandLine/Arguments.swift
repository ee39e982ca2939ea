// Parses the `nnet` command line into a `Command` with typed options, or a `UsageError` that
// says what is wrong and what was probably meant. Stage: driver, first step of every command.

// MARK: - Commands and their options

/// `nnet run FILE …`
public struct RunOptions: Equatable, Sendable {
    public var file: String
    /// `--log FILE.jsonl`: where to write JSON Lines events.
    public var logPath: String?
    public var seed: UInt64?
    public var threads: Int?
    /// `--reference`: naive reference kernels.
    public var reference: Bool
    /// `--quiet`: no progress display.
    public var quiet: Bool
    /// `--resume`: continue each `train` statement from its newest valid checkpoint.
    public var resume: Bool

    public init(file: String, logPath: String? = nil, seed: UInt64? = nil, threads: Int? = nil,
                reference: Bool = false, quiet: Bool = false, resume: Bool = false) {
        self.file = file
        self.logPath = logPath
        self.seed = seed
        self.threads = threads
        self.reference = reference
        self.quiet = quiet
        self.resume = resume
    }
}

/// A pipeline stage `nnet check --dump` prints.
public enum DumpStage: String, CaseIterable, Sendable {
    case tokens, ast, ir, plan
}

/// `nnet check FILE …`
public struct CheckOptions: Equatable, Sendable {
    public var file: String
    /// `--plan`: print the execution plan summary.
    public var plan: Bool
    public var dump: DumpStage?

    public init(file: String, plan: Bool = false, dump: DumpStage? = nil) {
        self.file = file
        self.plan = plan
        self.dump = dump
    }
}

/// `nnet repl …`
public struct ReplOptions: Equatable, Sendable {
    public var seed: UInt64?
    public var threads: Int?

    public init(seed: UInt64? = nil, threads: Int? = nil) {
        self.seed = seed
        self.threads = threads
    }
}

/// `nnet bench gemm …`
public struct GEMMBenchOptions: Equatable, Sendable {
    public static let defaultSizes = [256, 512, 1024]
    /// Square matrix sizes, in the order given.
    public var sizes: [Int]
    /// Rectangular products (`--sizes 128x400x784:nt`), after the squares.
    public var shapes: [GEMMBenchShape]
    /// Also the seed models' shapes (`--sizes …,seed`), with their transposes.
    public var seedShapes: Bool
    public var threads: Int?
    public var json: Bool

    public init(sizes: [Int] = GEMMBenchOptions.defaultSizes, shapes: [GEMMBenchShape] = [], seedShapes: Bool = false,
                threads: Int? = nil, json: Bool = false) {
        self.sizes = sizes
        self.shapes = shapes
        self.seedShapes = seedShapes
        self.threads = threads
        self.json = json
    }
}

/// One benchmarked product: op(A) is m×k, op(B) is k×n; written `MxNxK`, with `:tn`, `:nt` or
/// `:tt` for transposed operands (BLAS's convention: the letters are op(A)'s and op(B)'s).
public struct GEMMBenchShape: Equatable, Sendable, CustomStringConvertible {
    public let m: Int, n: Int, k: Int, transA: Bool, transB: Bool

    public init(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false) {
        self.m = m
        self.n = n
        self.k = k
        self.transA = transA
        self.transB = transB
    }

    /// `128x400x784`, `784x400x128:tn`; nil for anything else.
    init?(_ text: Substring) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let sizes = parts[0].split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard sizes.count == 3, let m = sizes[0], let n = sizes[1], let k = sizes[2], m >= 1, n >= 1, k >= 1 else {
            return nil
        }
        var transA = false, transB = false
        if parts.count == 2 {
            let letters = Array(parts[1])
            guard letters.count == 2, letters.allSatisfy({ $0 == "n" || $0 == "t" }) else { return nil }
            transA = letters[0] == "t"
            transB = letters[1] == "t"
        }
        self.init(m: m, n: n, k: k, transA: transA, transB: transB)
    }

    public var description: String {
        "\(m)x\(n)x\(k)" + (transA || transB ? " (\(transA ? "Aᵀ" : "A")·\(transB ? "Bᵀ" : "B"))" : "")
    }
}

/// `nnet bench FILE.nnet …`
public struct BenchFileOptions: Equatable, Sendable {
    public var file: String
    public var threads: Int?
    public var json: Bool

    public init(file: String, threads: Int? = nil, json: Bool = false) {
        self.file = file
        self.threads = threads
        self.json = json
    }
}

/// What the command line asks for.
public enum Command: Equatable, Sendable {
    case run(RunOptions)
    case check(CheckOptions)
    case repl(ReplOptions)
    case benchGEMM(GEMMBenchOptions)
    /// `bench cores [--json]`: the cache-line round trip between two threads.
    case benchCores(json: Bool)
    case benchFile(BenchFileOptions)
    /// `--help`, `-h`, `help COMMAND`, `COMMAND --help`: the overview (nil) or a command's help.
    case help(topic: String?)
    case version
}

/// A wrong command line. `message` is one sentence without a prefix; print it as
/// `nnet: error: <message>` followed by `hint`, and exit with `ExitCode.usageError`.
public struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    /// The command whose help explains the mistake, if the mistake is within one.
    public let command: String?

    public init(_ message: String, command: String? = nil) {
        self.message = message
        self.command = command
    }

    public var description: String { message }

    /// `Run 'nnet help run' for usage.`
    public var hint: String {
        "Run '" + (command.map { "nnet help \($0)" } ?? "nnet --help") + "' for usage."
    }
}

// MARK: - Parsing

extension Command {
    /// Parses the arguments after the program name.
    /// `-h`/`--help` anywhere before `--` wins over every other mistake.
    public static func parse(_ arguments: [String]) throws(UsageError) -> Command {
        guard let first = arguments.first else {
            throw UsageError("no command given; expected one of: " + CommandSpec.names.joined(separator: ", "))
        }
        let rest = Array(arguments.dropFirst())
        switch first {
        case "-h", "--help":
            return .help(topic: nil)
        case "--version":
            guard rest.isEmpty else { throw UsageError("'--version' takes no arguments") }
            return .version
        case "help":
            return try parseHelp(rest)
        default:
            break
        }
        guard let spec = CommandSpec.named(first) else { throw unknownCommand(first) }
        let scanned = try ScannedArguments(rest, spec: spec)
        if scanned.wantsHelp { return .help(topic: spec.name) }
        switch spec.name {
        case "run":
            return .run(RunOptions(
                file: try scanned.file(), logPath: scanned.values["--log"],
                seed: try scanned.seed(), threads: try scanned.threads(),
                reference: scanned.flags.contains("--reference"), quiet: scanned.flags.contains("--quiet"),
                resume: scanned.flags.contains("--resume")))
        case "check":
            return .check(CheckOptions(file: try scanned.file(), plan: scanned.flags.contains("--plan"),
                                       dump: try scanned.dumpStage()))
        case "repl":
            try scanned.expectPositionals(0)
            return .repl(ReplOptions(seed: try scanned.seed(), threads: try scanned.threads()))
        default:
            return try parseBench(scanned)
        }
    }

    /// `help [COMMAND]`
    private static func parseHelp(_ arguments: [String]) throws(UsageError) -> Command {
        guard let topic = arguments.first else { return .help(topic: nil) }
        guard arguments.count == 1 else {
            throw UsageError("'help' takes one command name, got \(arguments.count) arguments", command: "help")
        }
        if topic == "-h" || topic == "--help" || topic == "help" { return .help(topic: "help") }
        guard CommandSpec.named(topic) != nil else { throw unknownCommand(topic, helpTopic: true) }
        return .help(topic: topic)
    }

    /// `bench gemm …` or `bench FILE.nnet …`
    private static func parseBench(_ scanned: ScannedArguments) throws(UsageError) -> Command {
        guard let subject = scanned.positionals.first else {
            throw UsageError("missing benchmark for 'bench': expected 'gemm', 'cores' or a .nnet file", command: "bench")
        }
        try scanned.expectPositionals(1)
        let threads = try scanned.threads(), json = scanned.flags.contains("--json")
        if subject == "gemm" {
            let (sizes, shapes, seedShapes) = try scanned.sizes() ?? (GEMMBenchOptions.defaultSizes, [], false)
            return .benchGEMM(GEMMBenchOptions(sizes: sizes, shapes: shapes, seedShapes: seedShapes, threads: threads,
                                               json: json))
        }
        if subject == "cores" {
            if scanned.values["--sizes"] != nil || threads != nil {
                throw UsageError("'bench cores' takes only --json", command: "bench")
            }
            return .benchCores(json: json)
        }
        // A bare word is a mistyped benchmark name, not a file: files have a '.' or a '/'.
        guard subject.contains(".") || subject.contains("/") else {
            let advice = suggestion(for: subject, among: ["gemm", "cores"]).map { "; did you mean '\($0)'?" }
                ?? "; expected 'gemm', 'cores' or a .nnet file"
            throw UsageError("unknown benchmark '\(subject)'" + advice, command: "bench")
        }
        if scanned.values["--sizes"] != nil {
            throw UsageError("option '--sizes' only applies to 'bench gemm'", command: "bench")
        }
        return .benchFile(BenchFileOptions(file: subject, threads: threads, json: json))
    }

    private static func unknownCommand(_ name: String, helpTopic: Bool = false) -> UsageError {
        if name.hasPrefix("-") {
            return UsageError("unknown option '\(name)'; options go after the command, as in 'nnet run FILE \(name)'")
        }
        if !helpTopic, name.hasSuffix(".nnet") {
            return UsageError("unknown command '\(name)'; did you mean 'nnet run \(name)'?")
        }
        let kind = helpTopic ? "help topic" : "command"
        if let nearest = suggestion(for: name, among: CommandSpec.names) {
            return UsageError("unknown \(kind) '\(name)'; did you mean '\(nearest)'?")
        }
        return UsageError("unknown \(kind) '\(name)'; expected one of: " + CommandSpec.names.joined(separator: ", "))
    }
}

/// The arguments after a command name, sorted into option values, flags and positionals
/// against the command's `OptionSpec`s. Options may come before or after positionals, values
/// as `--name VALUE` or `--name=VALUE`; after `--` everything is positional.
struct ScannedArguments {
    let command: String
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []
    var wantsHelp = false

    init(_ arguments: [String], spec: CommandSpec) throws(UsageError) {
        command = spec.name
        // Help wins over any other mistake on the line.
        if arguments.prefix(while: { $0 != "--" }).contains(where: { $0 == "-h" || $0 == "--help" }) {
            wantsHelp = true
            return
        }
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                positionals += arguments[index...]
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                positionals.append(argument)
                continue
            }
            let name: String, inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            } else {
                (name, inlineValue) = (argument, nil)
            }
            guard let option = spec.options.first(where: { $0.name == name }) else {
                let nearest = suggestion(for: name, among: spec.options.map(\.name) + ["--help"])
                throw UsageError("unknown option '\(name)' for '\(command)'"
                                 + (nearest.map { "; did you mean '\($0)'?" } ?? ""), command: command)
            }
            if values[name] != nil || flags.contains(name) {
                throw UsageError("option '\(name)' given more than once", command: command)
            }
            guard let valueName = option.valueName else {
                if inlineValue != nil {
                    throw UsageError("option '\(name)' takes no value", command: command)
                }
                flags.insert(name)
                continue
            }
            var value = inlineValue
            if value == nil, index < arguments.count, !arguments[index].hasPrefix("--") {
                value = arguments[index]
                index += 1
            }
            guard let value, !value.isEmpty else {
                throw UsageError("option '\(name)' needs a value (\(name) \(valueName))", command: command)
            }
            values[name] = value
        }
    }

    // MARK: Typed values

    func expectPositionals(_ count: Int) throws(UsageError) {
        if positionals.count > count {
            throw UsageError("unexpected argument '\(positionals[count])' for '\(command)'", command: command)
        }
    }

    /// The one FILE argument.
    func file() throws(UsageError) -> String {
        guard let file = positionals.first else {
            throw UsageError("missing FILE for '\(command)': the .nnet program to \(command)", command: command)
        }
        try expectPositionals(1)
        return file
    }

    /// `--threads N`, N ≥ 1.
    func threads() throws(UsageError) -> Int? {
        guard let text = values["--threads"] else { return nil }
        guard let value = Int(text) else {
            throw UsageError("option '--threads' expects a positive integer, got '\(text)'", command: command)
        }
        guard value >= 1 else {
            throw UsageError("option '--threads' must be at least 1, got \(value)", command: command)
        }
        return value
    }

    /// `--seed N`, 0 ≤ N < 2^64.
    func seed() throws(UsageError) -> UInt64? {
        guard let text = values["--seed"] else { return nil }
        guard let value = UInt64(text) else {
            throw UsageError("option '--seed' expects a non-negative integer, got '\(text)'", command: command)
        }
        return value
    }

    /// `--dump tokens|ast|ir|plan`
    func dumpStage() throws(UsageError) -> DumpStage? {
        guard let text = values["--dump"] else { return nil }
        if let stage = DumpStage(rawValue: text.lowercased()) { return stage }
        let names = DumpStage.allCases.map(\.rawValue)
        let nearest = suggestion(for: text, among: names).map { " (did you mean '\($0)'?)" } ?? ""
        throw UsageError("unknown stage '\(text)' for '--dump'; expected one of: "
                         + names.joined(separator: ", ") + nearest, command: command)
    }

    /// `--sizes 256,512,128x400x784:nt,seed`: square sizes, rectangular products (`MxNxK`, with
    /// `:tn`/`:nt`/`:tt` for transposed operands), and whether the word `seed` (the seed models'
    /// shapes) was among them.
    func sizes() throws(UsageError) -> (sizes: [Int], shapes: [GEMMBenchShape], seed: Bool)? {
        guard let text = values["--sizes"] else { return nil }
        var sizes: [Int] = []
        var shapes: [GEMMBenchShape] = []
        var seed = false
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var part = part
            while part.first == " " { part.removeFirst() }
            while part.last == " " { part.removeLast() }
            if part == "seed" {
                seed = true
            } else if let size = Int(part), size >= 1 {
                sizes.append(size)
            } else if let shape = GEMMBenchShape(part) {
                shapes.append(shape)
            } else {
                throw UsageError("option '--sizes' expects comma-separated positive integers, MxNxK products "
                                 + "(optionally :tn, :nt or :tt) or 'seed', got '\(text)'", command: command)
            }
        }
        return (sizes, shapes, seed)
    }
}
