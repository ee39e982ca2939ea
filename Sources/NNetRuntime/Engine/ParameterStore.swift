// The trainable parameters of one model instance, in one allocation, seeded-initialised.
// Stage: runtime. Shared by the model's training and evaluation executors.

import NNetIR

public final class ParameterStore {
    public let infos: [ParameterInfo]
    /// Start offset of each parameter in `storage`.
    public let offsets: [Int]
    public let totalCount: Int
    let storage: UnsafeMutablePointer<Float>

    public init(_ infos: [ParameterInfo]) {
        self.infos = infos
        var offsets: [Int] = []
        var total = 0
        for info in infos {
            offsets.append(total)
            // Keep every tensor 64-byte aligned for the SIMD kernels.
            total += (info.count + 15) & ~15
        }
        self.offsets = offsets
        self.totalCount = total
        storage = UnsafeMutablePointer<Float>.allocate(capacity: max(total, 1))
        storage.initialize(repeating: 0, count: max(total, 1))
    }

    deinit { storage.deallocate() }

    public func pointer(_ index: Int) -> UnsafeMutablePointer<Float> { storage + offsets[index] }

    public func buffer(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer(index), count: infos[index].count)
    }

    /// A copy of parameter `index`'s values.
    public func values(_ index: Int) -> [Float] { Array(buffer(index)) }

    public func setValues(_ index: Int, _ values: [Float]) {
        precondition(values.count == infos[index].count)
        values.withUnsafeBufferPointer { pointer(index).update(from: $0.baseAddress!, count: values.count) }
    }

    /// Initialises every parameter from its initializer, drawing from one generator in order.
    public func initialize(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for (index, info) in infos.enumerated() {
            let values = buffer(index)
            switch info.initializer {
            case .zeros:
                values.update(repeating: 0)
            case .ones:
                values.update(repeating: 1)
            case .glorotUniform(let fanIn, let fanOut):
                let limit = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
                for i in values.indices { values[i] = generator.uniform(-limit, limit) }
            case .heUniform(let fanIn):
                let limit = Float((6.0 / Double(fanIn)).squareRoot())
                for i in values.indices { values[i] = generator.uniform(-limit, limit) }
            case .heNormal(let fanIn):
                let deviation = Float((2.0 / Double(fanIn)).squareRoot())
                for i in values.indices { values[i] = generator.normal() * deviation }
            case .orthogonal:
                ParameterStore.fillOrthogonal(values, rows: info.shape.first ?? 1, generator: &generator)
            case .unitForgetBias(let units):
                values.update(repeating: 0)
                for i in units..<min(2 * units, values.count) { values[i] = 1 }
            }
        }
    }
}
