// The weights file behind `save` and `load`: named, shaped float32 tensors with a CRC-32, written
// atomically (temporary file, fsync, rename) so an interrupted save never leaves a torn file.
// Stage: runtime. Layout (little-endian): "NNETWTS1", u32 count, then per tensor u32 name length,
// name (UTF-8), u32 rank, i64 dims, f32 values; finally u32 CRC-32 of all preceding bytes.

import Foundation
import CZlib
import NNetIR

public struct WeightsFileError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
}

public enum WeightsFile {
    static let magic = Array("NNETWTS1".utf8)

    public static func write(_ parameters: ParameterStore, to path: String) throws {
        var bytes = magic
        append(UInt32(parameters.infos.count), to: &bytes)
        for (index, info) in parameters.infos.enumerated() {
            let name = Array(info.name.utf8)
            append(UInt32(name.count), to: &bytes)
            bytes += name
            append(UInt32(info.shape.count), to: &bytes)
            for dim in info.shape { append(UInt64(dim), to: &bytes) }
            for value in parameters.buffer(index) { append(value.bitPattern, to: &bytes) }
        }
        append(checksum(bytes), to: &bytes)
        try writeAtomically(bytes, to: path)
    }

    /// Reads a weights file into `parameters`, which must match it name for name and shape for
    /// shape; every mismatch is listed. Nothing is changed unless the whole file is valid.
    public static func read(from path: String, into parameters: ParameterStore) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WeightsFileError(path: path, message: "cannot read the file (missing or unreadable)")
        }
        let bytes = [UInt8](data)
        guard bytes.count >= magic.count + 8, Array(bytes[0..<magic.count]) == magic else {
            throw WeightsFileError(path: path, message: "not an nnet weights file (bad magic)")
        }
        let stored = bytes[(bytes.count - 4)...].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
        guard checksum(Array(bytes[..<(bytes.count - 4)])) == UInt32(littleEndian: stored) else {
            throw WeightsFileError(path: path, message: "checksum mismatch: the file is corrupt or truncated")
        }
        var reader = Reader(bytes: bytes, position: magic.count, limit: bytes.count - 4, path: path)
        let count = Int(try reader.u32())
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for _ in 0..<count {
            let nameLength = Int(try reader.u32())
            let name = String(decoding: try reader.take(nameLength), as: UTF8.self)
            let rank = Int(try reader.u32())
            guard rank <= 8 else { throw WeightsFileError(path: path, message: "tensor '\(name)' has rank \(rank)") }
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(truncatingIfNeeded: try reader.u64())) }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
                throw WeightsFileError(path: path, message: "tensor '\(name)' has an invalid shape")
            }
            let n = elementCount(shape)
            let raw = try reader.take(n * 4)
            let values = raw.withUnsafeBytes { buffer in
                (0..<n).map { Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            tensors.append((name, shape, values))
        }
        var problems: [String] = []
        for info in parameters.infos {
            guard let tensor = tensors.first(where: { $0.name == info.name }) else {
                problems.append("missing '\(info.name)' \(describeShape(info.shape))")
                continue
            }
            if tensor.shape != info.shape {
                problems.append("'\(info.name)' is \(describeShape(tensor.shape)) in the file but \(describeShape(info.shape)) in the model")
            }
        }
        for tensor in tensors where !parameters.infos.contains(where: { $0.name == tensor.name }) {
            problems.append("the file has '\(tensor.name)' \(describeShape(tensor.shape)), which the model lacks")
        }
        guard problems.isEmpty else {
            throw WeightsFileError(path: path, message: "the weights do not match the model: " + problems.joined(separator: "; "))
        }
        for (index, info) in parameters.infos.enumerated() {
            parameters.setValues(index, tensors.first { $0.name == info.name }!.values)
        }
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// Writes to `path.tmp`, flushes it to disk, then renames over `path`.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw WeightsFileError(path: path, message: "cannot create: \(String(cString: strerror(errno)))") }
        var written = 0
        let ok = bytes.withUnsafeBytes { buffer -> Bool in
            while written < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n <= 0 { return false }
                written += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw WeightsFileError(path: path, message: "cannot write: \(String(cString: strerror(errno)))")
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var position: Int
        let limit: Int
        let path: String

        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= limit - position else { throw WeightsFileError(path: path, message: "truncated") }
            defer { position += n }
            return bytes[position..<(position + n)]
        }
        mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }) }
        mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) }
    }
}
