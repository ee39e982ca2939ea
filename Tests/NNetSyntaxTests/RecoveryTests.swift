// Error messages and panic-mode recovery: one error per mistake, every independent mistake
// reported, and no input that crashes or hangs the parser.

import NNetSyntax
import Testing

@Suite struct RecoveryTests {
    @Test(arguments: [
        ("let x = adam(lr: 0.1\nprint x", "1:21 unclosed-delimiter: expected ')' to close '(' at 1:13, found newline"),
        ("let x = [1, 2", "1:14 unclosed-delimiter: expected ']' to close '[' at 1:9, found end of file"),
        ("let x = (1 + 2", "1:15 unclosed-delimiter: expected ')' to close '(' at 1:9, found end of file"),
        ("model m {\n  32\n}", "2:3 syntax-error: expected a layer kind, found number '32'"),
        ("model m {\n  h1: 32\n}", "2:7 syntax-error: expected a layer kind after 'h1:', found number '32'"),
        ("trian m on d", "1:1 unknown-statement: unknown statement 'trian'"),
        ("let s = \"abc", "1:9 unterminated-string: unterminated string"),
        ("let a = 1 @ 2", "1:11 unexpected-character: unexpected character '@'"),
        ("train m on d {\n  epochs 5\n}", "2:10 syntax-error: expected ':' after setting name 'epochs', found number '5'"),
        ("train m d", "1:9 syntax-error: expected 'on' after model name in train statement, found identifier 'd'"),
        ("save m \"x\"", "1:8 syntax-error: expected 'to' after model name in save statement, found string \"x\""),
        ("load m to \"x\"", "1:8 syntax-error: expected 'from' after model name in load statement, found identifier 'to'"),
        ("let = 3", "1:5 syntax-error: expected a constant name after 'let', found '='"),
        ("data d idx(\"a\")", "1:8 syntax-error: expected '=' after dataset name 'd', found identifier 'idx'"),
        ("let x = 1 +", "1:12 syntax-error: expected an expression after '+', found end of file"),
        ("let x = a.", "1:11 syntax-error: expected a member name after '.', found end of file"),
        ("let x = 1 2", "1:11 syntax-error: expected a newline after the let statement, found number '2'"),
        ("model {\n}", "1:7 syntax-error: expected a model name after 'model', found '{'"),
        ("model m\n  dense 3\n}", "1:8 syntax-error: expected '{' after model name 'm', found newline"),
        ("model m {\n  dense 3 dense 4\n}",
         "2:11 syntax-error: expected ',' or a newline after the argument of 'dense', found identifier 'dense'"),
        ("train m on d {\n  loss: mse epochs: 5\n}",
         "2:13 syntax-error: expected ',' or a newline after setting 'loss', found identifier 'epochs'"),
        ("train m on d epochs",
         "1:14 syntax-error: expected '{' or a newline after the dataset of train statement, found identifier 'epochs'"),
        ("}", "1:1 syntax-error: expected a statement, found '}'"),
        ("let x = .5", "1:9 invalid-number: invalid number '.5': a number must start with a digit"),
        ("print", "1:6 syntax-error: expected an expression after 'print', found end of file"),
        ("predict m on d, ", "1:16 syntax-error: expected an argument after ',', found end of file"),
    ])
    func singleErrorMessages(text: String, expected: String) {
        #expect(summary(parse(text).diagnostics) == [expected])
    }

