// What each `nnet` command accepts: its arguments and options with their help. The parser
// (Arguments.swift) and the help text (HelpText.swift) both read this table, so they cannot drift.
// Stage: driver.

/// An option of one command, as `--name VALUE` (or `--name=VALUE`) or a flag `--name`.
public struct OptionSpec: Sendable, Equatable {
    /// With the dashes: `--threads`.
    public let name: String
    /// Shown after the name in help (`N`, `FILE`); nil for a flag, which takes no value.
    public let valueName: String?
    public let help: String

    public init(_ name: String, value valueName: String? = nil, help: String) {
        self.name = name
        self.valueName = valueName
        self.help = help
    }

    public var takesValue: Bool { valueName != nil }
}

/// One command: what it is called, how it is used, and its options.
public struct CommandSpec: Sendable {
    public let name: String
    /// The synopsis lines, without the leading `nnet `.
    public let usage: [String]
    /// One line for the command list in `nnet --help`.
    public let summary: String
    /// Paragraphs shown by `nnet help COMMAND`.
    public let description: [String]
    public let options: [OptionSpec]
    /// Extra sections, `(title, lines)`, shown after the options.
    public let sections: [(title: String, lines: [String])]
    public let examples: [String]

    /// The spec of `name`, or nil if there is no such command.
    public static func named(_ name: String) -> CommandSpec? {
        all.first { $0.name == name }
    }

    /// Command names, in the order `nnet --help` lists them.
    public static var names: [String] { all.map(\.name) }
}

// MARK: - The commands

extension OptionSpec {
    static let threads = OptionSpec("--threads", value: "N",
                                    help: "use N threads for the kernels (default: one per core)")
    static let seed = OptionSpec("--seed", value: "N",
                                 help: "seed for initialisation, shuffling and dropout, so runs repeat")
}

extension CommandSpec {
    public static let all: [CommandSpec] = [run, check, repl, bench, help]

    static let run = CommandSpec(
        name: "run",
        usage: ["run FILE [--log FILE.jsonl] [--seed N] [--threads N] [--reference] [--quiet] [--resume]"],
        summary: "run a .nnet program: train and evaluate its models",
        description: [
            "Runs the .nnet program FILE: loads its data, builds its models, trains and",
            "evaluates them, and prints progress and results.",
            "",
            "A train statement with 'checkpoint: \"DIR\"' saves its state there; ctrl-C",
            "(or SIGTERM) finishes the current step, saves, and exits with code 130.",
            "'--resume' then continues each such statement from its newest valid",
            "checkpoint, as if it had never stopped.",
        ],
        options: [
            OptionSpec("--log", value: "FILE", help: "also write every epoch and evaluation to FILE as JSON Lines"),
            .seed,
            .threads,
            OptionSpec("--reference", help: "use the naive reference kernels (slow; to cross-check results)"),
            OptionSpec("--quiet", help: "print results only, no progress"),
            OptionSpec("--resume", help: "continue training from the newest valid checkpoints"),
        ],
        sections: [],
        examples: ["nnet run Examples/mnist.nnet --seed 1 --log mnist.jsonl", "nnet run model.nnet --resume"])

    static let check = CommandSpec(
        name: "check",
        usage: ["check FILE [--plan] [--dump tokens|ast|ir|plan]"],
        summary: "check a program for errors without training",
        description: [
            "Parses FILE, infers every shape and plans execution without reading data or",
            "training, and reports the errors found with their source locations.",
        ],
        options: [
            OptionSpec("--plan", help: "print a summary of the execution plan (kernels and memory)"),
            OptionSpec("--dump", value: "STAGE", help: "print one pipeline stage: tokens, ast, ir or plan"),
        ],
        sections: [],
        examples: ["nnet check model.nnet", "nnet check model.nnet --dump=ir"])

    static let repl = CommandSpec(
        name: "repl",
        usage: ["repl [--seed N] [--threads N]"],
        summary: "enter statements interactively",
        description: [
            "Reads statements and runs each as soon as it is complete. A block such as",
            "'model m {' continues on '...' lines until its brackets close. When input is",
            "not a terminal, plain lines are read, so 'echo ... | nnet repl' works.",
        ],
        options: [.seed, .threads],
        sections: [(title: "Keys", lines: [
            "left/right, ctrl-B/F   move by character; alt-B/F by word",
            "home/end, ctrl-A/E     go to the start or end of the line",
            "up/down, ctrl-P/N      recall earlier lines (saved in ~/.nnet_history)",
            "backspace, delete      delete before or under the cursor",
            "ctrl-U, ctrl-K         delete to the start or to the end of the line",
            "ctrl-W, ctrl-Y         delete the previous word; paste what was deleted",
            "ctrl-L                 clear the screen",
            "ctrl-C                 abandon the entry",
            "ctrl-D                 on an empty line: quit (in a block: end the entry)",
        ])],
        examples: ["echo 'print 1 + 2' | nnet repl"])

    static let bench = CommandSpec(
        name: "bench",
        usage: ["bench gemm [--sizes 256,512] [--threads N] [--json]",
                "bench cores [--json]",
                "bench FILE.nnet [--threads N] [--json]"],
        summary: "measure GEMM or training speed, core latency",
        description: [
            "'bench gemm' measures matrix multiplication throughput in GFLOP/s on square",
            "matrices, on MxNxK products (op(A) MxK times op(B) KxN; ':tn', ':nt' or ':tt'",
            "transposes A, B or both), and with 'seed' among the sizes on the seed models'",
            "forward and backward shapes (as Benchmarks/peers/gemm_numpy.py --shapes seed",
            "does).",
            "'bench cores' measures how long a cache line takes to travel between two",
            "threads and back (on machines whose cores do not share a cache it is several",
            "times longer, and multi-threaded training slows down accordingly).",
            "'bench FILE.nnet' times the training steps of the program's models.",
        ],
        options: [
            OptionSpec("--sizes", value: "LIST",
                       help: "sizes or MxNxK[:nt] for 'bench gemm' (default: "
                           + GEMMBenchOptions.defaultSizes.map(String.init).joined(separator: ",") + ")"),
            .threads,
            OptionSpec("--json", help: "print the results as JSON"),
        ],
        sections: [],
        examples: ["nnet bench gemm --sizes 128,1024 --threads 1", "nnet bench gemm --sizes seed --json",
                   "nnet bench gemm --sizes 128x400x784,128x400x784:nt,784x400x128:tn",
                   "taskset -c 0,1 nnet bench cores",
                   "nnet bench model.nnet --json"])

    static let help = CommandSpec(
        name: "help",
        usage: ["help [COMMAND]"],
        summary: "show help for nnet or for one command",
        description: ["Shows the help of COMMAND, or the overview without one."],
        options: [],
        sections: [],
        examples: ["nnet help run"])
}
