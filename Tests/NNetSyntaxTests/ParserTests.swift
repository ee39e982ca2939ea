// Parser: every statement kind, expressions (precedence, members, lists, calls), layers, and
// the AST dump.

import NNetSyntax
import Testing

@Suite struct ParserTests {
    static let seed = """
        # the seed classifier
        let classes = 10
        data fashion = idx("/usr/share/datasets/fashion-mnist", scale: 1/255)
        data points = linear(n: 100, weights: [2], bias: 1, noise: 0.5, seed: 1)
        model classifier {
          input [784]
          h1: dense 32, activation: relu
          dropout 0.2
          dense classes, activation: softmax
        }
        train classifier on fashion.train {
          loss: sparse_categorical_crossentropy
          optimizer: adam(lr: 0.001)
          epochs: 5, batch: 32, seed: 7, metrics: [accuracy]
          validation: fashion.test
        }
        evaluate classifier on fashion.test
        predict classifier on fashion.test, count: 5
        print classifier, points.train
        save classifier to "classifier.weights"
        load classifier from "classifier.weights"
        """

    @Test func seedProgramDump() {
        let program = Parser.parse(source(Self.seed, name: "seed.nnet"))
        #expect(program.diagnostics.isEmpty)
        #expect(program.dump() == """
            program seed.nnet
              let classes
                number 10
              data fashion
                call idx
                  string "/usr/share/datasets/fashion-mnist"
                  scale: binary /
                    number 1
                    number 255
              data points
                call linear
                  n: number 100
                  weights: list
                    number 2
                  bias: number 1
                  noise: number 0.5
                  seed: number 1
              model classifier
                layer input
                  list
                    number 784
                layer h1: dense
                  number 32
                  activation: identifier relu
                layer dropout
                  number 0.2
                layer dense
                  identifier classes
                  activation: identifier softmax
              train classifier
                on: member train
                  identifier fashion
                loss: identifier sparse_categorical_crossentropy
                optimizer: call adam
                  lr: number 0.001
                epochs: number 5
                batch: number 32
                seed: number 7
                metrics: list
                  identifier accuracy
                validation: member test
                  identifier fashion
              evaluate classifier
                on: member test
                  identifier fashion
              predict classifier
                on: member test
                  identifier fashion
                count: number 5
              print
                identifier classifier
                member train
                  identifier points
              save classifier
                to: string "classifier.weights"
              load classifier
                from: string "classifier.weights"
            """)
    }

    @Test func statementRanges() {
        let program = parse("let a = 1\nmodel m {\n  dense 3\n}\nprint a, 2 # done\n")
        #expect(program.statements.map(\.range.text) == ["let a = 1", "model m {\n  dense 3\n}", "print a, 2"])
    }

    @Test func dumpWithRanges() {
        let program = parse("let a = -b.c")
        #expect(program.dump(ranges: true) == """
            program test.nnet
              let a @1:1
                unary - @1:9
                  member c @1:10
                    identifier b @1:10
            """)
    }

    @Test(arguments: [
        ("1 + 2 * 3", "binary +\n  number 1\n  binary *\n    number 2\n    number 3"),
        ("1 - 2 - 3", "binary -\n  binary -\n    number 1\n    number 2\n  number 3"),
        ("8 / 2 / 2", "binary /\n  binary /\n    number 8\n    number 2\n  number 2"),
        ("(1 + 2) * 3", "binary *\n  binary +\n    number 1\n    number 2\n  number 3"),
        ("-a * b", "binary *\n  unary -\n    identifier a\n  identifier b"),
        ("- -+1", "unary -\n  unary -\n    unary +\n      number 1"),
        ("2 * -3", "binary *\n  number 2\n  unary -\n    number 3"),
        ("a.b.c", "member c\n  member b\n    identifier a"),
        ("-a.b", "unary -\n  member b\n    identifier a"),
        ("f(x).y", "member y\n  call f\n    identifier x"),
        ("1e-3", "number 0.001"),
        ("2.0", "number 2.0"),
    ])
    func expressions(text: String, expected: String) {
        #expect(expressionDump(text) == expected)
    }

    @Test func listsAndCalls() {
        #expect(expressionDump("[]") == "list")
        #expect(expressionDump("[1, [2, 3],]") == "list\n  number 1\n  list\n    number 2\n    number 3")
        #expect(expressionDump("f()") == "call f")
        #expect(expressionDump("leaky_relu(0.2)") == "call leaky_relu\n  number 0.2")
        #expect(expressionDump("adam(lr: 0.001, beta1: 0.9,)") == "call adam\n  lr: number 0.001\n  beta1: number 0.9")
        #expect(expressionDump("g(1, from: \"a\")") == "call g\n  number 1\n  from: string \"a\"")
    }

    @Test func multiLineArgumentsAndLists() {
        let program = parse("""
            data d = idx(
              "path",   # the directory
              scale: 1 /
                255,
              seed: 3
            )
            let shape = [
              28,
              28
              , 1
            ]
            let sum = (1
              + 2)
            """)
        #expect(summary(program.diagnostics) == [])
        #expect(program.statements.count == 3)
        guard case .data(_, let value) = program.statements[0].kind, case .call(_, let arguments) = value.kind else {
            Issue.record("expected a call")
            return
        }
        #expect(arguments.map { $0.label?.name ?? "_" } == ["_", "scale", "seed"])
        #expect(program.statements[1].dump() == "let shape\n  list\n    number 28\n    number 28\n    number 1")
        #expect(program.statements[2].dump() == "let sum\n  binary +\n    number 1\n    number 2")
    }

    @Test func namedLayersAndArguments() {
        let program = parse("""
            model m {
              input [28, 28, 1]
              flatten
              h1: dense 64, activation: leaky_relu(0.1), bias: false
              out: dense 10, from: h1
              activation softmax
            }
            """)
        #expect(program.diagnostics.isEmpty)
        guard case .model(let model) = program.statements.first?.kind else {
            Issue.record("expected a model")
            return
        }
        #expect(model.name.name == "m")
        #expect(model.layers.map(\.kind.name) == ["input", "flatten", "dense", "dense", "activation"])
        #expect(model.layers.map { $0.name?.name } == [nil, nil, "h1", "out", nil])
        #expect(model.layers[2].arguments.map { $0.label?.name } == [nil, "activation", "bias"])
        #expect(model.layers[3].arguments.last?.label?.name == "from")
        #expect(model.layers[2].range.text == "h1: dense 64, activation: leaky_relu(0.1), bias: false")
    }

    @Test func blocksOnOneLineAndSemicolons() {
        let program = parse("""
            model m { input [2]; dense 1 }
            train m on d { loss: mse, epochs: 2, }
            train m on d {}
            train m on d
            let a = 1; let b = 2;
            model empty {
            }
            """)
        #expect(summary(program.diagnostics) == [])
        #expect(program.statements.count == 7)
        guard case .train(_, _, let settings) = program.statements[1].kind else { return }
        #expect(settings.map(\.key.name) == ["loss", "epochs"])
    }

    @Test func keywordsAreUsableAsNames() {
        let program = parse("""
            let data = 1
            data model = blobs(n: 10)
            model train { print: dense 3, from: data; load: dense 1 }
            train train on model.train { print: 1, on: 2 }
            print data, model
            save train to "to"
            """)
        #expect(summary(program.diagnostics) == [])
        #expect(program.statements.count == 6)
    }

    @Test func everyStatementKind() {
        let program = Parser.parse(source(Self.seed))
        let kinds = program.statements.map { statement -> String in
            switch statement.kind {
            case .constant: return "constant"
            case .data: return "data"
            case .model: return "model"
            case .train: return "train"
            case .evaluate: return "evaluate"
            case .predict: return "predict"
            case .print: return "print"
            case .save: return "save"
            case .load: return "load"
            case .pairing(let kind, _, _): return kind.rawValue
            case .sample: return "sample"
            }
        }
        #expect(kinds == ["constant", "data", "data", "model", "train", "evaluate", "predict", "print", "save", "load"])
    }

    @Test func pairingsAndSampling() {
        let program = parse("""
            gan pair {
              generator: g, discriminator: d
              noise: normal(100)
            }
            vae v { encoder: e, decoder: d, beta: 0.5 }
            autoencoder a { encoder: e, decoder: d }
            sample pair to "grid.png", count: 16, seed: 2
            """)
        #expect(summary(program.diagnostics) == [])
        guard program.statements.count == 4 else { Issue.record("\(program.statements.count) statements"); return }
        if case .pairing(.gan, let name, let settings) = program.statements[0].kind {
            #expect(name.name == "pair")
            #expect(settings.map(\.key.name) == ["generator", "discriminator", "noise"])
        } else { Issue.record("not a gan") }
        if case .pairing(.vae, _, let settings) = program.statements[1].kind { #expect(settings.count == 3) } else { Issue.record("not a vae") }
        if case .pairing(.autoencoder, _, _) = program.statements[2].kind {} else { Issue.record("not an autoencoder") }
        if case .sample(let model, _, let arguments) = program.statements[3].kind {
            #expect(model.name == "pair")
            #expect(arguments.map { $0.label?.name } == ["count", "seed"])
        } else { Issue.record("not a sample statement") }
    }

    @Test func unclosedPairingReportsItsName() {
        let program = parse("gan pair {\n  generator: g\n")
        #expect(summary(program.diagnostics).contains { $0.contains("gan 'pair'") })
    }

    @Test func parseExpressionForTheREPL() {
        let (expression, diagnostics) = Parser.parseExpression(source("\n fashion.train # comment\n"))
        #expect(diagnostics.isEmpty)
        #expect(expression?.dump() == "member train\n  identifier fashion")

        let (bad, errors) = Parser.parseExpression(source("1 2"))
        #expect(bad == nil)
        #expect(summary(errors) == ["1:3 syntax-error: expected end of input after the expression, found number '2'"])

        let (none, empty) = Parser.parseExpression(source(""))
        #expect(none == nil)
        #expect(summary(empty) == ["1:1 syntax-error: expected an expression, found end of file"])
    }
}
