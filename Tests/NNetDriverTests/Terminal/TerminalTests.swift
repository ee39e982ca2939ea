// Tests of terminal detection, the colour decision and the unbuffered output streams.

import Testing
import NNetDriver
#if canImport(Glibc)
import Glibc
#endif

@Suite struct TerminalTests {
    @Test func colourOnlyOnATerminalWithACapableTERM() {
        #expect(Terminal.supportsColor(isTTY: true, noColor: nil, term: "xterm-256color"))
        #expect(!Terminal.supportsColor(isTTY: false, noColor: nil, term: "xterm-256color"))
        #expect(!Terminal.supportsColor(isTTY: true, noColor: nil, term: "dumb"))
        #expect(!Terminal.supportsColor(isTTY: true, noColor: nil, term: nil))
        #expect(!Terminal.supportsColor(isTTY: true, noColor: nil, term: ""))
    }

    @Test func noColorDisablesColourWhenNonEmpty() {
        #expect(!Terminal.supportsColor(isTTY: true, noColor: "1", term: "xterm"))
        #expect(!Terminal.supportsColor(isTTY: true, noColor: "0", term: "xterm"))
        // https://no-color.org: an empty NO_COLOR does not count.
        #expect(Terminal.supportsColor(isTTY: true, noColor: "", term: "xterm"))
    }

    @Test func aPipeIsNotATerminalAndHasAPositiveWidth() throws {
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd); close(writeEnd) }
        #expect(!Terminal.isTTY(readEnd))
        #expect(!Terminal.isTTY(writeEnd))
        #expect(Terminal.width(of: writeEnd) > 0)
        #expect(!Terminal.supportsColor(writeEnd))
        #expect(!Terminal.supportsCursorControl(writeEnd))
    }

    @Test func fileDescriptorOutputWritesEverythingImmediately() throws {
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd) }
        var output = FileDescriptorOutput(fd: writeEnd)
        print("epoch 1", terminator: "", to: &output)
        output.write(" — ünïcode ✓\n")
        close(writeEnd)
        #expect(readAll(readEnd) == "epoch 1 — ünïcode ✓\n")
    }

    @Test func largeWritesArriveWhole() throws {
        let (readEnd, writeEnd) = try makePipe()
        defer { close(readEnd) }
        let text = String(repeating: "0123456789abcdef", count: 2048)  // 32 KiB: fits a pipe
        var output = FileDescriptorOutput(fd: writeEnd)
        output.write(text)
        close(writeEnd)
        #expect(readAll(readEnd) == text)
    }

    @Test func stringOutputCollects() {
        let output = StringOutput()
        var stream = output
        print("a", "b", to: &stream)
        stream.write("c")
        #expect(output.text == "a b\nc")
    }
}

// MARK: - Helpers shared by the terminal tests

func makePipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw PipeError() }
    return (fds[0], fds[1])
}

struct PipeError: Error {}

func readAll(_ fd: Int32) -> String {
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        data += chunk[0..<count]
    }
    return String(decoding: data, as: UTF8.self)
}

/// A path in the temporary directory unique to this process and call.
func temporaryPath(_ name: String) -> String {
    let directory = String(cString: getenv("TMPDIR") ?? strdup("/tmp"))
    return directory + "/nnet-test-\(getpid())-\(UInt64.random(in: 0...UInt64.max))-" + name
}
