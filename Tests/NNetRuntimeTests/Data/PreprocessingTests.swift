// Dataset transforms: scale, flatten, one-hot, standardise with reusable statistics, split, prefix.

import Testing
import NNetRuntime

extension DataTests {
    @Suite("Preprocessing")
    struct PreprocessingTests {
        /// 6 samples of shape [2, 2]; sample i's values are 10i + 0...3; labels i % 3.
        let images = Dataset(name: "images", featureShape: [2, 2], features: (0..<6).flatMap { i in (0..<4).map { Float(10 * i + $0) } },
                             targetShape: [], targets: (0..<6).map { Float($0 % 3) }, classCount: 3)

        @Test func scaleAndFlatten() {
            let scaled = images.scaled(by: 0.5)
            #expect(scaled.features == images.features.map { $0 * 0.5 })
            #expect(scaled.targets == images.targets)
            let flat = images.flattened()
            #expect(flat.featureShape == [4])
            #expect(flat.features == images.features)
        }

        @Test func oneHot() throws {
            let encoded = try images.oneHot()
            #expect(encoded.targetShape == [3])
            #expect(encoded.classCount == 3)
            #expect(encoded.targets == [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1])
            #expect(!encoded.hasClassLabels)
            try encoded.validate()

            let twice = dataErrorMessage { try encoded.oneHot() }
            #expect(twice?.contains("one-hot needs class labels") == true)
            var bad = images
            bad.targets[4] = 3
            #expect(dataErrorMessage { try bad.oneHot() }?.contains("label 3.0 of sample 4 is not in 0..<3") == true)
        }

        @Test func standardizeUsesTrainingStatisticsForTest() throws {
            var data = images
            for i in 0..<6 { data.features[i * 4 + 3] = 7 }  // a constant feature
            let (standardized, statistics) = data.standardized()
            #expect(statistics.mean.count == 4)
            #expect(abs(statistics.mean[0] - 25) < 1e-5)
            #expect(abs(statistics.standardDeviation[0] - 17.078251) < 1e-4)
            #expect(statistics.standardDeviation[3] == 1, "constant features keep scale 1")
            for j in 0..<4 {
                let column = (0..<6).map { Double(standardized.features[$0 * 4 + j]) }
                let mean = column.reduce(0, +) / 6
                let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 6
                #expect(abs(mean) < 1e-5)
                #expect(j == 3 ? variance == 0 : abs(variance - 1) < 1e-4)
            }
            let test = data.prefix(2).scaled(by: 2)
            let transformed = try test.standardized(using: statistics)
            #expect(abs(transformed.features[4] - (20 - 25) / 17.078251) < 1e-4)
            let wrong = FeatureStatistics(mean: [0], standardDeviation: [1])
            #expect(dataErrorMessage { try data.standardized(using: wrong) }?.contains("statistics for 1 features") == true)
        }

        @Test func splitIsAShuffledPartition() {
            let data = Dataset(name: "n", featureShape: [1], features: (0..<100).map(Float.init),
                               targetShape: [1], targets: (0..<100).map { Float($0) * 2 })
            let (train, test) = data.split(fraction: 0.8, seed: 3)
            #expect(train.count == 80 && test.count == 20)
            #expect(Set(train.features + test.features) == Set(data.features))
            #expect(train.features != Array(data.features[0..<80]), "shuffled")
            for (x, y) in zip(train.features, train.targets) { #expect(y == 2 * x, "rows stay paired") }
            let again = data.split(fraction: 0.8, seed: 3)
            #expect(again.0.features == train.features)
            #expect(data.split(fraction: 0.8, seed: 4).0.features != train.features)
            #expect(data.split(fraction: 1.5, seed: 1).1.count == 0)
            #expect(data.split(fraction: -1, seed: 1).0.count == 0)
        }

        @Test func prefixSubsetAndShuffle() throws {
            let first = images.prefix(2)
            #expect(first.count == 2)
            #expect(first.features == Array(images.features[0..<8]))
            #expect(first.targets == [0, 1])
            #expect(images.prefix(100).count == 6)
            #expect(images.prefix(-1).count == 0)
            let picked = images.subset([5, 0])
            #expect(picked.features == Array(images.features[20..<24] + images.features[0..<4]))
            #expect(picked.targets == [2, 0])
            let shuffled = images.shuffled(seed: 8)
            #expect(Set(shuffled.features) == Set(images.features))
            try shuffled.validate()
        }

        @Test func validateFindsInconsistentData() {
            var data = images
            data.targets.removeLast()
            #expect(dataErrorMessage { try data.validate() }?.contains("6 samples need 6 target values") == true)
            data = images
            data.features.removeLast()
            #expect(dataErrorMessage { try data.validate() }?.contains("are not whole samples") == true)
            data = images
            data.targets[0] = -1
            #expect(dataErrorMessage { try data.validate() }?.contains("label -1.0 of sample 0") == true)
        }
    }
}
