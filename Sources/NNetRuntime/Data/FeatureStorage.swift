// How a dataset's feature values are held in memory. Stage: runtime (data).
//
// 8-bit images (IDX `ubyte`: MNIST, Fashion-MNIST) stay bytes with a scale, converted to float32
// as rows are copied into a batch: a quarter of the memory (Fashion-MNIST's training images are
// 47 MB instead of 188), a quarter of the bytes a shuffled batch gathers from scattered rows, and
// nothing to convert at load. Each value is `Float(byte) * scale`, exactly what converting at load
// time gave, so results do not depend on the storage.

import NNetKernels

public enum FeatureStorage: Sendable {
    case floats([Float])
    /// Value i is `Float(bytes[i]) * scale`.
    case bytes([UInt8], scale: Float)

    public var count: Int {
        switch self {
        case .floats(let values): return values.count
        case .bytes(let values, _): return values.count
        }
    }

    /// Bytes held in memory.
    public var byteCount: Int {
        switch self {
        case .floats(let values): return 4 * values.count
        case .bytes(let values, _): return values.count
        }
    }

    /// Every value as float32 (a new array for byte storage).
    public var floats: [Float] {
        switch self {
        case .floats(let values):
            return values
        case .bytes(let values, let scale):
            return [Float](unsafeUninitializedCapacity: values.count) { buffer, initialized in
                values.withUnsafeBufferPointer { source in
                    FeatureStorage.convert(source.baseAddress!, count: values.count, scale: scale, into: buffer.baseAddress!)
                }
                initialized = values.count
            }
        }
    }

    /// Values [start, start + count) as float32 into `destination`.
    @inline(__always)
    public func copy(from start: Int, count: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .floats(let values):
            values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + start, count: count) }
        case .bytes(let values, let scale):
            values.withUnsafeBufferPointer {
                FeatureStorage.convert($0.baseAddress! + start, count: count, scale: scale, into: destination)
            }
        }
    }

    /// Prefetches `lines` cache lines from value `start` on (a hint: never faults).
    @inline(__always)
    func prefetch(from start: Int, lines: Int) {
        switch self {
        case .floats(let values):
            values.withUnsafeBufferPointer { buffer in
                for line in 0..<lines { Kernels.prefetch(UnsafeRawPointer(buffer.baseAddress! + start) + line &* 64) }
            }
        case .bytes(let values, _):
            values.withUnsafeBufferPointer { buffer in
                for line in 0..<lines { Kernels.prefetch(UnsafeRawPointer(buffer.baseAddress! + start) + line &* 64) }
            }
        }
    }

    /// The values of the given rows of `rowSize`, in that order (for subsets and splits).
    func rows(_ indices: some Sequence<Int>, rowSize: Int) -> FeatureStorage {
        switch self {
        case .floats(let values):
            var kept: [Float] = []
            for i in indices { kept.append(contentsOf: values[(i * rowSize)..<((i + 1) * rowSize)]) }
            return .floats(kept)
        case .bytes(let values, let scale):
            var kept: [UInt8] = []
            for i in indices { kept.append(contentsOf: values[(i * rowSize)..<((i + 1) * rowSize)]) }
            return .bytes(kept, scale: scale)
        }
    }

    /// Every value multiplied by `factor` (byte storage only changes its scale).
    func scaled(by factor: Float) -> FeatureStorage {
        switch self {
        case .floats(let values): return .floats(values.map { $0 * factor })
        case .bytes(let values, let scale): return .bytes(values, scale: scale * factor)
        }
    }

    /// Float(byte) · scale. A plain loop: LLVM vectorises it (zero-extend, convert, multiply),
    /// where the generic SIMD conversions stayed out-of-line calls.
    @inline(__always)
    static func convert(_ source: UnsafePointer<UInt8>, count: Int, scale: Float,
                        into destination: UnsafeMutablePointer<Float>) {
        for i in 0..<count { destination[i] = Float(source[i]) * scale }
    }
}
