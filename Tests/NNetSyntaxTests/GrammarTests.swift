// Keeps the grammar, the parser and the documentation from drifting apart: every production of
// Grammar/nnet.ebnf is quoted in a doc comment of NNetSyntax, and every nnet example in
// docs/language.md and Examples/ parses cleanly.

import Foundation
import NNetSyntax
import Testing

@Suite struct GrammarTests {
    /// `name = body ;` for each production, whitespace collapsed; `(* comments *)` removed.
    static func productions() throws -> [(name: String, text: String)] {
        let grammar = try String(contentsOf: repositoryRoot.appendingPathComponent("Grammar/nnet.ebnf"), encoding: .utf8)
        var productions: [(String, String)] = []
        var current = ""
        var characters = Array(grammar)[...]
        while let character = characters.first {
            if characters.starts(with: ["(", "*"]) {
                // Skip a comment.
                characters = characters.dropFirst(2)
                while !characters.isEmpty, !characters.starts(with: ["*", ")"]) { characters = characters.dropFirst() }
                characters = characters.dropFirst(2)
                continue
            }
            characters = characters.dropFirst()
            current.append(character)
            if character == "\"" || character == "'" || character == "?" {
                // Copy a terminal or special sequence whole, so a ';' inside it does not end the rule.
                while let next = characters.first {
                    characters = characters.dropFirst()
                    current.append(next)
                    if next == character { break }
                }
            } else if character == ";" {
                let text = normalized(current)
                let name = String(text.prefix { $0 != " " && $0 != "=" })
                productions.append((name, text))
                current = ""
            }
        }
        #expect(normalized(current).isEmpty, "text after the last production: \(current)")
        return productions
    }

    static func normalized(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// All `///` doc comment text in Sources/NNetSyntax, joined and whitespace-collapsed.
    static func docComments() throws -> String {
        let directory = repositoryRoot.appendingPathComponent("Sources/NNetSyntax")
        var text = ""
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        where file.hasSuffix(".swift") {
            let contents = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for line in contents.split(separator: "\n") {
                let trimmed = line.drop { $0 == " " }
                if trimmed.hasPrefix("///") { text += " " + trimmed.dropFirst(3) }
            }
        }
        return normalized(text)
    }

    @Test func grammarHasTheExpectedProductions() throws {
        let names = try Self.productions().map(\.name)
        #expect(Set(names).count == names.count, "a production is defined twice")
        for expected in ["program", "statement", "model_statement", "layer", "argument", "settings",
                         "expression", "primary", "identifier", "number", "string"] {
            #expect(names.contains(expected))
        }
        // Every name used on a right-hand side is defined.
        let defined = Set(names)
        for (name, text) in try Self.productions() {
            let body = text.drop { $0 != "=" }.dropFirst()
            var stripped = ""
            var quote: Character?
            for character in body {
                if let open = quote {
                    if character == open { quote = nil }
                } else if character == "\"" || character == "'" || character == "?" {
                    quote = character
                } else {
                    stripped.append(character)
                }
            }
            let used = stripped.split { !($0.isLetter || $0 == "_") }.map(String.init)
            for reference in used {
                #expect(defined.contains(reference), "'\(reference)' used in '\(name)' is not defined")
            }
        }
    }

    @Test func everyProductionIsQuotedInTheParser() throws {
        let comments = try Self.docComments()
        for (name, text) in try Self.productions() {
            #expect(comments.contains(text), "production '\(name)' is not quoted in a doc comment: \(text)")
        }
    }

    /// The contents of every ```nnet fenced block.
    static func nnetBlocks(in markdown: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil {
                if line.trimmingCharacters(in: .whitespaces) == "```nnet" { current = [] }
            } else if line.trimmingCharacters(in: .whitespaces) == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current!.append(line)
            }
        }
        #expect(current == nil, "unterminated ```nnet block")
        return blocks
    }

    @Test func languageReferenceExamplesParse() throws {
        let markdown = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/language.md"), encoding: .utf8)
        let blocks = Self.nnetBlocks(in: markdown)
        #expect(blocks.count >= 10)
        for (index, block) in blocks.enumerated() {
            let program = Parser.parse(SourceFile(name: "language.md block \(index + 1)", text: block))
            #expect(program.diagnostics.isEmpty, "\(DiagnosticRenderer.render(program.diagnostics, color: false))")
            #expect(!program.statements.isEmpty)
        }
    }

    @Test func examplesParse() throws {
        let directory = repositoryRoot.appendingPathComponent("Examples")
        let files = FileManager.default.fileExists(atPath: directory.path)
            ? try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".nnet") }.sorted()
            : []
        for name in files {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            let program = Parser.parse(SourceFile(name: name, text: text))
            #expect(program.diagnostics.isEmpty, "\(DiagnosticRenderer.render(program.diagnostics, color: false))")
        }
    }
}
