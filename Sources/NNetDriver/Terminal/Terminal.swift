// Terminal capabilities (is it a TTY, how wide, may we colour) and unbuffered output streams.
// Stage: driver, presentation. Everything the CLI prints goes through these, so output order
// between `print`, progress lines and diagnostics stays the order in which they were written.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Queries about the terminal attached to a file descriptor.
public enum Terminal {
    /// The width used when the descriptor is not a terminal and `COLUMNS` is unset.
    public static let defaultWidth = 80

    /// Whether `fd` refers to a terminal (`isatty(3)`).
    public static func isTTY(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// The terminal width in columns: `ioctl(TIOCGWINSZ)` on `fd`, else a positive `COLUMNS`,
    /// else `defaultWidth`.
    public static func width(of fd: Int32 = 1) -> Int {
        var size = winsize()
        if ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        if let columns = environmentValue("COLUMNS").flatMap({ Int($0) }), columns > 0 {
            return columns
        }
        return defaultWidth
    }

    /// Whether ANSI colour should be used on `fd`: only on a terminal, never when `NO_COLOR` is
    /// set to a non-empty value (https://no-color.org), never when `TERM` is `dumb` or unset.
    public static func supportsColor(_ fd: Int32) -> Bool {
        supportsColor(isTTY: isTTY(fd),
                      noColor: environmentValue("NO_COLOR"),
                      term: environmentValue("TERM"))
    }

    /// The colour decision as a pure function of its inputs, for tests.
    public static func supportsColor(isTTY: Bool, noColor: String?, term: String?) -> Bool {
        guard isTTY else { return false }
        if let noColor, !noColor.isEmpty { return false }
        guard let term, !term.isEmpty, term != "dumb" else { return false }
        return true
    }

    /// Whether the terminal understands cursor movement (`TERM` set and not `dumb`).
    public static func supportsCursorControl(_ fd: Int32) -> Bool {
        guard isTTY(fd), let term = environmentValue("TERM") else { return false }
        return !term.isEmpty && term != "dumb"
    }

    static func environmentValue(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// ANSI escape sequences, emitted only after checking `Terminal.supportsColor`/`supportsCursorControl`.
public enum ANSI {
    /// Erases from the cursor to the end of the line.
    public static let clearToEndOfLine = "\u{1B}[K"
    /// Moves the cursor home and erases the screen.
    public static let clearScreen = "\u{1B}[H\u{1B}[2J"
    public static let bold = "\u{1B}[1m"
    public static let red = "\u{1B}[31m"
    public static let green = "\u{1B}[32m"
    public static let yellow = "\u{1B}[33m"
    public static let cyan = "\u{1B}[36m"
    public static let reset = "\u{1B}[0m"
}

// MARK: - Output streams

/// Writes all of `bytes` to `fd` with `write(2)`, retrying on partial writes and `EINTR`.
/// Returns false if the descriptor refuses the data (closed pipe, full disk).
@discardableResult
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    guard var base = bytes.baseAddress else { return true }
    var remaining = bytes.count
    while remaining > 0 {
        let written = write(fd, base, remaining)
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        remaining -= written
        base += written
    }
    return true
}

/// A `TextOutputStream` over a file descriptor with no user-space buffer: each `write` reaches
/// the kernel before it returns, so a crash loses nothing already written.
public struct FileDescriptorOutput: TextOutputStream, Sendable {
    public let fd: Int32
    public init(fd: Int32) { self.fd = fd }

    public mutating func write(_ string: String) {
        var string = string
        _ = string.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
    }
}

/// Standard output, unbuffered. Flushes the C `stdout` buffer first, so text written with
/// `print` before this stream is used still appears first.
public struct StandardOutput: TextOutputStream, Sendable {
    public init() {}
    public mutating func write(_ string: String) {
        fflush(stdout)
        var output = FileDescriptorOutput(fd: 1)
        output.write(string)
    }
}

/// Standard error, unbuffered. Flushes `stdout` first so diagnostics follow earlier output.
public struct StandardError: TextOutputStream, Sendable {
    public init() {}
    public mutating func write(_ string: String) {
        fflush(stdout)
        var output = FileDescriptorOutput(fd: 2)
        output.write(string)
    }
}

/// A `TextOutputStream` that collects what is written, for tests and for rendering to a string.
public final class StringOutput: TextOutputStream {
    public private(set) var text = ""
    public init() {}
    public func write(_ string: String) { text += string }
}
