// Tests of the REPL's line editor without a terminal: key decoding, the editing state machine,
// rendering, multi-line entry detection, history files, and plain reading from a pipe.

import Testing
import NNetDriver
#if canImport(Glibc)
import Glibc
#endif

@Suite struct KeyDecoderTests {
    static func decode(_ bytes: [UInt8]) -> [Key] {
        var decoder = KeyDecoder()
        return decoder.feed(bytes)
    }

    static func decode(_ text: String) -> [Key] { decode(Array(text.utf8)) }

    @Test func controlKeys() {
        #expect(Self.decode([1, 2, 3, 4, 5, 6, 8, 0x7F, 9, 10, 13, 11, 12, 14, 16, 21, 23, 25]) == [
            .home, .left, .interrupt, .endOfFile, .end, .right, .backspace, .backspace, .text("    "),
            .enter, .enter, .killToEnd, .clearScreen, .down, .up, .killToStart, .killWordBackward, .yank,
        ])
    }

    @Test func escapeSequences() {
        #expect(Self.decode("\u{1B}[A\u{1B}[B\u{1B}[C\u{1B}[D") == [.up, .down, .right, .left])
        #expect(Self.decode("\u{1B}[H\u{1B}[F\u{1B}OH\u{1B}OF") == [.home, .end, .home, .end])
        #expect(Self.decode("\u{1B}[1~\u{1B}[7~\u{1B}[4~\u{1B}[8~\u{1B}[3~") == [.home, .home, .end, .end, .delete])
        #expect(Self.decode("\u{1B}OA\u{1B}OD") == [.up, .left])
        #expect(Self.decode("\u{1B}[1;5C\u{1B}[1;5D\u{1B}b\u{1B}f") == [.wordRight, .wordLeft, .wordLeft, .wordRight])
        #expect(Self.decode([0x1B, 0x7F]) == [.killWordBackward])
        #expect(Self.decode("\u{1B}[15~\u{1B}[Z\u{1B}x") == [.unbound, .unbound, .unbound])
    }

    @Test func textIncludingMultiByteCharacters() {
        #expect(Self.decode("a é✓🧠") == [.text("a"), .text(" "), .text("é"), .text("✓"), .text("🧠")])
    }

    @Test func sequencesSplitAcrossReadsStillDecode() {
        var decoder = KeyDecoder()
        #expect(decoder.feed([0x1B]).isEmpty)
        #expect(decoder.feed([UInt8(ascii: "[")]).isEmpty)
        #expect(decoder.feed([UInt8(ascii: "D")]) == [.left])
        let snowman = Array("✓".utf8)
        #expect(decoder.feed(snowman[0..<1]).isEmpty)
        #expect(decoder.feed(snowman[1...]) == [.text("✓")])
    }

    @Test func brokenUTF8IsDroppedAndDecodingRecovers() {
        #expect(Self.decode([0xE2, 0x41, 0xFF, 0x42]) == [.text("A"), .unbound, .text("B")])
    }
}

@Suite struct LineBufferTests {
    /// Applies keys, typing strings as text keys, and returns the buffer.
    static func buffer(_ keys: [Key], text: String = "", history: [String] = []) -> LineBuffer {
        var buffer = LineBuffer(text: text, history: history)
        for key in keys { _ = buffer.apply(key) }
        return buffer
    }

    @Test func typingInsertsAtTheCursor() {
        let buffer = Self.buffer([.text("ab"), .left, .text("X"), .home, .text(">"), .end, .text("<")])
        #expect(buffer.text == ">aXb<")
        #expect(buffer.cursor == 5)
    }

    @Test func newlinesInPastedTextAreNotInserted() {
        var buffer = LineBuffer()
        #expect(buffer.apply(.text("\n")) == .unchanged)
        #expect(buffer.text.isEmpty)
    }

    @Test func cursorMovementStopsAtTheEdges() {
        var buffer = LineBuffer(text: "ab")
        #expect(buffer.apply(.right) == .unchanged)
        #expect(buffer.apply(.home) == .edited)
        #expect(buffer.apply(.left) == .unchanged)
        #expect(buffer.apply(.backspace) == .unchanged)
        #expect(buffer.apply(.end) == .edited)
        #expect(buffer.apply(.delete) == .unchanged)
    }

