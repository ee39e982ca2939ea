// Turns the bytes a terminal sends in raw mode into editing keys for the REPL's line editor.
// Stage: driver, presentation. Pure: fed bytes, returns keys; no terminal needed to test it.

/// An editing key, after decoding control bytes and escape sequences.
public enum Key: Equatable, Sendable {
    /// Printable text: one character typed, or several when a paste arrives in one read.
    case text(String)
    case enter
    case backspace
    /// Delete the character under the cursor (the Delete key).
    case delete
    case left, right, home, end
    case wordLeft, wordRight
    /// Previous and next history entry (arrows, ctrl-P, ctrl-N).
    case up, down
    /// ctrl-U: delete from the start of the line to the cursor.
    case killToStart
    /// ctrl-K: delete from the cursor to the end of the line.
    case killToEnd
    /// ctrl-W, alt-backspace: delete the word before the cursor.
    case killWordBackward
    /// ctrl-Y: insert the text deleted last.
    case yank
    /// ctrl-C: abandon the entry and prompt again.
    case interrupt
    /// ctrl-D: end of input on an empty line, else delete under the cursor.
    case endOfFile
    /// ctrl-L.
    case clearScreen
    /// A key with no binding (function keys, unknown sequences): ignored.
    case unbound
}

/// Decodes raw-mode terminal input byte by byte: ASCII control codes, UTF-8 text, and the
/// `ESC [ … final` (CSI) and `ESC O x` (SS3) sequences xterm, VT100 and Linux consoles send.
public struct KeyDecoder: Sendable {
    private enum State: Sendable {
        case ground
        case escape
        case controlSequence([UInt8])
        case singleShift
        case utf8(bytes: [UInt8], remaining: Int)
    }

    private var state = State.ground

    public init() {}

    /// Feeds one byte; returns a key when one is complete.
    public mutating func feed(_ byte: UInt8) -> Key? {
        switch state {
        case .ground:
            return ground(byte)
        case .escape:
            state = .ground
            switch byte {
            case UInt8(ascii: "["): state = .controlSequence([]); return nil
            case UInt8(ascii: "O"): state = .singleShift; return nil
            case UInt8(ascii: "b"): return .wordLeft
            case UInt8(ascii: "f"): return .wordRight
            case 0x7F, 0x08: return .killWordBackward
            default: return .unbound
            }
        case .controlSequence(var parameters):
            // Parameter and intermediate bytes are 0x20...0x3F; a byte in 0x40...0x7E ends it.
            if (0x20...0x3F).contains(byte) {
                parameters.append(byte)
                state = parameters.count > 16 ? .ground : .controlSequence(parameters)
                return nil
            }
            state = .ground
            return Self.controlSequenceKey(parameters: String(decoding: parameters, as: UTF8.self),
                                           final: byte)
        case .singleShift:
            state = .ground
            return Self.controlSequenceKey(parameters: "", final: byte)
        case .utf8(var bytes, let remaining):
            guard byte & 0xC0 == 0x80 else {  // not a continuation byte: drop the broken prefix
                state = .ground
                return ground(byte)
            }
            bytes.append(byte)
            if remaining > 1 {
                state = .utf8(bytes: bytes, remaining: remaining - 1)
                return nil
            }
            state = .ground
            return .text(String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Feeds several bytes; returns the keys completed, in order.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [Key] {
        bytes.compactMap { feed($0) }
    }

    private mutating func ground(_ byte: UInt8) -> Key? {
        switch byte {
        case 0x01: return .home            // ctrl-A
        case 0x02: return .left            // ctrl-B
        case 0x03: return .interrupt       // ctrl-C
        case 0x04: return .endOfFile       // ctrl-D
        case 0x05: return .end             // ctrl-E
        case 0x06: return .right           // ctrl-F
        case 0x08, 0x7F: return .backspace // ctrl-H, DEL
        case 0x09: return .text("    ")    // tab: indent; there is no completion
        case 0x0A, 0x0D: return .enter     // ctrl-J, ctrl-M
        case 0x0B: return .killToEnd       // ctrl-K
        case 0x0C: return .clearScreen     // ctrl-L
        case 0x0E: return .down            // ctrl-N
        case 0x10: return .up              // ctrl-P
        case 0x15: return .killToStart     // ctrl-U
        case 0x17: return .killWordBackward // ctrl-W
        case 0x19: return .yank            // ctrl-Y
        case 0x1B: state = .escape; return nil
        case 0x20...0x7E: return .text(String(UnicodeScalar(byte)))
        case 0xC2...0xDF: state = .utf8(bytes: [byte], remaining: 1); return nil
        case 0xE0...0xEF: state = .utf8(bytes: [byte], remaining: 2); return nil
        case 0xF0...0xF4: state = .utf8(bytes: [byte], remaining: 3); return nil
        default: return .unbound
        }
    }

    /// `ESC [ A` up … `ESC [ 3 ~` delete, `ESC [ 1 ; 5 C` ctrl-right.
    private static func controlSequenceKey(parameters: String, final: UInt8) -> Key {
        let modified = parameters.hasSuffix(";5") || parameters.hasSuffix(";3")  // ctrl or alt
        switch final {
        case UInt8(ascii: "A"): return .up
        case UInt8(ascii: "B"): return .down
        case UInt8(ascii: "C"): return modified ? .wordRight : .right
        case UInt8(ascii: "D"): return modified ? .wordLeft : .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "~"):
            switch parameters {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            default: return .unbound
            }
        default: return .unbound
        }
    }
}
