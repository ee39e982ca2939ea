// In-memory datasets: samples as float32 rows with a per-sample shape, targets likewise.
// Stage: runtime (data). Loaders (IDX, CSV, synthetic) produce these; batching reads them.

/// A set of `count` samples. Sample i's features are `features[i*featureSize ..< (i+1)*featureSize]`
/// laid out row-major in `featureShape` (batch dimension excluded); targets likewise.
/// Class labels are stored as Float class indices with `targetShape == []` and `classCount` set.
public struct Dataset: Sendable {
    public var name: String
    public var featureShape: [Int]
    public var features: [Float]
    public var targetShape: [Int]
    public var targets: [Float]
    /// Number of classes when targets are integer class labels (or one-hot of that many classes).
    public var classCount: Int?

    public init(name: String, featureShape: [Int], features: [Float], targetShape: [Int], targets: [Float],
                classCount: Int? = nil) {
        self.name = name
        self.featureShape = featureShape
        self.features = features
        self.targetShape = targetShape
        self.targets = targets
        self.classCount = classCount
    }

    public var featureSize: Int { featureShape.reduce(1, *) }
    public var targetSize: Int { targetShape.reduce(1, *) }
    public var count: Int { featureSize == 0 ? 0 : features.count / featureSize }
    /// True when targets are class indices (sparse labels).
    public var hasClassLabels: Bool { targetShape.isEmpty && classCount != nil }

    /// Checks that features and targets hold whole samples of the declared shapes, the same number of
    /// each, and that class labels are whole numbers in 0..<classCount. Throws DataError naming the dataset.
    public func validate() throws {
        guard featureShape.allSatisfy({ $0 > 0 }), targetShape.allSatisfy({ $0 > 0 }) else {
            throw DataError(path: nil, "\(name): shapes must be positive, got features \(featureShape), targets \(targetShape)")
        }
        guard features.count % featureSize == 0 else {
            throw DataError(path: nil, "\(name): \(features.count) feature values are not whole samples of \(featureShape)")
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