    @Test func backspaceAndDelete() {
        #expect(Self.buffer([.backspace], text: "abc").text == "ab")
        #expect(Self.buffer([.left, .left, .delete], text: "abc").text == "ac")
        #expect(Self.buffer([.home, .delete, .delete], text: "abc").text == "c")
    }

    @Test func killsAndYank() {
        #expect(Self.buffer([.left, .left, .killToStart], text: "hello world").text == "ld")
        #expect(Self.buffer([.left, .left, .killToEnd], text: "hello world").text == "hello wor")
        #expect(Self.buffer([.killWordBackward], text: "dense 10, from: h1  ").text == "dense 10, from: ")
        #expect(Self.buffer([.killWordBackward, .killWordBackward], text: "a bc de").text == "a ")
        let yanked = Self.buffer([.killWordBackward, .home, .yank], text: "x = 1 + 2")
        #expect(yanked.text == "2x = 1 + ")
        #expect(yanked.cursor == 1)
    }

    @Test func wordMovement() {
        var buffer = LineBuffer(text: "train m on data")
        _ = buffer.apply(.wordLeft)
        #expect(buffer.cursor == 11)
        _ = buffer.apply(.wordLeft)
        _ = buffer.apply(.wordLeft)
        #expect(buffer.cursor == 6)
        _ = buffer.apply(.wordRight)
        #expect(buffer.cursor == 7)
    }

    @Test func enterSubmitsAndControlKeysReport() {
        var buffer = LineBuffer(text: "print 1")
        #expect(buffer.apply(.enter) == .submit("print 1"))
        #expect(buffer.apply(.interrupt) == .cancel)
        #expect(buffer.apply(.clearScreen) == .clearScreen)
        #expect(buffer.apply(.unbound) == .unchanged)
    }

    @Test func controlDIsEndOfFileOnlyOnAnEmptyLine() {
        var empty = LineBuffer()
        #expect(empty.apply(.endOfFile) == .endOfFile)
        var text = LineBuffer(text: "ab")
        _ = text.apply(.home)
        #expect(text.apply(.endOfFile) == .edited)
        #expect(text.text == "b")
    }

    @Test func historyNavigationKeepsTheDraft() {
        var buffer = LineBuffer(history: ["first", "second"])
        _ = buffer.apply(.text("dra"))
        #expect(buffer.apply(.up) == .edited)
        #expect(buffer.text == "second")
        #expect(buffer.cursor == 6)
        _ = buffer.apply(.up)
        #expect(buffer.text == "first")
        #expect(buffer.apply(.up) == .unchanged)
        _ = buffer.apply(.down)
        #expect(buffer.text == "second")
        _ = buffer.apply(.down)
        #expect(buffer.text == "dra")
        #expect(buffer.apply(.down) == .unchanged)
        #expect(buffer.historyIndex == 2)
    }

    @Test func editingARecalledEntrySubmitsTheEditedText() {
        var buffer = LineBuffer(history: ["train m"])
        _ = buffer.apply(.up)
        _ = buffer.apply(.text(" on mnist"))
        #expect(buffer.apply(.enter) == .submit("train m on mnist"))
    }

    @Test func renderPlacesTheCursor() {
        let buffer = Self.buffer([.left, .left], text: "abcd")
        #expect(buffer.render(prompt: "> ", width: 80) == "\r> abcd\u{1B}[K\r\u{1B}[4C")
        #expect(LineBuffer().render(prompt: "", width: 80) == "\r\u{1B}[K\r")
    }

    @Test func longLinesScrollToKeepTheCursorVisible() {
        let long = String(repeating: "x", count: 30) + "END"
        let buffer = LineBuffer(text: long)
        let rendered = buffer.render(prompt: "> ", width: 20)  // room for 17 characters
        #expect(rendered == "\r> " + String(repeating: "x", count: 14) + "END" + "\u{1B}[K\r\u{1B}[19C")
        let atStart = Self.buffer([.home], text: long).render(prompt: "> ", width: 20)
        #expect(atStart == "\r> " + String(repeating: "x", count: 17) + "\u{1B}[K\r\u{1B}[2C")
    }
}