    @Test func unclosedModelBlock() {
        let program = parse("let a = 1\nmodel classifier {\n  dense 3\ntrain classifier on d\n")
        #expect(summary(program.diagnostics) == [
            "3:10 unclosed-delimiter: expected '}' to close model 'classifier' (opened at 2:18)",
        ])
        #expect(program.diagnostics.first?.notes.first?.message == "'{' opened here")
        // The statements around it still parse.
        #expect(program.statements.count == 2)
    }

    @Test func unclosedSettingsAtEndOfFile() {
        let program = parse("train m on d {\n  loss: mse\n\n")
        #expect(summary(program.diagnostics) == [
            "2:12 unclosed-delimiter: expected '}' to close the settings of train 'm' (opened at 1:14)",
        ])
    }

    @Test func unknownStatementHelp() {
        let typo = parse("trian classifier on data.train").diagnostics
        #expect(typo.first?.help == "did you mean 'train'?")
        let assignment = parse("classes = 10").diagnostics
        #expect(assignment.first?.help == "to define a constant, write 'let classes = ...'")
        let unknown = parse("frobnicate").diagnostics
        #expect(unknown.first?.help == "a statement starts with one of: " + Parser.statementKeywords.joined(separator: ", "))
    }

    @Test func severalIndependentErrorsAreEachReportedOnce() {
        let program = parse("""
            let classes = 10 +
            data fashion = idx("/data", scale: 1/255
            model classifier {
              input [784]
              h1: dense 32, activation: relu @
              dense classes activation: softmax
              dropout 0.2
            }
            trian classifier on fashion.train {
              loss: mse
            }
            train classifier on fashion.train {
              loss: mse
              epochs 5
              batch: 32
            }
            evaluate classifier on fashion.test
            print "unterminated
            save classifier to "ok"
            """)
        #expect(summary(program.diagnostics) == [
            "1:19 syntax-error: expected an expression after '+', found newline",
            "2:41 unclosed-delimiter: expected ')' to close '(' at 2:19, found newline",
            "5:34 unexpected-character: unexpected character '@'",
            "6:17 syntax-error: expected ',' or a newline after the argument of 'dense', found identifier 'activation'",
            "9:1 unknown-statement: unknown statement 'trian'",
            "14:10 syntax-error: expected ':' after setting name 'epochs', found number '5'",
            "18:7 unterminated-string: unterminated string",
        ])
        // What parsed is kept: the model without its two broken layers, the second train
        // without its broken setting, evaluate and save.
        #expect(program.statements.count == 4)
        guard case .model(let model) = program.statements[0].kind else {
            Issue.record("expected the model first")
            return
        }
        #expect(model.layers.map(\.kind.name) == ["input", "dropout"])
        guard case .train(_, _, let settings) = program.statements[1].kind else { return }
        #expect(settings.map(\.key.name) == ["loss", "batch"])
    }

    @Test func brokenStatementBodiesDoNotCascade() {
        // A broken header skips its whole block; a missing '{' skips the layers that follow.
        let program = parse("""
            train m fashion.train {
              loss: mse
              epochs: 5
            }
            model n
              input [2]
              dense 1
            }
            print 1
            """)
        #expect(summary(program.diagnostics) == [
            "1:9 syntax-error: expected 'on' after model name in train statement, found identifier 'fashion'",
            "5:8 syntax-error: expected '{' after model name 'n', found newline",
        ])
        #expect(program.statements.count == 1)
    }

    @Test func missingCommaInMultiLineCallDoesNotCascade() {
        let program = parse("""
            data d = idx("a",
              scale: 1
              flatten: false)
            print d
            """)
        #expect(summary(program.diagnostics) == [
            "2:11 unclosed-delimiter: expected ')' to close '(' at 1:13, found newline",
        ])
        #expect(program.statements.count == 1)
    }

    @Test func lexicalErrorsOnePerLine() {
        let program = parse("let a = @ $ %\nlet b = \"x\\q\" @\nlet c = 3")
        #expect(summary(program.diagnostics) == [
            "1:9 unexpected-character: unexpected character '@'",
            "2:11 invalid-escape: unknown escape sequence '\\q' in string",
        ])
        #expect(program.statements.count == 1)
    }

    @Test func nestingTooDeep() {
        let program = parse("let x = " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300))
        #expect(program.diagnostics.map(\.id) == ["nesting-too-deep"])
        let fine = parse("let x = " + String(repeating: "(", count: 200) + "1" + String(repeating: ")", count: 200))
        #expect(fine.diagnostics.isEmpty)
    }

    // MARK: - Pathological inputs

    @Test(arguments: ["", "\n\n\n", "# only a comment", "# a\n\n   # b\n", ";;;", "\r\n\r\n"])
    func emptyPrograms(text: String) {
        let program = parse(text)
        #expect(program.statements.isEmpty)
        #expect(program.diagnostics.isEmpty)
    }

    @Test(arguments: [
        "(((", ")))", "]]]", "}}}", "{{{", "model m {{{", "let x = ([)]", "train m on d { loss: (]\n}",
        "model m {\n  dense (\n}\n", "print [1, 2\nprint 3", "let", "model", "model m", "train",
        "train m on", "let x =", ",,,", "::::", "....", "= = =", "\u{0}\u{0}\u{0}", "\"", "\\", "1e+",
        "model m {\n  input [2]\n  h1:\n}", "predict m on d, count:", "let x = a.b.", "let x = f(a:)",
    ])
    func malformedInputsTerminateWithErrors(text: String) {
        let program = parse(text)
        #expect(!program.diagnostics.isEmpty)
        #expect(program.diagnostics.count <= 3)
    }

    @Test func deepNestingDoesNotOverflow() {
        for opener in ["[", "(", "f(", "-", "a.", "{", "x: "] {
            let text = "let x = " + String(repeating: opener, count: 10_000)
            let program = parse(text)
            #expect(program.diagnostics.count <= 2, "\(opener)")
        }
        let balanced = "print " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(parse(balanced).diagnostics.map(\.id) == ["nesting-too-deep"])
        // One error per unclosed block, up to the error limit.
        let blocks = parse(String(repeating: "model m {\n", count: 2_000))
        #expect(blocks.diagnostics.count == Diagnostic.errorLimit + 1)
        #expect(blocks.diagnostics.dropLast().allSatisfy { $0.id == "unclosed-delimiter" })
        #expect(blocks.diagnostics.last?.id == "too-many-errors")
        // Long chains deepen the tree as brackets do, and are capped the same way.
        for chain in [String(repeating: "-", count: 100_000) + "1",
                      "a" + String(repeating: ".b", count: 10_000),
                      "1" + String(repeating: " + 1", count: 10_000),
                      "1" + String(repeating: " * 2 - 1", count: 5_000)] {
            #expect(parse("let x = " + chain).diagnostics.map(\.id) == ["nesting-too-deep"])
        }
        let deepest = "let x = " + String(repeating: "-", count: 255) + "1"
        let program = parse(deepest)
        #expect(program.diagnostics.isEmpty)
        #expect(program.dump().split(separator: "\n").count == 2 + 256)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 42)
        let alphabet = Array("let data model train on { } ( ) [ ] , : ; . = + - * / # \" \\ \n 1 2.5 e x _ @".utf8)
        for round in 0..<400 {
            let length = Int(generator.next() % 200)
            let bytes: [UInt8] = (0..<length).map { _ in
                let value = generator.next()
                return round.isMultiple(of: 2) ? UInt8(truncatingIfNeeded: value)
                                               : alphabet[Int(value % UInt64(alphabet.count))]
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let program = parse(text)
            for diagnostic in program.diagnostics {
                _ = DiagnosticRenderer.render(diagnostic, color: false)
            }
            _ = program.dump(ranges: true)
        }
    }
}

/// A small deterministic generator, so the random inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
