// Dataset transforms applied before training: scaling, reshaping, one-hot, standardisation, splits.
// Stage: runtime (data). Each returns a new Dataset; statistics fitted on train are reused for test.

/// Per-feature mean and standard deviation (one entry per element of featureShape, row-major).
public struct FeatureStatistics: Sendable, Equatable {
    public var mean: [Float]
    /// Population standard deviation; a constant feature gets 1 so standardising leaves it at 0.
    public var standardDeviation: [Float]

    public init(mean: [Float], standardDeviation: [Float]) {
        self.mean = mean
        self.standardDeviation = standardDeviation
    }
}

extension Dataset {
    /// Features multiplied by `factor` (for example 1/255 for pixels); targets unchanged.
    public func scaled(by factor: Float) -> Dataset {
        var result = self
        result.storage = storage.scaled(by: factor)
        return result
    }

    /// featureShape [featureSize]; the values are already row-major, so nothing moves.
    public func flattened() -> Dataset {
        var result = self
        result.featureShape = [featureSize]
        return result
    }

    /// Class indices (targetShape []) as one-hot rows: targetShape [classCount].
    /// Throws DataError when the targets are not class labels or a label is outside 0..<classCount.
    public func oneHot() throws -> Dataset {
        guard hasClassLabels, let classCount else {
            throw DataError(path: nil, "\(name): one-hot needs class labels (target shape [] with a class count), "
                            + "got target shape \(targetShape)")
        }
        var encoded = [Float](repeating: 0, count: targets.count * classCount)
        for (index, label) in targets.enumerated() {
            guard label >= 0, label < Float(classCount), label == label.rounded() else {
                throw DataError(path: nil, "\(name): label \(label) of sample \(index) is not in 0..<\(classCount)")
            }
            encoded[index * classCount + Int(label)] = 1
        }
        var result = self
        result.targetShape = [classCount]
        result.targets = encoded
        return result
    }

    /// Per-feature mean and population standard deviation, accumulated in Double.
    public func featureStatistics() -> FeatureStatistics {
        let size = featureSize, rows = count
        var sum = [Double](repeating: 0, count: size), sumSquares = [Double](repeating: 0, count: size)
        features.withUnsafeBufferPointer { values in
            for row in 0..<rows {
                let base = row * size
                for j in 0..<size {
                    let x = Double(values[base + j])
                    sum[j] += x
                    sumSquares[j] += x * x
                }
            }
        }
        let n = Double(max(rows, 1))
        let mean = sum.map { $0 / n }
        let deviation = zip(sumSquares, mean).map { squares, mean -> Float in
            let variance = max(squares / n - mean * mean, 0)
            return variance > 1e-12 ? Float(variance.squareRoot()) : 1
        }
        return FeatureStatistics(mean: mean.map { Float($0) }, standardDeviation: deviation)
    }

    /// Features standardised to mean 0 and standard deviation 1 per feature, with the statistics used,
    /// so a test split can be transformed with the training split's statistics.
    public func standardized() -> (dataset: Dataset, statistics: FeatureStatistics) {
        let statistics = featureStatistics()
        return (applying(statistics), statistics)
    }

    /// Features standardised with statistics fitted elsewhere (usually the training split).
    /// Throws DataError when the statistics have a different feature count.
    public func standardized(using statistics: FeatureStatistics) throws -> Dataset {
        guard statistics.mean.count == featureSize, statistics.standardDeviation.count == featureSize else {
            throw DataError(path: nil, "\(name): statistics for \(statistics.mean.count) features cannot standardise "
                            + "\(featureSize) features (shape \(featureShape))")
        }
        return applying(statistics)
    }

    private func applying(_ statistics: FeatureStatistics) -> Dataset {
        var result = self
        let size = featureSize
        let scale = statistics.standardDeviation.map { 1 / $0 }
        result.features.withUnsafeMutableBufferPointer { values in
            for row in 0..<count {
                let base = row * size
                for j in 0..<size { values[base + j] = (values[base + j] - statistics.mean[j]) * scale[j] }
            }
        }
        return result
    }

    /// The samples at `indices`, in that order (indices must be in 0..<count).
    public func subset(_ indices: [Int]) -> Dataset {
        let (featureSize, targetSize) = (self.featureSize, self.targetSize)
        var result = self
        result.storage = storage.rows(indices, rowSize: featureSize)
        result.targets = []
        result.targets.reserveCapacity(indices.count * targetSize)
        for i in indices {
            result.targets.append(contentsOf: targets[(i * targetSize)..<((i + 1) * targetSize)])
        }
        return result
    }

    /// The first `n` samples (all of them when n >= count).
    public func prefix(_ n: Int) -> Dataset {
        let kept = min(max(n, 0), count)
        var result = self
        result.storage = storage.rows(0..<kept, rowSize: featureSize)
        result.targets = Array(targets[0..<(kept * targetSize)])
        return result
    }

    /// The samples in a seeded random order.
    public func shuffled(seed: UInt64) -> Dataset {
        var order = Array(0..<count)
        var random = SeededGenerator(seed: seed)
        random.shuffle(&order)
        return subset(order)
    }

    /// A seeded random split: the first dataset holds round(fraction * count) samples (fraction
    /// clamped to [0, 1]), the second the rest; both keep this dataset's name, shapes and classes.
    public func split(fraction: Float, seed: UInt64) -> (Dataset, Dataset) {
        var order = Array(0..<count)
        var random = SeededGenerator(seed: seed)
        random.shuffle(&order)
        let clamped = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let first = Int((clamped * Float(count)).rounded())
        return (subset(Array(order[0..<first])), subset(Array(order[first...])))
    }
}
