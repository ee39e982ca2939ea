// Reads entries for `nnet repl`: a line editor with history on a terminal, plain lines from a
// pipe (`echo '…' | nnet repl`). Stage: driver, presentation. Keys are decoded by `KeyDecoder`
// and applied by `LineBuffer`; this file only talks to the terminal.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Reads complete entries: lines are joined while brackets are open, so a `model m {` … `}`
/// block is one entry (continued under `continuationPrompt`).
///
/// On a terminal (input and output both TTYs, `TERM` not `dumb`) the terminal is in raw mode
/// only while a line is being typed, so ctrl-C arrives as a key there and as SIGINT while the
/// entry runs; the previous mode is restored after every line, on deinit and at exit.
public final class LineEditor {
    public let prompt: String
    public let continuationPrompt: String
    public let historyPath: String?
    public private(set) var history: LineHistory
    private let input: Int32
    private let output: Int32
    private let interactive: Bool
    private var decoder = KeyDecoder()
    /// Bytes read but not yet used: a paste may hold several lines.
    private var pendingBytes: [UInt8] = []
    private var pendingBytesStart = 0
    /// End of input was seen after a partial entry, which was returned; the next read is nil.
    private var reachedEndOfInput = false
    /// Asked while waiting for input and when a read is interrupted by a signal; true abandons
    /// the entry being typed, as ctrl-C does (the REPL: a SIGINT arrived). Nil: reads just block.
    public var abandonsEntryOnSignal: (() -> Bool)?
    /// Set by `nextByte` when a signal abandoned the entry.
    private var readWasInterrupted = false

    /// `~/.nnet_history`, or nil when `HOME` is unset.
    public static var defaultHistoryPath: String? {
        guard let home = getenv("HOME") else { return nil }
        let path = String(cString: home)
        return path.isEmpty ? nil : (path.hasSuffix("/") ? path : path + "/") + ".nnet_history"
    }

    /// `historyPath` nil keeps history for this session only. History is only recorded when
    /// editing, so piped scripts do not fill it. `editing` nil edits when `input` and `output`
    /// are terminals and `TERM` is not `dumb`; true or false forces the choice.
    public init(prompt: String, continuationPrompt: String, historyPath: String?,
                input: Int32 = 0, output: Int32 = 1, editing: Bool? = nil) {
        self.prompt = prompt
        self.continuationPrompt = continuationPrompt
        self.historyPath = historyPath
        self.input = input
        self.output = output
        interactive = editing ?? (Terminal.isTTY(input) && Terminal.supportsCursorControl(output))
        history = historyPath.map { LineHistory(contentsOf: $0) } ?? LineHistory()
    }

    deinit { RawMode.restore(input) }

    /// The next complete entry, possibly several lines joined by `\n`; nil at end of input.
    /// Blank entries are skipped. End of input inside an open block returns the partial entry,
    /// so the caller reports what is missing; from a pipe the next call then returns nil, on a
    /// terminal (ctrl-D on a `...` line) the session goes on.
    public func readEntry() -> String? {
        guard !reachedEndOfInput else { return nil }
        var lines: [String] = []
        while true {
            let line: LineResult = interactive
                ? editLine(prompt: lines.isEmpty ? prompt : continuationPrompt)
                : plainLine(prompt: lines.isEmpty ? prompt : continuationPrompt)
            switch line {
            case .line(let text):
                if interactive, history.add(text), let historyPath { history.save(to: historyPath) }
                lines.append(text)
                let entry = lines.joined(separator: "\n")
                if entry.allSatisfy(\.isWhitespace) {
                    lines = []
                } else if !Self.needsContinuation(entry) {
                    return entry
                }
            case .cancel:
                lines = []
            case .endOfFile:
                reachedEndOfInput = !interactive || lines.isEmpty
                let entry = lines.joined(separator: "\n")
                return entry.allSatisfy(\.isWhitespace) ? nil : entry
            }
        }
    }

    // MARK: - Continuation

    /// Whether `text` has an unclosed `(`, `[` or `{`, ignoring brackets in strings (`"…"` or
    /// `'…'`, with `\` escapes, ending at the line's end) and in `#` comments. A stray or
    /// mismatched closer makes the entry complete, so the parser can report it.
    public static func needsContinuation(_ text: String) -> Bool {
        var open: [Character] = []
        var quote: Character?
        var escaped = false
        var inComment = false
        for character in text {
            if character.isNewline {
                quote = nil
                inComment = false
                escaped = false
                continue
            }
            if inComment { continue }
            if let current = quote {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == current { quote = nil }
                continue
            }
            switch character {
            case "#": inComment = true
            case "\"", "'": quote = character
            case "(": open.append(")")
            case "[": open.append("]")
            case "{": open.append("}")
            case ")", "]", "}":
                guard open.last == character else { return false }
                open.removeLast()
            default: break
            }
        }
        return !open.isEmpty
    }

    // MARK: - Reading

