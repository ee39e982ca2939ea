// Lexer: token kinds, literal values, ranges, and the lexical errors.

import NNetSyntax
import Testing

@Suite struct LexerTests {
    @Test func punctuationAndNewlines() {
        #expect(kinds("( ) [ ] { } , : ; . = + - * /\n") == [
            .leftParen, .rightParen, .leftBracket, .rightBracket, .leftBrace, .rightBrace,
            .comma, .colon, .semicolon, .dot, .equals, .plus, .minus, .star, .slash, .newline, .endOfFile,
        ])
    }

    @Test func keywordsAreIdentifiers() {
        let tokens = Lexer.tokenize(source("let data model train on to from _x1"))
        #expect(tokens.dropLast().allSatisfy { $0.kind == .identifier })
        #expect(tokens.map(\.text) == ["let", "data", "model", "train", "on", "to", "from", "_x1", ""])
    }

    @Test func commentsAndWhitespaceAreDropped() {
        #expect(kinds("# only a comment") == [.endOfFile])
        #expect(kinds("a # trailing\r\n\tb") == [.identifier, .newline, .identifier, .endOfFile])
        #expect(kinds("") == [.endOfFile])
    }

    @Test(arguments: [
        ("32", 32.0, true), ("0", 0.0, true), ("0.001", 0.001, false), ("1e-3", 0.001, false),
        ("2.0", 2.0, false), ("1.5E+2", 150.0, false), ("007", 7.0, true),
    ])
    func numbers(text: String, value: Double, isInteger: Bool) {
        let tokens = Lexer.tokenize(source(text))
        #expect(tokens.count == 2)
        guard case .number(let actual, let actualIsInteger) = tokens[0].value else {
            Issue.record("not a number: \(tokens[0])")
            return
        }
        #expect(actual == value)
        #expect(actualIsInteger == isInteger)
        #expect(tokens[0].text == text)
    }

    @Test func memberDotIsNotANumber() {
        #expect(kinds("a.b") == [.identifier, .dot, .identifier, .endOfFile])
        #expect(kinds("f(x).y") == [.identifier, .leftParen, .identifier, .rightParen, .dot, .identifier, .endOfFile])
    }

    @Test(arguments: [
        (".5", "invalid number '.5': a number must start with a digit"),
        ("1.", "invalid number '1.': expected a digit after the decimal point"),
        ("3x", "invalid number '3x'"),
        ("1e", "invalid number '1e'"),
        ("1e999", "number '1e999' is out of range"),
    ])
    func invalidNumbers(text: String, message: String) {
        let tokens = Lexer.tokenize(source("let x = \(text)"))
        let errors = tokens.compactMap { token -> Diagnostic? in
            if case .error(let diagnostic) = token.value { return diagnostic }
            return nil
        }
        #expect(errors.map(\.id) == ["invalid-number"])
        #expect(errors.first?.message == message)
    }

    @Test func stringEscapes() {
        let tokens = Lexer.tokenize(source(#""a\"b\\c\nd\te" "é""#))
        guard case .string(let first) = tokens[0].value, case .string(let second) = tokens[1].value else {
            Issue.record("expected strings, got \(tokens)")
            return
        }
        #expect(first == "a\"b\\c\nd\te")
        #expect(second == "é")
    }

    @Test func unterminatedStringStopsAtLineEnd() {
        let tokens = Lexer.tokenize(source("print \"abc\nprint 1"))
        #expect(tokens.map(\.kind) == [.identifier, .error, .newline, .identifier, .number, .endOfFile])
        guard case .error(let diagnostic) = tokens[1].value else { return }
        #expect(diagnostic.id == "unterminated-string")
        #expect(diagnostic.range?.text == "\"abc")
    }

    @Test func invalidEscape() {
        let tokens = Lexer.tokenize(source(#""a\qb""#))
        guard case .error(let diagnostic) = tokens[0].value else {
            Issue.record("expected an error token")
            return
        }
        #expect(diagnostic.id == "invalid-escape")
        #expect(diagnostic.message == "unknown escape sequence '\\q' in string")
        #expect(diagnostic.range?.text == "\\q")
    }

    @Test(arguments: [("@", "unexpected character '@'"), ("\u{0}", "unexpected character U+0000"),
                      ("é", "unexpected character 'é' (U+00E9)"), ("🙂", "unexpected character '🙂' (U+1F642)")])
    func unexpectedCharacters(text: String, message: String) {
        let tokens = Lexer.tokenize(source("a \(text) b"))
        #expect(tokens.map(\.kind) == [.identifier, .error, .identifier, .endOfFile])
        guard case .error(let diagnostic) = tokens[1].value else { return }
        #expect(diagnostic.id == "unexpected-character")
        #expect(diagnostic.message == message)
        #expect(tokens[1].text == text)
    }

    @Test func rangesAreByteOffsets() {
        let file = source("let é = 1\n  dense")
        let tokens = Lexer.tokenize(file)
        let dense = tokens.first { $0.text == "dense" }!
        #expect(dense.range.start == 13)
        #expect(file.lineColumn(of: dense.range.start) == (2, 3))
    }

    @Test func endOfFileSitsAfterTheLastToken() {
        let tokens = Lexer.tokenize(source("model m {\n  dense 3\n\n# end\n"))
        let end = tokens.last!
        #expect(end.kind == .endOfFile)
        #expect(end.range.start == "model m {\n  dense 3".utf8.count)
    }

    @Test func tokenDescriptions() {
        let tokens = Lexer.tokenize(source("dense 32, \"a\"\n"))
        #expect(tokens.map(\.description) == [
            "1:1 identifier dense", "1:7 number 32 = integer", "1:9 ,", "1:11 string \"a\"", "1:14 newline",
            "1:14 endOfFile",
        ])
    }
}
