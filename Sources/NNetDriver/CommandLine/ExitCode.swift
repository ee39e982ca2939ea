// The process exit statuses of `nnet`, one meaning each, listed in `nnet --help`.
// Stage: driver. Values above 63 follow BSD sysexits.h (64 usage, 66 no input, 70 software).

/// Why `nnet` stopped. `Driver.main` returns `rawValue`.
public enum ExitCode: Int32, CaseIterable, Sendable {
    /// Everything the command was asked to do was done.
    case success = 0
    /// The .nnet program has an error: syntax, shape or runtime (diagnostics were printed).
    case programError = 1
    /// Training produced NaN or infinity (diverged).
    case trainingFailed = 2
    /// The command line is wrong (EX_USAGE).
    case usageError = 64
    /// An input file (program, dataset) is missing or unreadable (EX_NOINPUT).
    case inputNotFound = 66
    /// A bug in nnet itself (EX_SOFTWARE).
    case internalError = 70
    /// Stopped by ctrl-C or SIGTERM (128 + SIGINT, as shells report it); training saved a
    /// checkpoint when configured, for `run --resume`.
    case interrupted = 130

    /// One line for the help text.
    public var summary: String {
        switch self {
        case .success: return "success"
        case .programError: return "error in the program (syntax, shape or runtime error)"
        case .trainingFailed: return "training failed numerically (loss became NaN or infinite)"
        case .usageError: return "wrong command line (unknown option, missing argument)"
        case .inputNotFound: return "input file not found or unreadable"
        case .internalError: return "internal error in nnet (please report it)"
        case .interrupted: return "interrupted (ctrl-C or SIGTERM); continue with --resume"
        }
    }
}
