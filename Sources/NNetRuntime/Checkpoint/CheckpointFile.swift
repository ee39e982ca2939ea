// The checkpoint file format: one Checkpoint as bytes with a CRC-32, written atomically (temporary
// file, fsync, rename, directory fsync) so a crash or `kill -9` at any moment leaves either the old
// file or the new one, never a torn one. Stage: runtime (checkpoint).
//
// Layout, little-endian; strings are u32 byte count + UTF-8; lists are u32 count + items:
//   "NNETCKP3" with an averaged-weights section, else "NNETCKP2" (so files without one are what
//   earlier builds wrote and read); "NNETCKP1" files, without the pairing section, still read
//   u64 model hash, u64 settings hash
//   [string] layers                       "dense h1"
//   [(string key, string value)] settings
//   i64 epochsBefore, epochsDone, batchIndex, stepsDone
//   f64 epoch loss sum, i64 samples, [f64] metric sums
//   [u64] random generator state
//   string optimizer kind, i64 optimizer step, u64 n, f32 × n state
//   [string name, [i64] shape, f32 × elements] parameters
//   pairing section: u32 1 + companion (optimizer kind, step, state, parameters as above) or u32 0,
//     [[u64]] extra random generator states, [f64] counters, u64 n + u32 × n sample order
//   (NNETCKP3) averaged weights: i64 updates, parameters as above
//   u32 CRC-32 (zlib) of every byte before it

import Foundation
import CZlib
import NNetIR

public struct CheckpointError: Error, CustomStringConvertible {
    public let path: String
    public let message: String
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

public enum CheckpointFile {
    static let magic = Array("NNETCKP2".utf8)
    /// The format with a moving average of the first model's weights (a GAN's `generator_ema`).
    static let magicWithAverage = Array("NNETCKP3".utf8)
    /// The format before pairings (GAN, VAE) had checkpoints.
    static let magicVersion1 = Array("NNETCKP1".utf8)

    // MARK: - Writing

    public static func encode(_ checkpoint: Checkpoint) -> [UInt8] {
        var writer = ByteWriter()
        writer.bytes = checkpoint.averagedWeights == nil ? magic : magicWithAverage
        writer.u64(checkpoint.modelHash)
        writer.u64(checkpoint.settingsHash)
        writer.u32(checkpoint.layers.count)
        checkpoint.layers.forEach { writer.string($0) }
        writer.u32(checkpoint.settings.count)
        for (key, value) in checkpoint.settings {
            writer.string(key)
            writer.string(value)
        }
        let position = checkpoint.position
        [position.epochsBefore, position.epochsDone, position.batchIndex, position.stepsDone].forEach { writer.i64($0) }
        writer.u64(checkpoint.sums.loss.bitPattern)
        writer.i64(checkpoint.sums.samples)
        writer.u32(checkpoint.sums.metrics.count)
        checkpoint.sums.metrics.forEach { writer.u64($0.bitPattern) }
        writer.u32(checkpoint.randomState.count)
        checkpoint.randomState.forEach { writer.u64($0) }
        writer.optimizer(kind: checkpoint.optimizerKind, step: checkpoint.optimizerStep, state: checkpoint.optimizerState)
        writer.tensors(checkpoint.parameters)
        if let companion = checkpoint.companion {
            writer.u32(1)
            writer.optimizer(kind: companion.optimizerKind, step: companion.optimizerStep, state: companion.optimizerState)
            writer.tensors(companion.parameters)
        } else {
            writer.u32(0)
        }
        writer.u32(checkpoint.extraRandomStates.count)
        for state in checkpoint.extraRandomStates {
            writer.u32(state.count)
            state.forEach { writer.u64($0) }
        }
        writer.u32(checkpoint.counters.count)
        checkpoint.counters.forEach { writer.u64($0.bitPattern) }
        writer.u64(UInt64(checkpoint.order.count))
        checkpoint.order.forEach { writer.u32($0) }
        if let average = checkpoint.averagedWeights {
            writer.i64(average.updates)
            writer.tensors(average.parameters)
        }
        writer.u32(Int(WeightsFile.checksum(writer.bytes)))
        return writer.bytes
    }

