// The REPL's history of entered lines, kept in a file (`~/.nnet_history`) between sessions.
// Stage: driver, presentation.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Entered lines, oldest first, one per line in the file. Blank lines and a line equal to the
/// one before are not recorded; beyond `limit` the oldest are forgotten.
public struct LineHistory: Sendable {
    public static let defaultLimit = 1000

    public private(set) var entries: [String]
    public let limit: Int

    public init(entries: [String] = [], limit: Int = LineHistory.defaultLimit) {
        self.limit = max(limit, 1)
        self.entries = Array(entries.suffix(self.limit))
    }

    /// Reads the history at `path`; a missing or unreadable file gives an empty history.
    public init(contentsOf path: String, limit: Int = LineHistory.defaultLimit) {
        var entries: [String] = []
        if let data = readWholeFile(path) {
            entries = String(decoding: data, as: UTF8.self)
                .split(separator: "\n", omittingEmptySubsequences: true)
                .map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        }
        self.init(entries: entries, limit: limit)
    }

    /// Records `line`; returns false when it is blank or repeats the last entry.
    @discardableResult
    public mutating func add(_ line: String) -> Bool {
        guard !line.allSatisfy(\.isWhitespace), line != entries.last,
              !line.contains(where: \.isNewline) else { return false }
        entries.append(line)
        if entries.count > limit { entries.removeFirst(entries.count - limit) }
        return true
    }

    /// Writes the history to `path` (mode 0600: it may hold paths and data the user typed),
    /// through a temporary file renamed over the old one, so a crash leaves one or the other.
    /// Returns false if it could not be written; the REPL goes on without saving.
    @discardableResult
    public func save(to path: String) -> Bool {
        let temporary = path + ".tmp\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var text = entries.joined(separator: "\n")
        if !text.isEmpty { text += "\n" }
        let written = text.withUTF8 { writeAll(fd, UnsafeRawBufferPointer($0)) }
        guard close(fd) == 0, written, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }
}

/// The whole contents of a file, or nil if it cannot be read.
func readWholeFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { return data }
        data.append(contentsOf: chunk[0..<count])
    }
}