    private enum LineResult {
        case line(String)
        case cancel
        case endOfFile
    }

    /// One line typed with editing keys, the terminal in raw mode meanwhile.
    private func editLine(prompt: String) -> LineResult {
        guard RawMode.enable(input) else { return plainLine(prompt: prompt) }
        defer { RawMode.restore(input) }
        var buffer = LineBuffer(history: history.entries)
        send(buffer.render(prompt: prompt, width: Terminal.width(of: output)))
        while true {
            guard let byte = nextByte() else {
                if readWasInterrupted {
                    readWasInterrupted = false
                    send("^C\r\n")
                    return .cancel
                }
                send("\r\n")
                return buffer.characters.isEmpty ? .endOfFile : .line(buffer.text)
            }
            guard let key = decoder.feed(byte) else { continue }
            switch buffer.apply(key) {
            case .edited:
                send(buffer.render(prompt: prompt, width: Terminal.width(of: output)))
            case .unchanged:
                break
            case .submit(let text):
                send("\r\n")
                return .line(text)
            case .cancel:
                send("^C\r\n")
                return .cancel
            case .endOfFile:
                send("\r\n")
                return .endOfFile
            case .clearScreen:
                send(ANSI.clearScreen + buffer.render(prompt: prompt, width: Terminal.width(of: output)))
            }
        }
    }

    /// One line without editing: from a pipe or file, or a terminal that cannot move the
    /// cursor. The prompt is shown only when a person is typing.
    private func plainLine(prompt: String) -> LineResult {
        if Terminal.isTTY(input) { send(prompt) }
        var bytes: [UInt8] = []
        while let byte = nextByte() {
            if byte == UInt8(ascii: "\n") {
                if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
                return .line(String(decoding: bytes, as: UTF8.self))
            }
            bytes.append(byte)
        }
        if readWasInterrupted {
            readWasInterrupted = false
            if Terminal.isTTY(input) { send("^C\n") }
            return .cancel
        }
        return bytes.isEmpty ? .endOfFile : .line(String(decoding: bytes, as: UTF8.self))
    }

    /// The next input byte, reading more as needed; nil at end of input or on a read error.
    private func nextByte() -> UInt8? {
        if pendingBytesStart == pendingBytes.count {
            pendingBytes = [UInt8](repeating: 0, count: 4096)
            pendingBytesStart = 0
            while true {
                if let abandonsEntryOnSignal {
                    // Waits in slices of 100 ms: a signal delivered to another thread leaves a
                    // blocked read blocked, so the request is polled as well.
                    var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&descriptor, 1, 100)
                    if abandonsEntryOnSignal() {
                        readWasInterrupted = true
                        pendingBytes = []
                        return nil
                    }
                    if ready == 0 || (ready < 0 && errno == EINTR) { continue }
                }
                let count = pendingBytes.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                if count > 0 {
                    pendingBytes.removeSubrange(count...)
                    break
                }
                if count < 0 && errno == EINTR {
                    guard let abandonsEntryOnSignal, abandonsEntryOnSignal() else { continue }
                    readWasInterrupted = true
                    pendingBytes = []
                    return nil
                }
                pendingBytes = []
                return nil
            }
        }
        defer { pendingBytesStart += 1 }
        return pendingBytes[pendingBytesStart]
    }

    private func send(_ text: String) {
        var stream = FileDescriptorOutput(fd: output)
        stream.write(text)
    }
}

// MARK: - Raw mode

/// Switches a terminal to raw mode (no echo, no line buffering, no signals from ctrl-C/Z/\,
/// no output processing) and back. The modes to restore are kept process-wide, so an `atexit`
/// handler can restore them even if the program exits while a line is being read.
/// `TCSADRAIN`, not `TCSAFLUSH`: input typed ahead (or the rest of a paste) is kept.
enum RawMode {
    private static let saved = Mutex<[Int32: termios]>([:])
    private static let exitHandler: Void = { atexit { RawMode.restoreAll() } }()

    /// Returns false if `fd` is not a terminal whose mode can be changed.
    static func enable(_ fd: Int32) -> Bool {
        var original = termios()
        guard tcgetattr(fd, &original) == 0 else { return false }
        var raw = original
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_oflag &= ~tcflag_t(OPOST)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1   // read returns after one byte...
            cc[Int(VTIME)] = 0  // ...and waits for it as long as it takes
        }
        _ = exitHandler
        saved.withLock { $0[fd] = $0[fd] ?? original }
        guard tcsetattr(fd, TCSADRAIN, &raw) == 0 else {
            restore(fd)
            return false
        }
        return true
    }

    /// Restores the mode `fd` had before `enable`, if it is in raw mode.
    static func restore(_ fd: Int32) {
        guard var mode = saved.withLock({ $0.removeValue(forKey: fd) }) else { return }
        _ = tcsetattr(fd, TCSADRAIN, &mode)
    }

    static func restoreAll() {
        for fd in saved.withLock({ Array($0.keys) }) { restore(fd) }
    }
}
