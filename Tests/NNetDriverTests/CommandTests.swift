// The CLI contract, driven in-process: exit codes, help, check summaries, dumps, save/load.

import Foundation
import Testing
import NNetDriver

@Suite struct CommandTests {
    static let smallProgram = """
        let hidden = 4
        data d = blobs(n: 60, centers: 3, seed: 1, test: 0.5)
        model m {
          input [2]
          h: dense hidden * 2, activation: relu
          dense 3, activation: softmax
        }
        train m on d.train {
          loss: sparse_categorical_crossentropy
          optimizer: adam(lr: 0.01)
          epochs: 2, batch: 10, metrics: [accuracy]
        }
        evaluate m on d.test
        """

    @Test func versionAndHelp() {
        #expect(nnet("--version").standardOutput.hasPrefix("nnet "))
        let help = nnet("--help")
        #expect(help.exitCode == .success)
        for word in ["run", "check", "repl", "Exit codes"] { #expect(help.standardOutput.contains(word)) }
    }

    @Test func usageErrorsExit64() {
        #expect(nnet("frobnicate").exitCode == .usageError)
        #expect(nnet("run").exitCode == .usageError)
        #expect(nnet([]).exitCode == .usageError)
    }

    @Test func missingProgramFileExits66() {
        let result = nnet("run", "/nonexistent/program.nnet")
        #expect(result.exitCode == .inputNotFound)
        #expect(result.standardError.contains("no such file"))
    }

    @Test func checkPrintsAPerLayerSummaryWithoutTraining() {
        let result = nnet("check", writeProgram(Self.smallProgram))
        #expect(result.exitCode == .success, "\(result.standardError)")
        let out = result.standardOutput
        #expect(out.contains("model m"))
        #expect(out.contains("h "), "named layer listed")
        #expect(out.contains("[8]") && out.contains("[3]"))
        // 2*8+8 + 8*3+3 = 51 parameters.
        #expect(out.contains("total: 51 parameters"))
        #expect(!out.contains("epoch"), "check must not train")
    }

    @Test func checkDumpsTheTrainingGraphAndPlan() {
        let path = writeProgram(Self.smallProgram)
        let ir = nnet("check", path, "--dump", "ir")
        #expect(ir.exitCode == .success)
        #expect(ir.standardOutput.contains("matmul_grad_weight"))
        #expect(ir.standardOutput.contains("# gradient of h.weight"))
        let plan = nnet("check", path, "--plan")
        #expect(plan.standardOutput.contains("FLOPs per step"))
        let ast = nnet("check", path, "--dump", "ast")
        #expect(ast.exitCode == .success)
        #expect(!ast.standardOutput.isEmpty)
    }

    @Test func runReportsOneLinePerEpochWithoutCarriageReturns() {
        let result = nnet("run", writeProgram(Self.smallProgram))
        #expect(result.exitCode == .success, "\(result.standardError)")
        let epochLines = result.standardOutput.split(separator: "\n").filter { $0.contains("epoch") }
        #expect(epochLines.count == 2)
        #expect(!result.standardOutput.contains("\r"))
        #expect(result.standardOutput.contains("evaluate m on d.test: loss"))
    }

    @Test func sameSeedSameResultDifferentSeedDifferentResult() {
        let path = writeProgram(Self.smallProgram)
        let first = nnet("run", path, "--seed", "3").standardOutput
        let again = nnet("run", path, "--seed", "3").standardOutput
        let other = nnet("run", path, "--seed", "4").standardOutput
        let strip = { (s: String) in s.split(separator: "\n").map { $0.split(separator: "(").first ?? "" }.joined(separator: "\n") }
        #expect(strip(first) == strip(again))
        #expect(strip(first) != strip(other))
    }

    @Test func savedWeightsLoadIntoAFreshModel() throws {
        let directory = temporaryDirectory()
        let weights = directory + "/m.weights"
        let train = nnet("run", writeProgram(Self.smallProgram + "\nsave m to \"\(weights)\"\nprint m.h.bias\n"))
        #expect(train.exitCode == .success, "\(train.standardError)")
        let load = nnet("run", writeProgram("""
            model m {
              input [2]
              h: dense 8, activation: relu
              dense 3, activation: softmax
            }
            load m from "\(weights)"
            print m.h.bias
            """))
        #expect(load.exitCode == .success, "\(load.standardError)")
        let trained = train.standardOutput.split(separator: "\n").first { $0.hasPrefix("m.h.bias") }
        let loaded = load.standardOutput.split(separator: "\n").first { $0.hasPrefix("m.h.bias") }
        #expect(trained != nil && trained == loaded)
    }

    @Test func loadingWeightsOfAnotherShapeListsTheMismatches() {
        let directory = temporaryDirectory()
        let weights = directory + "/m.weights"
        _ = nnet("run", writeProgram(Self.smallProgram + "\nsave m to \"\(weights)\"\n"))
        let result = nnet("run", writeProgram("""
            model m {
              input [2]
              h: dense 5
              dense 3
            }
            load m from "\(weights)"
            """))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains("'h.weight' is [2, 8] in the file but [2, 5] in the model"))
    }

