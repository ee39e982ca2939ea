// Helpers shared by the syntax tests: parse strings, summarise tokens and diagnostics.

import Foundation
import NNetSyntax

func source(_ text: String, name: String = "test.nnet") -> SourceFile {
    SourceFile(name: name, text: text)
}

func parse(_ text: String) -> Program {
    Parser.parse(source(text))
}

/// The kinds of all tokens, end of file included.
func kinds(_ text: String) -> [TokenKind] {
    Lexer.tokenize(source(text)).map(\.kind)
}

/// `line:column id: message` for each diagnostic.
func summary(_ diagnostics: [Diagnostic]) -> [String] {
    diagnostics.map { diagnostic in
        let position = diagnostic.range.map { range -> String in
            let (line, column) = range.file.lineColumn(of: range.start)
            return "\(line):\(column) "
        } ?? ""
        return "\(position)\(diagnostic.id): \(diagnostic.message)"
    }
}

/// The single expression of `let x = TEXT`, dumped.
func expressionDump(_ text: String) -> String {
    let program = parse("let x = \(text)")
    guard program.diagnostics.isEmpty, let statement = program.statements.first,
          case .constant(_, let value) = statement.kind else {
        return "error: \(summary(program.diagnostics))"
    }
    return value.dump()
}

/// The repository root, found from this file's path (Tests/NNetSyntaxTests/Support.swift).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
