// Mini-batches for training: a seeded order per epoch, rows copied into caller-owned buffers.
// Stage: runtime (data). Allocation-free after init; a BatchCursor says where to resume mid-epoch.

/// A position in training data: `batchIndex` is the next batch of epoch `epoch` (both from 0).
public struct BatchCursor: Sendable, Hashable, Codable {
    public var epoch: Int
    public var batchIndex: Int

    public init(epoch: Int, batchIndex: Int) {
        self.epoch = epoch
        self.batchIndex = batchIndex
    }
}

/// Iterates a Dataset in batches, epoch after epoch.
///
/// Epoch e visits the samples in an order that depends only on (seed, e), so a training run can stop
/// anywhere and resume from a saved `cursor` with `seek(to:)`, seeing the same batches.
///
///     var batcher = try Batcher(dataset: train, batchSize: 64, seed: 7)
///     for epoch in 0..<epochs {
///         for step in 0..<batcher.batchesPerEpoch {
///             let rows = batcher.next(features: x, targets: y)  // x holds batcher.featureCapacity floats
///             ...                                              // rows < 64 only for an epoch's last batch
///         }
///     }
public struct Batcher: Sendable {
    public let dataset: Dataset
    public let batchSize: Int
    public let shuffle: Bool
    /// When true the last, smaller batch of each epoch is skipped.
    public let dropLast: Bool
    public let seed: UInt64
    public private(set) var cursor: BatchCursor
    /// This epoch's sample order.
    public private(set) var order: [Int]

    /// Throws DataError when batchSize < 1 or the dataset fails `validate()` (so copies stay in bounds).
    public init(dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                seed: UInt64) throws {
        guard batchSize >= 1 else { throw DataError(path: nil, "batch size must be at least 1, got \(batchSize)") }
        try dataset.validate()
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.seed = seed
        cursor = BatchCursor(epoch: 0, batchIndex: 0)
        order = Array(0..<dataset.count)
        prepareOrder()
    }

    /// Takes the batcher's seed from `generator` (one draw), for runs seeded from a single generator.
    public init(dataset: Dataset, batchSize: Int, shuffle: Bool = true, dropLast: Bool = false,
                generator: inout SeededGenerator) throws {
        try self.init(dataset: dataset, batchSize: batchSize, shuffle: shuffle, dropLast: dropLast,
                      seed: generator.next())
    }

    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// Floats the features buffer passed to `next` must hold: batchSize * featureSize.
    public var featureCapacity: Int { batchSize * dataset.featureSize }
    /// Floats the targets buffer passed to `next` must hold: batchSize * targetSize.
    public var targetCapacity: Int { batchSize * dataset.targetSize }

    /// Copies the next batch's rows into `features` (rows x featureShape) and `targets` (rows x
    /// targetShape) and returns rows: batchSize, or fewer for the last batch of an epoch. After an
    /// epoch's last batch the cursor moves to the next epoch and its order is drawn, so callers make
    /// exactly `batchesPerEpoch` calls per epoch. Returns 0 only when an epoch has no batches.
    /// Cost: one memcpy per row (one per batch when not shuffling); no allocation.
    public mutating func next(features: UnsafeMutablePointer<Float>, targets: UnsafeMutablePointer<Float>) -> Int {
        guard cursor.batchIndex < batchesPerEpoch else { return 0 }
        let start = cursor.batchIndex * batchSize
        let rows = min(batchSize, dataset.count - start)
        if shufflesRows {
            order.withUnsafeBufferPointer { order in
                dataset.copyFeatures(of: UnsafeBufferPointer(rebasing: order[start..<(start + rows)]), into: features)
            }
        } else {
            dataset.copyFeatures(of: start..<(start + rows), into: features)
        }
        copyRows(from: dataset.targets, size: dataset.targetSize, start: start, rows: rows, into: targets)
        cursor.batchIndex += 1
        if cursor.batchIndex == batchesPerEpoch { startNextEpoch() }
        return rows
    }

    private mutating func startNextEpoch() {
        cursor = BatchCursor(epoch: cursor.epoch + 1, batchIndex: 0)
        prepareOrder()
    }

    /// Moves to `cursor` (for example one saved in a checkpoint): the next call to `next` returns that
    /// epoch's batch `batchIndex`. Negative values are treated as 0; a batch index at or past the end
    /// means the start of the following epoch.
    public mutating func seek(to cursor: BatchCursor) {
        var target = BatchCursor(epoch: max(cursor.epoch, 0), batchIndex: max(cursor.batchIndex, 0))
        if target.batchIndex >= batchesPerEpoch {
            target = BatchCursor(epoch: target.epoch + (batchesPerEpoch > 0 ? 1 : 0), batchIndex: 0)
        }
        if target.epoch != self.cursor.epoch {
            self.cursor.epoch = target.epoch
            prepareOrder()
        }
        self.cursor = target
    }

    /// Whether epochs visit samples in a shuffled order. A batch that holds the whole dataset
    /// (full-batch gradient descent) is not shuffled: the order of rows within one batch changes
    /// its gradient only by rounding, and the step then copies the data in one piece.
    private var shufflesRows: Bool { shuffle && batchSize < dataset.count }

    /// Identity, then a Fisher-Yates shuffle seeded by (seed, epoch); reuses `order`'s storage.
    private mutating func prepareOrder() {
        order.withUnsafeMutableBufferPointer { indices in
            for i in indices.indices { indices[i] = i }
        }
        guard shufflesRows else { return }
        // SplitMix64 inside SeededGenerator.init decorrelates neighbouring epochs' seeds.
        var random = SeededGenerator(seed: seed ^ (UInt64(cursor.epoch) &* 0x9E37_79B9_7F4A_7C15))
        random.shuffle(&order)
    }

    private func copyRows(from values: [Float], size: Int, start: Int, rows: Int,
                          into destination: UnsafeMutablePointer<Float>) {
        values.withUnsafeBufferPointer { source in
            let base = source.baseAddress!
            if !shufflesRows {
                destination.update(from: base + start * size, count: rows * size)
                return
            }
            order.withUnsafeBufferPointer { order in
                for row in 0..<rows {
                    (destination + row * size).update(from: base + order[start + row] * size, count: size)
                }
            }
        }
    }
}
