// Ctrl-C in `nnet repl` on a real terminal: the session runs on a pseudo-terminal it controls, so
// ctrl-C is a key typed at the terminal. While a `train` runs the terminal is in cooked mode and
// the key becomes SIGINT (training stops after its step, back to the prompt); at the prompt the
// line editor reads it as a key (the line is abandoned); ctrl-D leaves with status 0.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

#if os(Linux)
/// A process whose controlling terminal is a new pseudo-terminal, driven through its master side.
final class TerminalSession {
    let master: Int32
    var pid: pid_t = 0
    private(set) var raw = ""
    /// What the session printed, without the line editor's escape sequences (`ESC [ … letter`).
    var output: String {
        var text = "", escape = false, bracket = false
        for character in raw {
            if escape {
                if !bracket, character == "[" { bracket = true; continue }
                if !bracket || character.isLetter { escape = false; bracket = false }
                continue
            }
            if character == "\u{1b}" { escape = true } else { text.append(character) }
        }
        return text
    }

    init(_ binary: String, _ arguments: [String], environment: [String: String]) throws {
        // posix_openpt, unlockpt and ptsname are not in Swift's Glibc module; their Linux ioctls are.
        master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0,  // TIOCSPTLCK
              ioctl(master, UInt(0x8004_5430), &number) == 0 else {          // TIOCGPTN
            throw POSIXError(.ENODEV)
        }
        let terminal = "/dev/pts/\(number)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // In a new session, the first terminal opened becomes the controlling one.
        posix_spawn_file_actions_addopen(&actions, 0, terminal, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        posix_spawn_file_actions_addclose(&actions, master)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID (glibc 2.26+)
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        let status = posix_spawn(&pid, binary, &actions, &attributes, argv, envp)
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL) }
    }

    deinit { close(master) }

    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
    }

    /// Reads what the session printed until `condition` holds or `timeout` seconds pass.
    @discardableResult
    func read(timeout: Double = 60, until condition: (String) -> Bool = { _ in false }) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while Date() < deadline {
            if condition(output) { return true }
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 20) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            raw += String(decoding: buffer[..<count], as: UTF8.self)
        }
        return condition(output)
    }

    /// The exit status, or nil when it has not exited within `timeout` seconds (it is then killed).
    func exitStatus(timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while Date() < deadline {
            read(timeout: 0.05)
            if waitpid(pid, &status, WNOHANG) == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : nil }
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }
}
#endif

@Suite(.serialized, .enabled(if: nnetBinary != nil, "no nnet executable next to the tests or in .build; these tests launch it"))
struct ReplTerminalTests {
    #if os(Linux)
    @Test func ctrlCOnATerminalStopsTrainingThenClearsTheLineAndCtrlDLeaves() throws {
        let binary = try #require(nnetBinary)
        let work = temporaryDirectory("repl-tty")
        let session = try TerminalSession(binary, ["repl", "--threads", "1"],
                                          environment: ["TERM": "xterm", "HOME": work, "PATH": "/usr/bin:/bin"])
        #expect(session.read { $0.contains("nnet> ") }, "\(session.output)")
        session.type("data d = blobs(n: 300, centers: 3, features: 2, seed: 1)\r")
        session.type("model m { input [2]; h: dense 16, activation: relu; dense 3, activation: softmax }\r")
        session.type("train m on d { loss: sparse_categorical_crossentropy, epochs: 5000, batch: 8, "
                     + "checkpoint: \"\(work)/ckpt\", checkpoint_steps: 20 }\r")
        #expect(session.read { _ in InterruptionTests.hasCheckpoint(work + "/ckpt") }, "\(session.output)")
        session.type("\u{3}")
        #expect(session.read { $0.contains("enter :resume") }, "\(session.output)")
        #expect(session.output.contains("nnet: training 'm' interrupted at epoch "))
        #expect(session.output.contains("saved a checkpoint: \(work)/ckpt/checkpoint-"))

        // At the prompt ctrl-C is a key: the line is abandoned, not run, and the session goes on.
        #expect(session.read { $0.components(separatedBy: "enter :resume").last!.contains("nnet> ") }, "\(session.output)")
        session.type("print 1000 +")
        #expect(session.read { $0.contains("print 1000 +") })
        session.type("\u{3}")
        #expect(session.read { $0.contains("^C") })
        session.type("7\r")
        #expect(session.read { $0.contains("\r\n7\r\n") }, "\(session.output)")
        #expect(!session.output.contains("1007"))

        session.type("\u{4}")
        #expect(session.exitStatus() == 0, "\(session.output)")
    }
    #endif
}
