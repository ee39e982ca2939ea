// Tests of command-line parsing: every command and option, both value spellings, and the
// messages of usage errors (the CLI's error text is part of its interface).

import Testing
import NNetDriver

/// Parses a command line written as one string (split at spaces).
private func parse(_ line: String) throws(UsageError) -> Command {
    try Command.parse(line.split(separator: " ").map(String.init))
}

/// The usage error's message for a command line that must fail.
private func failure(_ line: String) -> UsageError? {
    do {
        let command = try parse(line)
        Issue.record("expected a usage error, got \(command)")
        return nil
    } catch {
        return error
    }
}

@Suite struct RunArgumentsTests {
    @Test func fileAlone() throws {
        #expect(try parse("run model.nnet") == .run(RunOptions(file: "model.nnet")))
    }

    @Test func everyOption() throws {
        let expected = Command.run(RunOptions(file: "m.nnet", logPath: "out.jsonl", seed: 42, threads: 4,
                                              reference: true, quiet: true))
        #expect(try parse("run m.nnet --log out.jsonl --seed 42 --threads 4 --reference --quiet") == expected)
        #expect(try parse("run --quiet --reference --threads=4 --seed=42 --log=out.jsonl m.nnet") == expected)
    }

    @Test func largestSeed() throws {
        #expect(try parse("run m.nnet --seed 18446744073709551615") == .run(RunOptions(file: "m.nnet", seed: .max)))
    }

    @Test func doubleDashEndsOptions() throws {
        #expect(try parse("run --quiet -- --weird.nnet") == .run(RunOptions(file: "--weird.nnet", quiet: true)))
        #expect(try parse("run -") == .run(RunOptions(file: "-")))
    }

    @Test(arguments: [
        ("run", "missing FILE for 'run': the .nnet program to run"),
        ("run a.nnet b.nnet", "unexpected argument 'b.nnet' for 'run'"),
        ("run m.nnet --thread 4", "unknown option '--thread' for 'run'; did you mean '--threads'?"),
        ("run m.nnet --seeds 4", "unknown option '--seeds' for 'run'; did you mean '--seed'?"),
        ("run m.nnet -threads 4", "unknown option '-threads' for 'run'; did you mean '--threads'?"),
        ("run m.nnet --plan", "unknown option '--plan' for 'run'"),
        ("run m.nnet --threads four", "option '--threads' expects a positive integer, got 'four'"),
        ("run m.nnet --threads 0", "option '--threads' must be at least 1, got 0"),
        ("run m.nnet --threads -2", "option '--threads' must be at least 1, got -2"),
        ("run m.nnet --threads 1.5", "option '--threads' expects a positive integer, got '1.5'"),
        ("run m.nnet --threads", "option '--threads' needs a value (--threads N)"),
        ("run m.nnet --threads=", "option '--threads' needs a value (--threads N)"),
        ("run m.nnet --log --quiet", "option '--log' needs a value (--log FILE)"),
        ("run m.nnet --seed -1", "option '--seed' expects a non-negative integer, got '-1'"),
        ("run m.nnet --seed 18446744073709551616", "option '--seed' expects a non-negative integer, got '18446744073709551616'"),
        ("run m.nnet --quiet=yes", "option '--quiet' takes no value"),
        ("run m.nnet --seed 1 --seed 2", "option '--seed' given more than once"),
        ("run m.nnet --quiet --quiet", "option '--quiet' given more than once"),
    ])
    func errors(line: String, message: String) {
        let error = failure(line)
        #expect(error?.message == message)
        #expect(error?.command == "run")
        #expect(error?.hint == "Run 'nnet help run' for usage.")
    }
}

@Suite struct CheckArgumentsTests {
    @Test func options() throws {
        #expect(try parse("check m.nnet") == .check(CheckOptions(file: "m.nnet")))
        #expect(try parse("check m.nnet --plan") == .check(CheckOptions(file: "m.nnet", plan: true)))
        for stage in DumpStage.allCases {
            let expected = Command.check(CheckOptions(file: "m.nnet", dump: stage))
            #expect(try parse("check m.nnet --dump \(stage.rawValue)") == expected)
            #expect(try parse("check --dump=\(stage.rawValue) m.nnet") == expected)
        }
        #expect(try parse("check m.nnet --dump=AST") == .check(CheckOptions(file: "m.nnet", dump: .ast)))
    }