    @Test func truncatedWeightsAreRejected() throws {
        let directory = temporaryDirectory()
        let weights = directory + "/m.weights"
        _ = nnet("run", writeProgram(Self.smallProgram + "\nsave m to \"\(weights)\"\n"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: weights))
        try bytes.prefix(bytes.count - 10).write(to: URL(fileURLWithPath: weights))
        let result = nnet("run", writeProgram(Self.smallProgram + "\nload m from \"\(weights)\"\n"))
        #expect(result.exitCode == .programError)
        #expect(result.standardError.contains("corrupt or truncated"))
    }

    @Test func logFileLinesAreJSON() throws {
        let log = temporaryDirectory() + "/events.jsonl"
        let result = nnet("run", writeProgram(Self.smallProgram), "--log", log)
        #expect(result.exitCode == .success)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(first?["event"] as? String == "epoch")
        #expect(first?["model"] as? String == "m")
        #expect(first?["epoch"] as? Int == 1)
        #expect((first?["metrics"] as? [String: Any])?["accuracy"] != nil)
        #expect(first?["seconds"] != nil)
    }
}

@Suite struct ReplTests {
    @Test func definitionsPersistAndErrorsDoNotEndTheSession() {
        let (console, captured) = Console.capturing()
        let session = ReplSession(seed: 1, console: console)
        #expect(session.handle("data d = blobs(n: 40, seed: 2)"))
        #expect(session.handle("model m {\n  input [2]\n  dense 1, activation: sigmoid\n}"))
        #expect(session.handle("dense_typo"))
        #expect(captured.standardError.contains("unknown name 'dense_typo'"))
        #expect(session.handle("model broken {\n  input [2]\n  dnse 3\n}"))
        #expect(captured.standardError.contains("did you mean 'dense'?"))
        #expect(session.handle("train m on d { loss: binary_crossentropy, epochs: 2, batch: 8 }"))
        #expect(captured.standardOutput.contains("m epoch 2/2"))
        #expect(session.handle("m"))
        #expect(captured.standardOutput.contains("total: 3 parameters"))
        #expect(session.handle("2 * 3 + 1"))
        #expect(captured.standardOutput.contains("7"))
        #expect(session.handle("d"))
        #expect(captured.standardOutput.contains("d.train: 40 samples"))
        #expect(!session.handle("exit"))
    }

    @Test func namesCanBeRedefined() {
        let (console, captured) = Console.capturing()
        let session = ReplSession(seed: 1, console: console)
        session.handle("let width = 3")
        session.handle("let width = 5")
        session.handle("width")
        #expect(captured.standardError.isEmpty, "\(captured.standardError)")
        #expect(captured.standardOutput.contains("5"))
    }
}
