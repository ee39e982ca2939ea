// Batching: each epoch covers every sample once, orders are seeded, and a cursor resumes mid-epoch.

import Testing
import NNetRuntime

extension DataTests {
    @Suite("Batcher")
    struct BatcherTests {
        /// n samples of shape [3] whose features are 3i, 3i+1, 3i+2 and whose target is i.
        func numbered(_ n: Int) -> Dataset {
            Dataset(name: "numbered", featureShape: [3], features: (0..<(3 * n)).map(Float.init), targetShape: [1],
                    targets: (0..<n).map(Float.init))
        }

        /// Runs the rest of the current epoch (a whole one from its start) and returns its batches as
        /// lists of sample ids, checking that every row's features match its target.
        func epoch(_ batcher: inout Batcher) -> [[Int]] {
            var features = [Float](repeating: -1, count: batcher.featureCapacity)
            var targets = [Float](repeating: -1, count: batcher.targetCapacity)
            var batches: [[Int]] = []
            guard batcher.batchesPerEpoch > 0 else { return [] }
            let epoch = batcher.cursor.epoch
            while batcher.cursor.epoch == epoch {
                let rows = batcher.next(features: &features, targets: &targets)
                let ids = (0..<rows).map { Int(targets[$0]) }
                for (row, id) in ids.enumerated() {
                    let expected = [Float(3 * id), Float(3 * id + 1), Float(3 * id + 2)]
                    #expect(Array(features[(row * 3)..<(row * 3 + 3)]) == expected)
                }
                batches.append(ids)
            }
            return batches
        }

        @Test("every sample exactly once per epoch", arguments: [1, 7, 10, 23, 64])
        func coversEverySample(batchSize: Int) throws {
            var batcher = try Batcher(dataset: numbered(23), batchSize: batchSize, seed: 1)
            for e in 0..<3 {
                let batches = epoch(&batcher)
                #expect(batches.flatMap { $0 }.sorted() == Array(0..<23))
                #expect(batches.count == batcher.batchesPerEpoch)
                #expect(batches.dropLast().allSatisfy { $0.count == batchSize })
                #expect(batches.last?.count == (23 % batchSize == 0 ? batchSize : 23 % batchSize), "last batch is partial")
                #expect(batcher.cursor == BatchCursor(epoch: e + 1, batchIndex: 0))
            }
        }

        @Test func seededOrders() throws {
            var a = try Batcher(dataset: numbered(50), batchSize: 8, seed: 5)
            var b = try Batcher(dataset: numbered(50), batchSize: 8, seed: 5)
            var c = try Batcher(dataset: numbered(50), batchSize: 8, seed: 6)
            let first = epoch(&a)
            #expect(first == epoch(&b))
            #expect(first != epoch(&c))
            #expect(epoch(&a) != first, "each epoch has its own order")
            #expect(first.flatMap { $0 } != Array(0..<50))

            var generator = SeededGenerator(seed: 9)
            var fromGenerator = try Batcher(dataset: numbered(50), batchSize: 8, generator: &generator)
            var generatorAgain = SeededGenerator(seed: 9)
            var same = try Batcher(dataset: numbered(50), batchSize: 8, generator: &generatorAgain)
            #expect(epoch(&fromGenerator) == epoch(&same))
        }

        @Test func withoutShuffleInOrder() throws {
            var batcher = try Batcher(dataset: numbered(10), batchSize: 4, shuffle: false, seed: 1)
            #expect(epoch(&batcher) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
            #expect(epoch(&batcher) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
        }

        @Test func dropLastSkipsThePartialBatch() throws {
            var batcher = try Batcher(dataset: numbered(10), batchSize: 4, shuffle: false, dropLast: true, seed: 1)
            #expect(batcher.batchesPerEpoch == 2)
            #expect(epoch(&batcher) == [[0, 1, 2, 3], [4, 5, 6, 7]])
            var tooBig = try Batcher(dataset: numbered(3), batchSize: 4, dropLast: true, seed: 1)
            #expect(epoch(&tooBig).isEmpty)
        }

        @Test func resumesMidEpochFromACursor() throws {
            var original = try Batcher(dataset: numbered(40), batchSize: 6, seed: 12)
            _ = epoch(&original)
            let epochsOneAndTwo = epoch(&original) + epoch(&original)
            var resumed = try Batcher(dataset: numbered(40), batchSize: 6, seed: 12)
            resumed.seek(to: BatchCursor(epoch: 1, batchIndex: 3))
            let rest = epoch(&resumed) + epoch(&resumed)
            #expect(rest == Array(epochsOneAndTwo.dropFirst(3)))
            #expect(resumed.cursor == BatchCursor(epoch: 3, batchIndex: 0))

            // A cursor saved at the very end of an epoch means the start of the next one.
            var atEnd = try Batcher(dataset: numbered(40), batchSize: 6, seed: 12)
            atEnd.seek(to: BatchCursor(epoch: 0, batchIndex: atEnd.batchesPerEpoch))
            #expect(atEnd.cursor == BatchCursor(epoch: 1, batchIndex: 0))
            #expect(epoch(&atEnd) == Array(epochsOneAndTwo.prefix(atEnd.batchesPerEpoch)))
        }

        @Test func classLabelTargetsAndEmptyData() throws {
            let labelled = Dataset(name: "l", featureShape: [2], features: [0, 0, 1, 1, 2, 2], targetShape: [],
                                   targets: [0, 1, 2], classCount: 3)
            var batcher = try Batcher(dataset: labelled, batchSize: 2, shuffle: false, seed: 0)
            #expect(batcher.targetCapacity == 2)
            var features = [Float](repeating: 0, count: 4), targets = [Float](repeating: 0, count: 2)
            let rows = batcher.next(features: &features, targets: &targets)
            #expect(rows == 2 && features == [0, 0, 1, 1] && targets == [0, 1])

            var empty = try Batcher(dataset: numbered(0), batchSize: 4, seed: 0)
            #expect(empty.batchesPerEpoch == 0)
            #expect(empty.next(features: &features, targets: &targets) == 0)
            #expect(empty.cursor == BatchCursor(epoch: 0, batchIndex: 0))
            #expect(dataErrorMessage { try Batcher(dataset: labelled, batchSize: 0, seed: 0) }?.contains("at least 1") == true)
        }

        /// A batch big enough to be gathered by the thread pool (bytes and floats) equals row-by-row copies.
        @Test(arguments: [false, true])
        func largeGathersMatchRowCopies(bytes: Bool) {
            let rows = 300, size = 784, count = 1000
            let values = (0..<(count * size)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / size) }
            let storage: FeatureStorage = bytes ? .bytes(values, scale: 1 / 255) : .floats(values.map { Float($0) })
            let data = Dataset(name: "large", featureShape: [size], storage: storage, targetShape: [],
                               targets: [Float](repeating: 0, count: count))
            let indices = (0..<rows).map { ($0 * 37 + 11) % count }
            var gathered = [Float](repeating: .nan, count: rows * size)
            gathered.withUnsafeMutableBufferPointer { out in
                indices.withUnsafeBufferPointer { data.copyFeatures(of: $0, into: out.baseAddress!) }
            }
            var expected = [Float](repeating: 0, count: rows * size)
            expected.withUnsafeMutableBufferPointer { out in
                for (row, index) in indices.enumerated() { data.copyFeatures(of: index, into: out.baseAddress! + row * size) }
            }
            #expect(gathered == expected)
        }
    }
}
