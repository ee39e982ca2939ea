// Synthetic datasets: determinism per seed, shapes, and the statistics each generator promises.

import Testing
import NNetRuntime

extension DataTests {
    @Suite("Synthetic datasets")
    struct SyntheticTests {
        static let generators: [(String, (UInt64) throws -> Dataset)] = [
            ("linear", { try Synthetic.linear(n: 50, weights: [1, -2], bias: 0.5, noise: 0.1, seed: $0) }),
            ("blobs", { try Synthetic.blobs(n: 50, centers: 3, features: 4, spread: 0.5, seed: $0) }),
            ("sine", { try Synthetic.sine(n: 20, length: 16, noise: 0.05, seed: $0) }),
            ("waves", { try Synthetic.waves(n: 20, length: 16, classes: 4, noise: 0.05, seed: $0) }),
            ("patterns", { try Synthetic.patterns(n: 10, classes: 5, seed: $0) }),
        ]

        @Test("same seed, same data; different seed, different data", arguments: generators)
        func deterministic(name: String, generate: (UInt64) throws -> Dataset) throws {
            let a = try generate(42), b = try generate(42), c = try generate(43)
            #expect(a.features == b.features && a.targets == b.targets, "\(name)")
            #expect(a.features != c.features, "\(name)")
            try a.validate()
        }

        @Test func linearFitRecoversWeights() throws {
            let weights: [Float] = [2, -1, 0.5]
            let data = try Synthetic.linear(n: 4000, weights: weights, bias: 0.25, noise: 0.1, range: -2...2, seed: 7)
            #expect(data.featureShape == [3])
            #expect(data.targetShape == [1])
            #expect(data.features.allSatisfy { (-2..<2).contains($0) })
            let fitted = leastSquares(data)  // [w0, w1, w2, bias]
            // With 4000 samples and noise 0.1 the standard error of each weight is ~0.002; 0.02 is 10 sigma.
            for (fit, truth) in zip(fitted, weights + [0.25]) { #expect(abs(fit - Double(truth)) < 0.02, "\(fitted)") }
            let residuals = (0..<data.count).map { i in
                Double(data.targets[i]) - (0..<3).reduce(fitted[3]) { $0 + fitted[$1] * Double(data.features[i * 3 + $1]) }
            }
            let noise = (residuals.reduce(0) { $0 + $1 * $1 } / Double(data.count)).squareRoot()
            #expect(abs(noise - 0.1) < 0.01, "residual standard deviation \(noise)")
        }

        @Test func blobsAreBalancedAndSeparable() throws {
            let data = try Synthetic.blobs(n: 403, centers: 4, features: 3, spread: 0.5, seed: 5)
            #expect(data.featureShape == [3])
            #expect(data.targetShape == [])
            #expect(data.classCount == 4)
            let counts = (0..<4).map { k in data.targets.filter { $0 == Float(k) }.count }
            #expect(counts == [101, 101, 101, 100])
            #expect(nearestMeanAccuracy(data) > 0.99)
            #expect(data.targets.prefix(8) != [0, 1, 2, 3, 0, 1, 2, 3], "labels come shuffled")
        }

        @Test func sineTargetsContinueTheSequence() throws {
            let data = try Synthetic.sine(n: 200, length: 24, noise: 0, seed: 9)
            #expect(data.featureShape == [24, 1])
            #expect(data.targetShape == [1])
            #expect(data.count == 200)
            for i in 0..<data.count {
                let row = Array(data.features[(i * 24)..<((i + 1) * 24)])
                #expect(row.allSatisfy { abs($0) <= 1.5 })
                // A sampled sine obeys x[t+1] = 2 cos(w) x[t] - x[t-1]; recover 2 cos(w) from the
                // sequence itself and check that the target continues it.
                let (a, b, c) = (Double(row[0]), Double(row[1]), Double(row[2]))
                guard abs(b) > 0.2 else { continue }
                let twoCos = (a + c) / b
                let predicted = twoCos * Double(row[23]) - Double(row[22])
                #expect(abs(predicted - Double(data.targets[i])) < 1e-3, "sequence \(i)")
            }
        }

        @Test func wavesHaveOneWaveformPerClass() throws {
            let data = try Synthetic.waves(n: 60, length: 32, classes: 6, noise: 0, seed: 4)
            #expect(data.featureShape == [32, 1])
            #expect(data.classCount == 6)
            #expect(Synthetic.waveformNames.count == 6)
            for i in 0..<data.count where data.targets[i] == 1 {
                // Square waves take exactly two values, +A and -A.
                let values = Set(data.features[(i * 32)..<((i + 1) * 32)])
                #expect(values.count == 2 && values.reduce(0, +) == 0, "\(values)")
            }
            #expect(dataErrorMessage { try Synthetic.waves(n: 10, length: 8, classes: 7, seed: 1) }?
                .contains("2 to 6 classes") == true)
        }