    @Test(arguments: [
        ("check", "missing FILE for 'check': the .nnet program to check"),
        ("check m.nnet --dump asts", "unknown stage 'asts' for '--dump'; expected one of: tokens, ast, ir, plan (did you mean 'ast'?)"),
        ("check m.nnet --dump bytecode", "unknown stage 'bytecode' for '--dump'; expected one of: tokens, ast, ir, plan"),
        ("check m.nnet --dump", "option '--dump' needs a value (--dump STAGE)"),
        ("check m.nnet --seed 1", "unknown option '--seed' for 'check'"),
        ("check m.nnet --pla", "unknown option '--pla' for 'check'; did you mean '--plan'?"),
    ])
    func errors(line: String, message: String) {
        #expect(failure(line)?.message == message)
    }
}

@Suite struct ReplAndBenchArgumentsTests {
    @Test func repl() throws {
        #expect(try parse("repl") == .repl(ReplOptions()))
        #expect(try parse("repl --seed 7 --threads 2") == .repl(ReplOptions(seed: 7, threads: 2)))
        #expect(failure("repl m.nnet")?.message == "unexpected argument 'm.nnet' for 'repl'")
        #expect(failure("repl --log x")?.message == "unknown option '--log' for 'repl'")
    }

    @Test func benchGEMM() throws {
        #expect(try parse("bench gemm") == .benchGEMM(GEMMBenchOptions(sizes: [256, 512, 1024])))
        #expect(try parse("bench gemm --sizes 64,128,1000 --threads 8 --json")
                == .benchGEMM(GEMMBenchOptions(sizes: [64, 128, 1000], threads: 8, json: true)))
        #expect(try parse("bench --json --sizes=32 gemm") == .benchGEMM(GEMMBenchOptions(sizes: [32], json: true)))
        #expect(try parse("bench gemm --sizes seed,64") == .benchGEMM(GEMMBenchOptions(sizes: [64], seedShapes: true)))
        #expect(try parse("bench gemm --sizes 128x400x784,64,784x400x128:tn,8x9x10:tt")
                == .benchGEMM(GEMMBenchOptions(sizes: [64], shapes: [
                    GEMMBenchShape(m: 128, n: 400, k: 784), GEMMBenchShape(m: 784, n: 400, k: 128, transA: true),
                    GEMMBenchShape(m: 8, n: 9, k: 10, transA: true, transB: true),
                ])))
        #expect(GEMMBenchShape(m: 128, n: 400, k: 784, transB: true).description == "128x400x784 (A·Bᵀ)")
    }

    @Test func benchCores() throws {
        #expect(try parse("bench cores") == .benchCores(json: false))
        #expect(try parse("bench cores --json") == .benchCores(json: true))
    }

    @Test func benchFile() throws {
        #expect(try parse("bench model.nnet") == .benchFile(BenchFileOptions(file: "model.nnet")))
        #expect(try parse("bench ./model --threads 3 --json")
                == .benchFile(BenchFileOptions(file: "./model", threads: 3, json: true)))
    }

    @Test(arguments: [
        ("bench", "missing benchmark for 'bench': expected 'gemm', 'cores' or a .nnet file"),
        ("bench gem", "unknown benchmark 'gem'; did you mean 'gemm'?"),
        ("bench conv", "unknown benchmark 'conv'; expected 'gemm', 'cores' or a .nnet file"),
        ("bench core", "unknown benchmark 'core'; did you mean 'cores'?"),
        ("bench cores --threads 2", "'bench cores' takes only --json"),
        ("bench gemm extra.nnet", "unexpected argument 'extra.nnet' for 'bench'"),
        ("bench m.nnet --sizes 64", "option '--sizes' only applies to 'bench gemm'"),
        ("bench gemm --sizes 64,,128", "option '--sizes' expects comma-separated positive integers, MxNxK products (optionally :tn, :nt or :tt) or 'seed', got '64,,128'"),
        ("bench gemm --sizes 0", "option '--sizes' expects comma-separated positive integers, MxNxK products (optionally :tn, :nt or :tt) or 'seed', got '0'"),
        ("bench gemm --sizes big", "option '--sizes' expects comma-separated positive integers, MxNxK products (optionally :tn, :nt or :tt) or 'seed', got 'big'"),
        ("bench gemm --sizes 128x400", "option '--sizes' expects comma-separated positive integers, MxNxK products (optionally :tn, :nt or :tt) or 'seed', got '128x400'"),
        ("bench gemm --sizes 8x8x0", "option '--sizes' expects comma-separated positive integers, MxNxK products (optionally :tn, :nt or :tt) or 'seed', got '8x8x0'"),
        ("bench gemm --sizes 8x8x8:tx", "option '--sizes' expects comma-separated positive integers, MxNxK products (optionally :tn, :nt or :tt) or 'seed', got '8x8x8:tx'"),
        ("bench gemm --threads 0", "option '--threads' must be at least 1, got 0"),
        ("bench gemm --jsn", "unknown option '--jsn' for 'bench'; did you mean '--json'?"),
    ])
    func benchErrors(line: String, message: String) {
        let error = failure(line)
        #expect(error?.message == message)
        #expect(error?.command == "bench")
    }

    @Test func sizesMayHoldSpaces() throws {
        #expect(try Command.parse(["bench", "gemm", "--sizes", "16, 32"]) == .benchGEMM(GEMMBenchOptions(sizes: [16, 32])))
    }
}

