// The nnet executable: everything lives in NNetDriver so tests can drive commands in-process.
import NNetDriver
#if canImport(Glibc)
import Glibc
#endif

exit(Driver.main(Array(CommandLine.arguments.dropFirst())))