        @Test func patternsAreLearnableImages() throws {
            let full = try Synthetic.patterns(n: 20, classes: 10, seed: 3)
            #expect(full.featureShape == [28, 28, 1])
            #expect(full.classCount == 10)
            let data = try Synthetic.patterns(n: 200, classes: 10, height: 16, width: 16, noise: 0.1, seed: 3)
            #expect(data.classCount == 10)
            #expect(data.features.allSatisfy { (0...1).contains($0) })
            // Nearest class mean is a weak classifier (chance is 0.1); a network does far better.
            #expect(nearestMeanAccuracy(data) > 0.8)
            let other = try Synthetic.patterns(n: 200, classes: 10, height: 16, width: 16, noise: 0.1, seed: 4)
            #expect(nearestMeanAccuracy(data, testedOn: other) > 0.8, "another seed draws from the same classes")
        }

        @Test func invalidArgumentsThrow() {
            #expect(dataErrorMessage { try Synthetic.linear(n: 5, weights: [], seed: 1) } != nil)
            #expect(dataErrorMessage { try Synthetic.linear(n: -1, weights: [1], seed: 1) } != nil)
            #expect(dataErrorMessage { try Synthetic.blobs(n: 5, centers: 1, seed: 1) } != nil)
            #expect(dataErrorMessage { try Synthetic.blobs(n: Int.max, centers: 2, features: 4, seed: 1) }?
                .contains("would not fit in memory") == true)
            #expect(dataErrorMessage { try Synthetic.sine(n: 5, length: 0, seed: 1) } != nil)
            #expect(dataErrorMessage { try Synthetic.patterns(n: 5, height: 4, seed: 1) } != nil)
        }

        // MARK: - Helpers

        /// Ordinary least squares with a bias column, by the normal equations in Double.
        func leastSquares(_ data: Dataset) -> [Double] {
            let d = data.featureSize + 1
            var matrix = [[Double]](repeating: [Double](repeating: 0, count: d + 1), count: d)
            for i in 0..<data.count {
                let row = data.features[(i * (d - 1))..<((i + 1) * (d - 1))].map(Double.init) + [1]
                for r in 0..<d {
                    for c in 0..<d { matrix[r][c] += row[r] * row[c] }
                    matrix[r][d] += row[r] * Double(data.targets[i])
                }
            }
            for pivot in 0..<d {
                for r in 0..<d where r != pivot {
                    let factor = matrix[r][pivot] / matrix[pivot][pivot]
                    for c in pivot...d { matrix[r][c] -= factor * matrix[pivot][c] }
                }
            }
            return (0..<d).map { matrix[$0][d] / matrix[$0][$0] }
        }

        /// Accuracy of classifying `test` by the nearest class mean of `train`.
        func nearestMeanAccuracy(_ train: Dataset, testedOn test: Dataset? = nil) -> Double {
            let test = test ?? train
            let size = train.featureSize, classes = train.classCount!
            var means = [[Double]](repeating: [Double](repeating: 0, count: size), count: classes)
            var counts = [Double](repeating: 0, count: classes)
            for i in 0..<train.count {
                let k = Int(train.targets[i])
                counts[k] += 1
                for j in 0..<size { means[k][j] += Double(train.features[i * size + j]) }
            }
            for k in 0..<classes { means[k] = means[k].map { $0 / max(counts[k], 1) } }
            var correct = 0
            for i in 0..<test.count {
                var best = 0, bestDistance = Double.infinity
                for k in 0..<classes {
                    var distance = 0.0
                    for j in 0..<size {
                        let d = Double(test.features[i * size + j]) - means[k][j]
                        distance += d * d
                    }
                    if distance < bestDistance { (best, bestDistance) = (k, distance) }
                }
                if best == Int(test.targets[i]) { correct += 1 }
            }
            return Double(correct) / Double(test.count)
        }
    }
}
