// Helpers for the data-layer tests: a scratch directory per test and raw file access.

import Foundation
import NNetRuntime
import Testing

/// Parent of the data-layer suites, so `swift test --filter NNetRuntimeTests.DataTests` runs them all.
@Suite("Data") enum DataTests {}

/// A fresh directory under the system temp directory, removed when the value is deinitialised.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "nnet-data-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ bytes: [UInt8], to name: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }

    func write(_ text: String, to name: String) throws {
        try write(Array(text.utf8), to: name)
    }

    func read(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: file(name))))
    }
}

/// The message of the DataError thrown by `body`, or nil when it returns normally.
/// Any other error type is reported as "unexpected error: ...", so it fails `contains` checks.
func dataErrorMessage<T>(_ body: () throws -> T) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as DataError {
        return error.description
    } catch {
        return "unexpected error: \(error)"
    }
}

/// `count` 28x28 images whose pixel j of image i is (i * 7 + j) % 256, and labels i % 10.
func sampleImages(count: Int, rows: Int = 28, columns: Int = 28) -> (images: [UInt8], labels: [UInt8]) {
    let size = rows * columns
    let images = (0..<(count * size)).map { UInt8(($0 / size * 7 + $0 % size) % 256) }
    let labels = (0..<count).map { UInt8($0 % 10) }
    return (images, labels)
}
