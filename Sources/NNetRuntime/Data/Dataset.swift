// In-memory datasets: samples as float32 rows with a per-sample shape, targets likewise.
// Stage: runtime (data). Loaders (IDX, CSV, synthetic) produce these; batching reads them.

import NNetKernels

/// A set of `count` samples. Sample i's features are `features[i*featureSize ..< (i+1)*featureSize]`
/// laid out row-major in `featureShape` (batch dimension excluded); targets likewise. Features are
/// held in `storage` (8-bit images stay bytes); `copyFeatures` reads rows as float32 without
/// converting the whole set, `features` converts everything.
/// Class labels are stored as Float class indices with `targetShape == []` and `classCount` set.
public struct Dataset: Sendable {
    public var name: String
    public var featureShape: [Int]
    public var storage: FeatureStorage
    public var targetShape: [Int]
    public var targets: [Float]
    /// Number of classes when targets are integer class labels (or one-hot of that many classes).
    public var classCount: Int?

    public init(name: String, featureShape: [Int], features: [Float], targetShape: [Int], targets: [Float],
                classCount: Int? = nil) {
        self.name = name
        self.featureShape = featureShape
        self.storage = .floats(features)
        self.targetShape = targetShape
        self.targets = targets
        self.classCount = classCount
    }

    public init(name: String, featureShape: [Int], storage: FeatureStorage, targetShape: [Int], targets: [Float],
                classCount: Int? = nil) {
        self.init(name: name, featureShape: featureShape, features: [], targetShape: targetShape, targets: targets,
                  classCount: classCount)
        self.storage = storage
    }

    /// Every feature value as float32 (converted when the storage is bytes: prefer `copyFeatures`).
    public var features: [Float] {
        get { storage.floats }
        set { storage = .floats(newValue) }
    }

    /// Sample `index`'s features as float32 into `destination` (featureSize floats).
    @inline(__always)
    public func copyFeatures(of index: Int, into destination: UnsafeMutablePointer<Float>) {
        let size = featureSize
        storage.copy(from: index * size, count: size, into: destination)
    }

    /// Samples `indices` (in that order) back to back as float32 into `destination`. While one row
    /// is converted, the next row's first cache lines are requested: a shuffled batch's rows are
    /// scattered over the dataset, and the hardware prefetcher follows a row only once it has
    /// started (a VAE step spent 40% of its gathering time waiting for a row's first bytes).
    ///
    /// A batch of 64k floats or more is gathered by the thread pool, a contiguous block of rows
    /// per thread (W5 gathered its 128x784 batches on the calling thread alone, 1.1% of its time,
    /// while the workers waited).
    public func copyFeatures(of indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>) {
        let gather = RowGather(storage: storage, size: featureSize, indices: indices, destination: destination)
        let pool = ThreadPool.shared
        let parts = Kernels.streamingParts(indices.count * featureSize, pool: pool)
        if parts == 1 {
            gather.run(0..<indices.count)
        } else {
            pool.parallelFor(parts, gather.split(into: parts))
        }
    }

    /// Samples `range` back to back as float32 into `destination`.
    public func copyFeatures(of range: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let size = featureSize
        storage.copy(from: range.lowerBound * size, count: range.count * size, into: destination)
    }

    public var featureSize: Int { featureShape.reduce(1, *) }
    public var targetSize: Int { targetShape.reduce(1, *) }
    public var count: Int { featureSize == 0 ? 0 : storage.count / featureSize }
    /// True when targets are class indices (sparse labels).
    public var hasClassLabels: Bool { targetShape.isEmpty && classCount != nil }

    /// Checks that features and targets hold whole samples of the declared shapes, the same number of
    /// each, and that class labels are whole numbers in 0..<classCount. Throws DataError naming the dataset.
    public func validate() throws {
        guard featureShape.allSatisfy({ $0 > 0 }), targetShape.allSatisfy({ $0 > 0 }) else {
            throw DataError(path: nil, "\(name): shapes must be positive, got features \(featureShape), targets \(targetShape)")
        }
        guard storage.count % featureSize == 0 else {
            throw DataError(path: nil, "\(name): \(storage.count) feature values are not whole samples of \(featureShape)")
        }
        guard targets.count == count * targetSize else {
            throw DataError(path: nil, "\(name): \(count) samples need \(count * targetSize) target values "
                            + "(shape \(targetShape)), found \(targets.count)")
        }
        if hasClassLabels, let classCount,
           let index = targets.firstIndex(where: { !($0 >= 0 && $0 < Float(classCount) && $0 == $0.rounded()) }) {
            throw DataError(path: nil, "\(name): label \(targets[index]) of sample \(index) is not in 0..<\(classCount)")
        }
    }
}

/// A named collection of splits: `fashion.train`, `fashion.test`, `points.validation`.
public struct DatasetGroup: Sendable {
    public var name: String
    public var splits: [(name: String, dataset: Dataset)]

    public init(name: String, splits: [(name: String, dataset: Dataset)]) {
        self.name = name
        self.splits = splits
    }

    public func split(_ splitName: String) -> Dataset? { splits.first { $0.name == splitName }?.dataset }
    public var splitNames: [String] { splits.map(\.name) }
}

/// A dataset file that cannot be used, named with what is wrong.
public struct DataError: Error, CustomStringConvertible, Sendable {
    public let path: String?
    public let message: String
    public init(path: String?, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { path.map { "\($0): \(message)" } ?? message }
}

/// Rows `indices` of a feature storage copied back to back as float32 (`Dataset.copyFeatures`).
struct RowGather {
    let storage: FeatureStorage
    let size: Int
    let indices: UnsafeBufferPointer<Int>
    let destination: UnsafeMutablePointer<Float>

    func run(_ rows: Range<Int>) {
        for row in rows {
            if row &+ 1 < rows.upperBound { storage.prefetch(from: indices[row &+ 1] &* size, lines: 4) }
            storage.copy(from: indices[row] &* size, count: size, into: destination + row &* size)
        }
    }

    func split(into parts: Int) -> Parts { Parts(gather: self, parts: parts) }

    /// Part p gathers rows p·n/parts ..< (p+1)·n/parts.
    struct Parts: ParallelTask {
        let gather: RowGather
        let parts: Int
        func run(_ part: Int) {
            let count = gather.indices.count
            gather.run((part * count / parts)..<((part + 1) * count / parts))
        }
    }
}
