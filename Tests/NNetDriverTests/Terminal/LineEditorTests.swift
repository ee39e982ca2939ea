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
        let check = Array("✓".utf8)
        let reads: [[UInt8]] = [[0x1B], [UInt8(ascii: "[")], [UInt8(ascii: "D")], [check[0]], Array(check[1...])]
        let keysPerRead = reads.map { decoder.feed($0) }
        #expect(keysPerRead == [[], [], [.left], [], [.text("✓")]])
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
        let outcome = buffer.apply(.text("\n"))
        #expect(outcome == .unchanged)
        #expect(buffer.text.isEmpty)
    }

    @Test func cursorMovementStopsAtTheEdges() {
        var buffer = LineBuffer(text: "ab")
        let outcomes = [Key.right, .home, .left, .backspace, .end, .delete].map { buffer.apply($0) }
        #expect(outcomes == [.unchanged, .edited, .unchanged, .unchanged, .edited, .unchanged])
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
        let outcomes = [Key.enter, .interrupt, .clearScreen, .unbound].map { buffer.apply($0) }
        #expect(outcomes == [.submit("print 1"), .cancel, .clearScreen, .unchanged])
    }

    @Test func controlDIsEndOfFileOnlyOnAnEmptyLine() {
        var empty = LineBuffer()
        let onEmpty = empty.apply(.endOfFile)
        #expect(onEmpty == .endOfFile)
        var text = LineBuffer(text: "ab")
        _ = text.apply(.home)
        let onText = text.apply(.endOfFile)
        #expect(onText == .edited)
        #expect(text.text == "b")
    }

    @Test func historyNavigationKeepsTheDraft() {
        var buffer = LineBuffer(history: ["first", "second"])
        _ = buffer.apply(.text("dra"))
        let firstUp = buffer.apply(.up)
        #expect(firstUp == .edited)
        #expect(buffer.text == "second")
        #expect(buffer.cursor == 6)
        _ = buffer.apply(.up)
        #expect(buffer.text == "first")
        let pastOldest = buffer.apply(.up)
        #expect(pastOldest == .unchanged)
        _ = buffer.apply(.down)
        #expect(buffer.text == "second")
        _ = buffer.apply(.down)
        #expect(buffer.text == "dra")
        let pastDraft = buffer.apply(.down)
        #expect(pastDraft == .unchanged)
        #expect(buffer.historyIndex == 2)
    }

    @Test func editingARecalledEntrySubmitsTheEditedText() {
        var buffer = LineBuffer(history: ["train m"])
        _ = buffer.apply(.up)
        _ = buffer.apply(.text(" on mnist"))
        let outcome = buffer.apply(.enter)
        #expect(outcome == .submit("train m on mnist"))
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
        // 16 characters and the cursor's cell: prompt + 17 = 19 columns, the last left empty.
        #expect(rendered == "\r> " + String(repeating: "x", count: 13) + "END" + "\u{1B}[K\r\u{1B}[18C")
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
        ("model m {\r\n}", false),
        ("x = \"(\r\n(", true),
    ])
    func brackets(text: String, continues: Bool) {
        #expect(LineEditor.needsContinuation(text) == continues)
    }
}