    /// Writes `checkpoint` to `path` atomically and makes the rename durable.
    public static func write(_ checkpoint: Checkpoint, to path: String) throws {
        let bytes = encode(checkpoint)
        do {
            try WeightsFile.writeAtomically(bytes, to: path)
        } catch let error as WeightsFileError {
            throw CheckpointError(path: path, error.message)
        }
        syncDirectory(of: path)
    }

    /// fsync on the directory, so the rename survives a power cut (not needed against kill -9).
    static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    // MARK: - Reading

    /// Reads and verifies a checkpoint. Throws CheckpointError saying what is wrong (missing,
    /// not a checkpoint, checksum mismatch, truncated) before anything is decoded from a bad file.
    public static func read(from path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CheckpointError(path: path, "cannot read the file (missing or unreadable)")
        }
        return try decode([UInt8](data), path: path)
    }

    public static func decode(_ bytes: [UInt8], path: String) throws -> Checkpoint {
        let header = Array(bytes.prefix(magic.count))
        let magics = [magic, magicWithAverage, magicVersion1]
        guard bytes.count >= magic.count + 4, magics.contains(header) else {
            throw CheckpointError(path: path, bytes.count < magic.count + 4 && magics.contains(where: { $0.starts(with: bytes) })
                                  ? "truncated (\(bytes.count) bytes)" : "not an nnet checkpoint (bad magic)")
        }
        let stored = bytes[(bytes.count - 4)...].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) }
        guard WeightsFile.checksum(Array(bytes[..<(bytes.count - 4)])) == stored else {
            throw CheckpointError(path: path, "checksum mismatch: the file is corrupt or truncated")
        }
        var reader = ByteParser(bytes: bytes, position: magic.count, limit: bytes.count - 4, path: path)
        let modelHash = try reader.u64(), settingsHash = try reader.u64()
        let layers = try (0..<reader.count()).map { _ in try reader.string() }
        let settings = try (0..<reader.count()).map { _ in (key: try reader.string(), value: try reader.string()) }
        let position = Checkpoint.Position(epochsBefore: try reader.i64(), epochsDone: try reader.i64(),
                                           batchIndex: try reader.i64(), stepsDone: try reader.i64())
        let lossSum = Double(bitPattern: try reader.u64())
        let samples = try reader.i64()
        let metrics = try (0..<reader.count()).map { _ in Double(bitPattern: try reader.u64()) }
        let randomState = try (0..<reader.count()).map { _ in try reader.u64() }
        let (optimizerKind, optimizerStep, optimizerState) = try reader.optimizer()
        let parameters = try reader.tensors()
        var companion: Checkpoint.Companion?
        var extraRandomStates: [[UInt64]] = [], counters: [Double] = [], order: [Int] = []
        var averagedWeights: Checkpoint.AveragedWeights?
        if header != magicVersion1 {
            let hasCompanion = try reader.u32()
            guard hasCompanion <= 1 else { throw CheckpointError(path: path, "inconsistent contents") }
            if hasCompanion == 1 {
                let (kind, step, state) = try reader.optimizer()
                companion = Checkpoint.Companion(optimizerKind: kind, optimizerStep: step, optimizerState: state,
                                                 parameters: try reader.tensors())
            }
            extraRandomStates = try (0..<reader.count()).map { _ in try (0..<reader.count()).map { _ in try reader.u64() } }
            counters = try (0..<reader.count()).map { _ in Double(bitPattern: try reader.u64()) }
            let orderCount = try reader.u64()
            guard orderCount <= UInt64(reader.limit - reader.position) / 4 else { throw CheckpointError(path: path, "truncated") }
            order = try (0..<Int(orderCount)).map { _ in Int(try reader.u32()) }
            guard Set(order).count == order.count, order.allSatisfy({ $0 < order.count }) else {
                throw CheckpointError(path: path, "inconsistent contents (the sample order is not a permutation)")
            }
        }
        if header == magicWithAverage {
            let updates = try reader.i64()
            guard updates >= 0 else { throw CheckpointError(path: path, "inconsistent contents") }
            averagedWeights = Checkpoint.AveragedWeights(updates: updates, parameters: try reader.tensors())
        }
        guard reader.position == reader.limit, position.epochsDone >= 0, position.batchIndex >= 0, samples >= 0 else {
            throw CheckpointError(path: path, "inconsistent contents")
        }
        return Checkpoint(modelHash: modelHash, settingsHash: settingsHash, layers: layers, settings: settings,
                          position: position, sums: Checkpoint.EpochSums(loss: lossSum, samples: samples, metrics: metrics),
                          randomState: randomState, optimizerKind: optimizerKind, optimizerStep: optimizerStep,
                          optimizerState: optimizerState, parameters: parameters, companion: companion,
                          extraRandomStates: extraRandomStates, counters: counters, order: order,
                          averagedWeights: averagedWeights)
    }
}

