// The text of `nnet --help`, `nnet help COMMAND` and `nnet --version`, rendered from the command
// table in CommandSpec.swift and the exit codes in ExitCode.swift. Stage: driver.

public enum HelpText {
    /// The version `nnet --version` prints.
    public static let version = "0.1.0"

    /// `nnet 0.1.0`
    public static var versionLine: String { "nnet \(version)" }

    /// The help for `topic` (a command name), the overview for nil, or nil for an unknown topic.
    public static func text(for topic: String?) -> String? {
        guard let topic else { return overview }
        return CommandSpec.named(topic).map(commandHelp)
    }

    /// `nnet --help`: commands, global options, exit codes.
    public static var overview: String {
        var lines = [
            "nnet: describe neural networks in .nnet programs and train them on the CPU.",
            "",
            "Usage:",
            "  nnet COMMAND [ARGUMENTS] [OPTIONS]",
            "",
            "Commands:",
        ]
        lines += table(CommandSpec.all.map { (usageHead($0), $0.summary) })
        lines += ["", "Options:"]
        lines += table([("-h, --help", "show this help (or a command's, after the command)"),
                        ("--version", "show the version")])
        lines += [""] + exitCodeSection
        lines += ["", "Run 'nnet help COMMAND' for the options of a command."]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `nnet help COMMAND`: usage, description, options, extra sections, exit codes, examples.
    public static func commandHelp(_ spec: CommandSpec) -> String {
        var lines = ["Usage:"]
        lines += spec.usage.flatMap { wrapUsage("nnet " + $0) }
        lines += [""] + spec.description
        lines += ["", "Options:"]
        lines += table(spec.options.map { option in
            (option.name + (option.valueName.map { " " + $0 } ?? ""), option.help)
        } + [("-h, --help", "show this help")])
        for section in spec.sections {
            lines += ["", section.title + ":"] + section.lines.map { "  " + $0 }
        }
        if spec.name != "help" { lines += [""] + exitCodeSection }
        if !spec.examples.isEmpty {
            lines += ["", spec.examples.count == 1 ? "Example:" : "Examples:"]
            lines += spec.examples.map { "  " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The exit code table, from `ExitCode`.
    static var exitCodeSection: [String] {
        ["Exit codes:"] + table(ExitCode.allCases.map { (String($0.rawValue), $0.summary) })
    }

    /// `run FILE` from the usage `run FILE [--log …]`: the words before the first option;
    /// several usages share the command name: `bench gemm|FILE.nnet`.
    static func usageHead(_ spec: CommandSpec) -> String {
        let heads = spec.usage.map { $0.split(separator: " ").prefix { !$0.hasPrefix("[-") } }
        guard heads.count > 1 else { return heads[0].joined(separator: " ") }
        return spec.name + " " + heads.map { $0.dropFirst().joined(separator: " ") }.joined(separator: "|")
    }

    /// A synopsis over several lines when it is wider than 80 columns, continuation lines
    /// indented under the first argument: `  nnet run FILE [--log FILE.jsonl] …` then
    /// `               [--quiet]`.
    static func wrapUsage(_ usage: String, width: Int = 80) -> [String] {
        let words = usage.split(separator: " ").map(String.init)
        let indent = String(repeating: " ", count: 2 + words.prefix(2).reduce(0) { $0 + $1.count + 1 })
        var lines: [String] = []
        var line = "  "
        for word in words {
            if line.count + word.count + 1 > width, line.count > indent.count {
                lines.append(line)
                line = indent + word
            } else {
                line += (line.hasSuffix(" ") ? "" : " ") + word
            }
        }
        return lines + [line]
    }

    /// Two columns, the second aligned two spaces after the widest first.
    static func table(_ rows: [(String, String)]) -> [String] {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { "  " + $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 }
    }
}