@Suite struct LineHistoryTests {
    @Test func addSkipsBlanksAndRepeats() {
        var history = LineHistory()
        let added = ["a", "a", "   ", "two\nlines", "b", "a"].map { history.add($0) }
        #expect(added == [true, false, false, false, true, true])
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

/// A pseudo-terminal pair (master, terminal), or nil where the system has none.
/// posix_openpt and friends are not visible through Glibc; these are the ioctls they use.
func openPseudoTerminal() -> (master: Int32, terminal: Int32)? {
    let unlockRequest: UInt = 0x4004_5431  // TIOCSPTLCK
    let numberRequest: UInt = 0x8004_5430  // TIOCGPTN
    let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
    guard master >= 0 else { return nil }
    var unlock: Int32 = 0, number: UInt32 = 0
    guard ioctl(master, unlockRequest, &unlock) == 0, ioctl(master, numberRequest, &number) == 0 else {
        close(master)
        return nil
    }
    let terminal = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
    guard terminal >= 0 else {
        close(master)
        return nil
    }
    return (master, terminal)
}

let pseudoTerminalsAvailable: Bool = {
    guard let (master, terminal) = openPseudoTerminal() else { return false }
    close(master)
    close(terminal)
    return true
}()

@Suite(.enabled(if: pseudoTerminalsAvailable, "needs /dev/ptmx"))
struct LineEditorTerminalTests {
    /// Types `keys` into a pseudo-terminal and reads entries until end of input.
    /// The terminal is put in raw mode before typing, as the editor does, so the kernel does
    /// not turn ctrl-C into SIGINT or `\r` into `\n` while the keys wait to be read.
    static func typeIntoTerminal(_ keys: String, historyPath: String?) throws -> (entries: [String], screen: String) {
        guard let (master, terminal) = openPseudoTerminal() else { throw PipeError() }
        defer { close(master); close(terminal) }
        var mode = termios()
        tcgetattr(terminal, &mode)
        cfmakeraw(&mode)
        tcsetattr(terminal, TCSANOW, &mode)

        var typist = FileDescriptorOutput(fd: master)
        typist.write(keys)
        let editor = LineEditor(prompt: "nnet> ", continuationPrompt: "  ... ", historyPath: historyPath,
                                input: terminal, output: terminal, editing: true)
        var entries: [String] = []
        while let entry = editor.readEntry() { entries.append(entry) }

        var screen: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            screen += chunk[0..<count]
        }
        return (entries, String(decoding: screen, as: UTF8.self))
    }

    @Test func editingHistoryAndMultiLineEntriesOnATerminal() throws {
        let path = temporaryPath("history")
        defer { unlink(path) }
        let keys = "print 1\r"
            + "model m {\r  dense 10\r}\r"
            + "abc\u{03}"                    // ctrl-C: abandoned, not in history
            + "x\u{1B}[D\u{1B}[Dy\r"         // left twice (the second does nothing), insert
            + "\u{1B}[A\u{1B}[A\u{1B}[B!\r"  // up, up, down: "yx" again, then append
            + "hello world\u{17}\u{01}\u{0B}bye\u{05}\u{08}s\r"  // ctrl-W, ctrl-A, ctrl-K, ctrl-E, backspace
            + "(1 +\r\u{03}"                 // ctrl-C on a continuation line drops the whole entry
            + "\u{0C}"                       // ctrl-L
            + "\u{04}"                       // ctrl-D on an empty line: end of input
        let (entries, screen) = try Self.typeIntoTerminal(keys, historyPath: path)
        #expect(entries == ["print 1", "model m {\n  dense 10\n}", "yx", "yx!", "bys"])
        #expect(screen.contains("nnet> ") && screen.contains("  ... ") && screen.contains("^C\r\n"))
        #expect(screen.contains(ANSI.clearScreen))
        #expect(LineHistory(contentsOf: path).entries
                == ["print 1", "model m {", "  dense 10", "}", "yx", "yx!", "bys", "(1 +"])
    }

    @Test func historyFromAnEarlierSessionIsRecalled() throws {
        let path = temporaryPath("history")
        defer { unlink(path) }
        LineHistory(entries: ["train m on data"]).save(to: path)
        let (entries, _) = try Self.typeIntoTerminal("\u{10}\r\u{04}", historyPath: path)  // ctrl-P, enter
        #expect(entries == ["train m on data"])
    }

    @Test func controlDInABlockEndsTheEntryButNotTheSession() throws {
        let (entries, _) = try Self.typeIntoTerminal("model m {\r\u{04}print 1\r\u{04}", historyPath: nil)
        #expect(entries == ["model m {", "print 1"])
    }
}
