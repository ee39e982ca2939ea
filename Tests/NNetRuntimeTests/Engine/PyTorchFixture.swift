// One fixture file written by a Tests/Fixtures/make_*_fixtures.py script (PyTorch in float64):
// Tests/Fixtures/<folder>/<name>.json. Shared by the convolutional and recurrent fixture tests.

import Foundation

struct PyTorchFixture: CustomStringConvertible, Sendable {
    /// "conv" or "rnn": the folder under Tests/Fixtures.
    let folder: String
    let name: String
    var description: String { name }

    static func directory(_ folder: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/\(folder)")
    }

    /// Every .json file in the folder, sorted by name.
    static func all(in folder: String) -> [PyTorchFixture] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory(folder).path)) ?? []
        return files.filter { $0.hasSuffix(".json") }.sorted().map { PyTorchFixture(folder: folder, name: String($0.dropLast(5))) }
    }

    func load() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.directory(folder).appendingPathComponent(name + ".json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}
