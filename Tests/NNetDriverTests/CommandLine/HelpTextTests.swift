// Tests of the help text and exit codes: every command, option and exit code is documented,
// and the text fits an 80-column terminal.

import Testing
import NNetDriver

@Suite struct HelpTextTests {
    @Test func exitCodesHaveTheirDocumentedValues() {
        #expect(ExitCode.allCases.map(\.rawValue) == [0, 1, 2, 64, 66, 70, 130])
        #expect(ExitCode.usageError.rawValue == 64)
        #expect(ExitCode.interrupted.rawValue == 130)
    }

    @Test func overviewListsCommandsOptionsAndExitCodes() throws {
        let text = try #require(HelpText.text(for: nil))
        #expect(text == HelpText.overview)
        for spec in CommandSpec.all {
            #expect(text.contains("  \(spec.name)"))
            #expect(text.contains(spec.summary))
        }
        #expect(text.contains("  run FILE "))
        #expect(text.contains("  bench gemm|cores|FILE.nnet "))
        #expect(text.contains("--help") && text.contains("--version"))
        for code in ExitCode.allCases {
            #expect(text.contains("  \(code.rawValue)") && text.contains(code.summary))
        }
    }

    @Test(arguments: CommandSpec.names)
    func commandHelpListsEveryOption(name: String) throws {
        let text = try #require(HelpText.text(for: name))
        let spec = try #require(CommandSpec.named(name))
        #expect(text.hasPrefix("Usage:\n  nnet \(name)"))
        for option in spec.options {
            #expect(text.contains("  " + option.name + (option.valueName.map { " " + $0 } ?? "") + "  "))
            #expect(text.contains(option.help))
        }
        #expect(text.contains("-h, --help"))
        if name != "help" { #expect(text.contains("Exit codes:") && text.contains("  64  ")) }
    }

    @Test(arguments: [nil] + CommandSpec.names.map(Optional.some))
    func helpFitsEightyColumns(topic: String?) throws {
        let text = try #require(HelpText.text(for: topic))
        for line in text.split(separator: "\n") {
            #expect(line.count <= 80, "\(line)")
        }
        #expect(text.hasSuffix("\n") && !text.hasSuffix("\n\n"))
    }

    @Test func everyOptionTheParserAcceptsIsInTheHelp() throws {
        // The parser reads the same table, so an option accepted by `parse` is one listed here.
        let run = try #require(CommandSpec.named("run")).options.map(\.name)
        #expect(run == ["--log", "--seed", "--threads", "--reference", "--quiet", "--resume"])
        let check = try #require(CommandSpec.named("check")).options.map(\.name)
        #expect(check == ["--plan", "--dump"])
        #expect(try #require(CommandSpec.named("repl")).options.map(\.name) == ["--seed", "--threads"])
        #expect(try #require(CommandSpec.named("bench")).options.map(\.name) == ["--sizes", "--threads", "--json"])
    }

    @Test func unknownTopicHasNoHelp() {
        #expect(HelpText.text(for: "train") == nil)
    }

    @Test func versionLine() {
        #expect(HelpText.versionLine == "nnet " + HelpText.version)
        #expect(HelpText.version.split(separator: ".").count == 3)
    }

    @Test func replHelpDocumentsTheKeys() throws {
        let text = try #require(HelpText.text(for: "repl"))
        for key in ["ctrl-A/E", "ctrl-U", "ctrl-K", "ctrl-W", "ctrl-L", "ctrl-C", "ctrl-D", "up/down"] {
            #expect(text.contains(key))
        }
    }
}