@Suite struct GlobalArgumentsTests {
    @Test func helpAndVersion() throws {
        #expect(try parse("--help") == .help(topic: nil))
        #expect(try parse("-h") == .help(topic: nil))
        #expect(try parse("help") == .help(topic: nil))
        #expect(try parse("--version") == .version)
        for name in ["run", "check", "repl", "bench"] {
            #expect(try parse("help \(name)") == .help(topic: name))
            #expect(try parse("\(name) --help") == .help(topic: name))
            #expect(try parse("\(name) -h") == .help(topic: name))
        }
        #expect(try parse("help help") == .help(topic: "help"))
    }

    @Test func helpWinsOverOtherMistakes() throws {
        #expect(try parse("run --bogus --threads 0 --help") == .help(topic: "run"))
        #expect(try parse("bench -h") == .help(topic: "bench"))
        #expect(try parse("run -- -h") == .run(RunOptions(file: "-h")))
    }

    @Test(arguments: [
        ("", "no command given; expected one of: run, check, repl, bench, help"),
        ("rnu m.nnet", "unknown command 'rnu'; did you mean 'run'?"),
        ("chek m.nnet", "unknown command 'chek'; did you mean 'check'?"),
        ("train m.nnet", "unknown command 'train'; expected one of: run, check, repl, bench, help"),
        ("m.nnet", "unknown command 'm.nnet'; did you mean 'nnet run m.nnet'?"),
        ("--threads 4 run m.nnet", "unknown option '--threads'; options go after the command, as in 'nnet run FILE --threads'"),
        ("--version now", "'--version' takes no arguments"),
        ("help rn", "unknown help topic 'rn'; did you mean 'run'?"),
        ("help run check", "'help' takes one command name, got 2 arguments"),
    ])
    func errors(line: String, message: String) {
        #expect(failure(line)?.message == message)
    }

    @Test(arguments: [
        ("run m.nnet --treads 2", "'--threads'"), ("run m.nnet --thraeds 2", "'--threads'"),
        ("bench gemm --jsno", "'--json'"), ("run m.nnet --qiuet", "'--quiet'"), ("run m.nnet --hlep", "'--help'"),
        ("cehck m.nnet", "'check'"), ("rpel", "'repl'"), ("bnech gemm", "'bench'"), ("bench gmem", "'gemm'"),
        ("check m.nnet --dump tokns", "'tokens'"), ("check m.nnet --dump pln", "'plan'"),
    ])
    func typosGetASuggestion(line: String, suggested: String) {
        #expect(failure(line)?.message.contains("did you mean \(suggested)?") == true)
    }

    @Test(arguments: ["run m.nnet --x", "run m.nnet --verbose", "zzz", "bench fft", "check m.nnet --dump llvm"])
    func farFetchedWordsGetNoSuggestion(line: String) {
        let message = failure(line)?.message ?? ""
        #expect(!message.isEmpty && !message.contains("did you mean"))
    }

    @Test func globalErrorsPointToTheOverview() {
        #expect(failure("rnu")?.hint == "Run 'nnet --help' for usage.")
        #expect(UsageError("x").description == "x")
    }
}