@Suite struct ContinuationTests {
    @Test(arguments: [
        ("model m {", true),
        ("model m {\n  dense 10\n}", false),
        ("x = (1 +", true),
        ("x = [1, 2,\n 3]", false),
        ("f(a, [b, {c", true),
        ("print \"{\"", false),
        ("print '(' + \"[\"", false),
        ("print \"a \\\" {\"", false),
        ("model m { # } closes nothing", true),
        ("model m {  # a comment with \"quote\n}", false),
        ("print \"unterminated {\nx = 1", false),
        ("}", false),
        ("(]", false),
        ("", false),
        ("# only { a comment", false),
    ])
    func brackets(text: String, continues: Bool) {
        #expect(LineEditor.needsContinuation(text) == continues)
    }
}

@Suite struct LineHistoryTests {
    @Test func addSkipsBlanksAndRepeats() {
        var history = LineHistory()
        #expect(history.add("a"))
        #expect(!history.add("a"))
        #expect(!history.add("   "))
        #expect(!history.add("two\nlines"))
        #expect(history.add("b"))
        #expect(history.add("a"))
        #expect(history.entries == ["a", "b", "a"])
    }

    @Test func oldestEntriesAreForgottenBeyondTheLimit() {
        var history = LineHistory(limit: 3)
        for n in 1...5 { history.add("line \(n)") }
        #expect(history.entries == ["line 3", "line 4", "line 5"])
        #expect(LineHistory.defaultLimit == 1000)
    }

    @Test func savedHistoryLoadsBack() throws {
        let path = temporaryPath("history")
        defer { unlink(path) }
        var history = LineHistory()
        for n in 1...1005 { history.add("entry \(n) ✓") }
        #expect(history.save(to: path))
        let loaded = LineHistory(contentsOf: path)
        #expect(loaded.entries.count == 1000)
        #expect(loaded.entries.first == "entry 6 ✓")
        #expect(loaded.entries.last == "entry 1005 ✓")
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func missingFileIsAnEmptyHistoryAndUnwritablePathFailsQuietly() {
        #expect(LineHistory(contentsOf: "/nonexistent-nnet-dir/history").entries.isEmpty)
        #expect(!LineHistory(entries: ["x"]).save(to: "/nonexistent-nnet-dir/history"))
    }
}

@Suite struct LineEditorPipeTests {
    /// Reads every entry from `input` through a pipe, as `echo … | nnet repl` does.
    static func entries(_ input: String, historyPath: String? = nil) throws -> ([String?], String) {
        let (inputRead, inputWrite) = try makePipe()
        let (outputRead, outputWrite) = try makePipe()
        var writer = FileDescriptorOutput(fd: inputWrite)
        writer.write(input)
        close(inputWrite)
        let editor = LineEditor(prompt: "nnet> ", continuationPrompt: "  ... ", historyPath: historyPath,
                                input: inputRead, output: outputWrite)
        var entries: [String?] = []
        repeat { entries.append(editor.readEntry()) } while entries.last! != nil
        entries.append(editor.readEntry())  // stays at end of input
        close(inputRead)
        close(outputWrite)
        let output = readAll(outputRead)
        close(outputRead)
        return (entries, output)
    }

    @Test func linesAndBlocksBecomeEntries() throws {
        let (entries, output) = try Self.entries("print 1\n\n   \nmodel m {\n  dense 10\n\n}\r\nprint 2")
        #expect(entries == ["print 1", "model m {\n  dense 10\n\n}", "print 2", nil, nil])
        #expect(output.isEmpty)  // no prompts when nobody is typing
    }

    @Test func endOfInputInsideABlockReturnsWhatWasRead() throws {
        let (entries, _) = try Self.entries("model m {\n  dense 10\n")
        #expect(entries == ["model m {\n  dense 10", nil, nil])
    }

    @Test func emptyInputIsEndOfInput() throws {
        #expect(try Self.entries("").0 == [nil, nil])
    }

    @Test func pipedInputDoesNotTouchTheHistoryFile() throws {
        let path = temporaryPath("history")
        defer { unlink(path) }
        _ = try Self.entries("print 1\n", historyPath: path)
        #expect(access(path, F_OK) != 0)
    }

    @Test func defaultHistoryPathIsInHome() {
        if let path = LineEditor.defaultHistoryPath {
            #expect(path.hasSuffix("/.nnet_history"))
        }
    }
}