// MARK: - Bytes

/// Appends little-endian values; float arrays in one copy on little-endian machines.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u32(_ value: Int) { append(UInt32(truncatingIfNeeded: value)) }
    mutating func u64(_ value: UInt64) { append(value) }
    mutating func i64(_ value: Int) { append(Int64(value)) }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        u32(utf8.count)
        bytes += utf8
    }

    mutating func floats(_ values: [Float]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes += $0 }
        #else
        for value in values { append(value.bitPattern) }
        #endif
    }

    mutating func optimizer(kind: String, step: Int, state: [Float]) {
        string(kind)
        i64(step)
        u64(UInt64(state.count))
        floats(state)
    }

    mutating func tensors(_ tensors: [Checkpoint.Tensor]) {
        u32(tensors.count)
        for tensor in tensors {
            string(tensor.name)
            u32(tensor.shape.count)
            tensor.shape.forEach { i64($0) }
            floats(tensor.values)
        }
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// Reads what ByteWriter wrote; every read is bounds-checked against `limit` (the checksum).
struct ByteParser {
    let bytes: [UInt8]
    var position: Int
    let limit: Int
    let path: String

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= limit - position else { throw CheckpointError(path: path, "truncated") }
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }) }
    mutating func i64() throws -> Int { Int(Int64(bitPattern: try u64())) }

    /// A list length, bounded by the bytes left (each item takes at least one byte).
    mutating func count() throws -> Int {
        let n = Int(try u32())
        guard n <= limit - position else { throw CheckpointError(path: path, "truncated") }
        return n
    }

    mutating func string() throws -> String {
        String(decoding: try take(Int(try u32())), as: UTF8.self)
    }

    mutating func optimizer() throws -> (kind: String, step: Int, state: [Float]) {
        let kind = try string()
        let step = try i64()
        let count = try u64()
        guard count <= UInt64(limit - position) / 4 else { throw CheckpointError(path: path, "truncated") }
        return (kind, step, try floats(Int(count)))
    }

    mutating func tensors() throws -> [Checkpoint.Tensor] {
        var tensors: [Checkpoint.Tensor] = []
        for _ in 0..<(try count()) {
            let name = try string()
            let rank = try count()
            guard rank <= 8 else { throw CheckpointError(path: path, "tensor '\(name)' has rank \(rank)") }
            let shape = try (0..<rank).map { _ in try i64() }
            // The product is checked too: eight dimensions under 2^31 can overflow Int.
            let count = shape.reduce(Optional(1)) { product, size in
                product.flatMap { let (p, overflow) = $0.multipliedReportingOverflow(by: size); return overflow ? nil : p }
            }
            guard shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }), let count else {
                throw CheckpointError(path: path, "tensor '\(name)' has an invalid shape")
            }
            tensors.append(Checkpoint.Tensor(name: name, shape: shape, values: try floats(count)))
        }
        return tensors
    }

    mutating func floats(_ n: Int) throws -> [Float] {
        guard n <= (limit - position) / 4 else { throw CheckpointError(path: path, "truncated") }
        let raw = try take(n * 4)
        return raw.withUnsafeBytes { buffer in
            [Float](unsafeUninitializedCapacity: n) { values, initialized in
                for i in 0..<n {
                    values[i] = Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
                initialized = n
            }
        }
    }
}
