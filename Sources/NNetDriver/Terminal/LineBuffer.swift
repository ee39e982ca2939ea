// The line being edited at the REPL prompt: text, cursor, history position, and how each key
// changes them. Stage: driver, presentation. A pure state machine, so every key is unit tested.

/// One line under edit. `apply` performs a key and says what the editor must do next;
/// `render` produces the bytes that redraw it.
public struct LineBuffer: Sendable {
    /// What the editor does after a key.
    public enum Outcome: Equatable, Sendable {
        /// The text or cursor changed: redraw.
        case edited
        /// Nothing changed (cursor already at the edge, no older history): the editor may beep.
        case unchanged
        /// Enter: the line is complete.
        case submit(String)
        /// ctrl-C: abandon the entry.
        case cancel
        /// ctrl-D on an empty line.
        case endOfFile
        /// ctrl-L: clear the screen, then redraw.
        case clearScreen
    }

    public private(set) var characters: [Character]
    /// Insertion point, 0...characters.count.
    public private(set) var cursor: Int
    /// Earlier entries, oldest first.
    public let history: [String]
    /// Which entry is shown: `history.count` is the line being typed, lower is a recalled entry.
    public private(set) var historyIndex: Int
    /// The line being typed, kept while older entries are shown.
    private var draft: [Character] = []
    /// Text removed by the last kill (ctrl-U/K/W), for ctrl-Y.
    private var killed: [Character] = []

    public init(text: String = "", history: [String] = []) {
        characters = Array(text)
        cursor = characters.count
        self.history = history
        historyIndex = history.count
    }

    public var text: String { String(characters) }

    // MARK: - Keys

    public mutating func apply(_ key: Key) -> Outcome {
        switch key {
        case .text(let typed):
            let inserted = Array(typed.filter { !$0.isNewline })
            guard !inserted.isEmpty else { return .unchanged }
            characters.insert(contentsOf: inserted, at: cursor)
            cursor += inserted.count
            return .edited
        case .enter:
            return .submit(text)
        case .backspace:
            guard cursor > 0 else { return .unchanged }
            cursor -= 1
            characters.remove(at: cursor)
            return .edited
        case .delete:
            guard cursor < characters.count else { return .unchanged }
            characters.remove(at: cursor)
            return .edited
        case .left: return moveCursor(to: cursor - 1)
        case .right: return moveCursor(to: cursor + 1)
        case .home: return moveCursor(to: 0)
        case .end: return moveCursor(to: characters.count)
        case .wordLeft: return moveCursor(to: startOfWord(before: cursor))
        case .wordRight: return moveCursor(to: endOfWord(after: cursor))
        case .up: return showHistory(historyIndex - 1)
        case .down: return showHistory(historyIndex + 1)
        case .killToStart: return kill(0..<cursor)
        case .killToEnd: return kill(cursor..<characters.count)
        case .killWordBackward: return kill(startOfWord(before: cursor)..<cursor)
        case .yank: return apply(.text(String(killed)))
        case .interrupt: return .cancel
        case .endOfFile: return characters.isEmpty ? .endOfFile : apply(.delete)
        case .clearScreen: return .clearScreen
        case .unbound: return .unchanged
        }
    }

    private mutating func moveCursor(to position: Int) -> Outcome {
        let clamped = min(max(position, 0), characters.count)
        guard clamped != cursor else { return .unchanged }
        cursor = clamped
        return .edited
    }

    private mutating func kill(_ range: Range<Int>) -> Outcome {
        guard !range.isEmpty else { return .unchanged }
        killed = Array(characters[range])
        characters.removeSubrange(range)
        cursor = range.lowerBound
        return .edited
    }

    /// Shows history entry `index` (or the draft at `history.count`), cursor at its end.
    private mutating func showHistory(_ index: Int) -> Outcome {
        guard index >= 0, index <= history.count, index != historyIndex else { return .unchanged }
        if historyIndex == history.count { draft = characters }
        historyIndex = index
        characters = index == history.count ? draft : Array(history[index])
        cursor = characters.count
        return .edited
    }

    /// Words are runs of non-whitespace, as for readline's ctrl-W.
    private func startOfWord(before position: Int) -> Int {
        var index = position
        while index > 0, characters[index - 1].isWhitespace { index -= 1 }
        while index > 0, !characters[index - 1].isWhitespace { index -= 1 }
        return index
    }

    private func endOfWord(after position: Int) -> Int {
        var index = position
        while index < characters.count, characters[index].isWhitespace { index += 1 }
        while index < characters.count, !characters[index].isWhitespace { index += 1 }
        return index
    }

    // MARK: - Rendering

    /// The bytes that redraw the line in place: return to column 0, prompt, the visible part of
    /// the text, erase the rest, and place the cursor. A line wider than the terminal scrolls
    /// sideways to keep the cursor in view, so it never wraps (each character is taken as one
    /// column; wide characters may misplace the cursor).
    public func render(prompt: String, width: Int) -> String {
        let promptWidth = prompt.count
        let room = max(width - promptWidth - 1, 1)
        let start = max(0, cursor - room + 1)
        let visible = characters[start..<min(characters.count, start + room)]
        let column = promptWidth + cursor - start
        return "\r" + prompt + String(visible) + ANSI.clearToEndOfLine
            + "\r" + (column > 0 ? "\u{1B}[\(column)C" : "")
    }
}
