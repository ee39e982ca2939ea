// Ctrl-C and SIGTERM during training: the signal handler only sets an atomic flag, and the
// training loop checks it between steps, so a step is never torn. Stage: runtime (training).

import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A process-wide request to stop training, set by SIGINT/SIGTERM (or `request`).
///
/// The first signal sets the flag and writes one line to standard error; the trainer finishes
/// its step, saves a checkpoint and stops. A second signal exits at once (status 128 + signal),
/// for a program stuck outside a training loop. Everything the handler does is async-signal-safe:
/// an atomic exchange, `write(2)` of a prepared buffer, `_exit`.
public enum Interruption {
    /// The signal number that asked to stop, 0 when none.
    fileprivate static let received = Atomic<Int32>(0)
    /// The line the handler prints, prepared before the handler is installed.
    nonisolated(unsafe) fileprivate static var notice: UnsafeMutableBufferPointer<UInt8>?
    /// Whether the handler prints it (the REPL turns it off while it waits for a line).
    fileprivate static let announcing = Atomic<Bool>(true)

    /// Whether a signal prints "stopping after the current step" (default true).
    public static func announce(_ on: Bool) { announcing.store(on, ordering: .relaxed) }

    /// Installs the handlers for `signals` (SIGINT and SIGTERM by default) and clears an earlier
    /// request. With `interruptingReads`, a blocking read returns EINTR when a signal arrives (the
    /// REPL abandons the line being read); otherwise the read restarts.
    public static func installHandlers(_ signals: [Int32] = [SIGINT, SIGTERM], interruptingReads: Bool = false) {
        received.store(0, ordering: .relaxed)
        if notice == nil {
            let text = Array("\nnnet: stopping after the current step (press ctrl-C again to quit at once)\n".utf8)
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: text.count)
            _ = buffer.initialize(from: text)
            notice = buffer
        }
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = interruptionHandler
        #else
        action.__sigaction_u.__sa_handler = interruptionHandler
        #endif
        action.sa_flags = interruptingReads ? 0 : SA_RESTART
        sigemptyset(&action.sa_mask)
        for number in signals { sigaction(number, &action, nil) }
        // A blocked mask is inherited across exec (some launchers block these signals in the
        // parent); unblock them on this thread so the handler can run.
        var mask = sigset_t()
        sigemptyset(&mask)
        for number in signals { sigaddset(&mask, number) }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// Restores the default dispositions (the process dies on the next signal).
    public static func removeHandlers() {
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Whether a stop was requested. One relaxed atomic load: cheap enough for every step.
    public static var isRequested: Bool { received.load(ordering: .relaxed) != 0 }

    /// The signal that requested the stop (SIGINT or SIGTERM), or nil.
    public static var signalNumber: Int32? {
        let value = received.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Requests a stop as the signal `number` would (embedders, tests).
    public static func request(_ number: Int32 = SIGINT) {
        received.store(number, ordering: .relaxed)
    }

    /// Forgets a request (after it was handled).
    public static func reset() {
        received.store(0, ordering: .relaxed)
    }
}

private let interruptionHandler: @convention(c) (Int32) -> Void = { number in
    if Interruption.received.exchange(number, ordering: .relaxed) != 0 {
        _exit(128 + number)
    }
    if Interruption.announcing.load(ordering: .relaxed), let notice = Interruption.notice {
        _ = write(2, notice.baseAddress, notice.count)
    }
}
