// Golden diagnostics: each Cases/diagnostics/NAME.nnet runs through `nnet check` (or `run`, when
// its first line is `# command: run`) and its exit code and standard error must equal
// NAME.expected. RECORD_SNAPSHOTS=1 rewrites the expectations (review them before committing).

import Foundation
import Testing
import NNetDriver

@Suite struct DiagnosticCaseTests {
    static let directory = repositoryRoot.appendingPathComponent("Tests/NNetDriverTests/Cases/diagnostics")

    static var cases: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".nnet") }.map { String($0.dropLast(5)) }.sorted()
    }

    @Test func thereAreAtLeastTwentyFiveCases() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases)
    func diagnosticMatchesExpectation(name: String) throws {
        let path = Self.directory.appendingPathComponent(name + ".nnet").path
        let source = try String(contentsOfFile: path, encoding: .utf8)
        let command = source.hasPrefix("# command: run") ? "run" : "check"
        let result = nnet(command, path)
        let actual = "exit: \(result.exitCode.rawValue)\n"
            + result.standardError.replacingOccurrences(of: repositoryRoot.path + "/", with: "")
        let expectedPath = Self.directory.appendingPathComponent(name + ".expected").path
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] != nil {
            try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        #expect(actual == expected)
        #expect(result.exitCode != .success, "an error case must fail")
        #expect(!result.standardError.contains("internal-error"))
    }
}
