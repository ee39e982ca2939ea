// Seeded synthetic datasets: regression lines, Gaussian blobs, sine sequences, waveform classes, images.
// Stage: runtime (data). Same arguments give the same bytes on every platform (SeededGenerator).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum Synthetic {
    /// Linear regression: x uniform in `range` with `weights.count` features, y = w.x + bias + N(0, noise^2).
    /// featureShape [weights.count], targetShape [1].
    public static func linear(n: Int, weights: [Float], bias: Float = 0, noise: Float = 0,
                              range: ClosedRange<Float> = -1...1, seed: UInt64) throws -> Dataset {
        try check(!weights.isEmpty, "linear needs at least one weight")
        try check(noise >= 0, "noise must be >= 0, got \(noise)")
        try checkCount(n, featureSize: weights.count)
        var random = SeededGenerator(seed: seed)
        var features = [Float](), targets = [Float]()
        features.reserveCapacity(n * weights.count)
        targets.reserveCapacity(n)
        for _ in 0..<n {
            var y = bias
            for w in weights {
                let x = random.uniform(range.lowerBound, range.upperBound)
                features.append(x)
                y += w * x
            }
            targets.append(y + noise * random.normal())
        }
        return Dataset(name: "linear", featureShape: [weights.count], features: features, targetShape: [1],
                       targets: targets)
    }

    /// Gaussian blobs: `centers` classes, each N(centre, spread^2 I) in `features` dimensions.
    ///
    /// Centres come from the seed by best-candidate sampling in the box [-10, 10]^features (of 32
    /// random candidates, keep the one farthest from the centres so far), so they are well apart.
    /// Classes are balanced (n / centers each, the remainder to the first) in shuffled order.
    /// featureShape [features], targetShape [] with classCount = centers.
    public static func blobs(n: Int, centers: Int, features: Int = 2, spread: Float = 1,
                             seed: UInt64) throws -> Dataset {
        try check(centers >= 2, "blobs needs at least 2 centers, got \(centers)")
        try check(features >= 1, "blobs needs at least 1 feature, got \(features)")
        try check(spread >= 0, "spread must be >= 0, got \(spread)")
        try checkCount(n, featureSize: features)
        var random = SeededGenerator(seed: seed)
        var centres: [[Float]] = []
        for _ in 0..<centers {
            var best: [Float] = [], bestDistance: Float = -1
            for _ in 0..<32 {
                let candidate = (0..<features).map { _ in random.uniform(-10, 10) }
                let distance = centres.map { squaredDistance($0, candidate) }.min() ?? 0
                if distance > bestDistance { (best, bestDistance) = (candidate, distance) }
            }
            centres.append(best)
        }
        let labels = balancedLabels(n: n, classes: centers, random: &random)
        var values = [Float]()
        values.reserveCapacity(n * features)
        for label in labels {
            for x in centres[label] { values.append(x + spread * random.normal()) }
        }
        return Dataset(name: "blobs", featureShape: [features], features: values, targetShape: [],
                       targets: labels.map(Float.init), classCount: centers)
    }

    /// Next-value prediction on noisy sine waves: amplitude in [0.5, 1.5], period in
    /// [6, max(8, length / 2)] steps, phase uniform. Features are `length` noisy samples
    /// (featureShape [length, 1]); the target is the clean value one step later (targetShape [1]).
    public static func sine(n: Int, length: Int, noise: Float = 0, seed: UInt64) throws -> Dataset {
        try check(length >= 1, "sequence length must be >= 1, got \(length)")
        try check(noise >= 0, "noise must be >= 0, got \(noise)")
        try checkCount(n, featureSize: length)
        var random = SeededGenerator(seed: seed)
        var features = [Float](), targets = [Float]()
        features.reserveCapacity(n * length)
        for _ in 0..<n {
            let (amplitude, period, phase) = randomWave(length: length, random: &random)
            func value(_ t: Int) -> Float { amplitude * Float(sin(2 * Double.pi * (Double(t) / period + phase))) }
            for t in 0..<length { features.append(value(t) + noise * random.normal()) }
            targets.append(value(length))
        }
        return Dataset(name: "sine", featureShape: [length, 1], features: features, targetShape: [1], targets: targets)
    }

    /// The waveform of each class of `waves`, in class-index order.
    public static let waveformNames = ["sine", "square", "triangle", "sawtooth", "pulse", "reverse-sawtooth"]

    /// Sequence classification: class k is waveform `waveformNames[k]` (2 to 6 classes) with random
    /// amplitude, period and phase as in `sine`, plus N(0, noise^2). Balanced, shuffled.
    /// featureShape [length, 1], targetShape [] with classCount = classes.
    public static func waves(n: Int, length: Int, classes: Int, noise: Float = 0, seed: UInt64) throws -> Dataset {
        try check((2...waveformNames.count).contains(classes),
                  "waves supports 2 to \(waveformNames.count) classes (\(waveformNames.joined(separator: ", "))), got \(classes)")
        try check(length >= 2, "sequence length must be >= 2, got \(length)")
        try check(noise >= 0, "noise must be >= 0, got \(noise)")
        try checkCount(n, featureSize: length)
        var random = SeededGenerator(seed: seed)
        let labels = balancedLabels(n: n, classes: classes, random: &random)
        var features = [Float]()
        features.reserveCapacity(n * length)
        for label in labels {
            let (amplitude, period, phase) = randomWave(length: length, random: &random)
            for t in 0..<length {
                let cycle = (Double(t) / period + phase).truncatingRemainder(dividingBy: 1)
                features.append(amplitude * waveform(label, cycle) + noise * random.normal())
            }
        }
        return Dataset(name: "waves", featureShape: [length, 1], features: features, targetShape: [],
                       targets: labels.map(Float.init), classCount: classes)
    }

    /// Small image classification, a learnable stand-in for MNIST-style data: each class has a fixed
    /// blocky template (a grid of square cells, 4x4 pixels at 28x28, each on with probability 0.3 away
    /// from the border; templates depend only on classes/height/width, so datasets with different
    /// seeds share them). A sample is its class template shifted by up to half a cell, with brightness
    /// in [0.6, 1] plus N(0, noise^2), clamped to [0, 1].
    /// featureShape [height, width, 1], targetShape [], classCount = classes.
    public static func patterns(n: Int, classes: Int = 10, height: Int = 28, width: Int = 28, noise: Float = 0.1,
                                seed: UInt64) throws -> Dataset {
        try check(classes >= 2 && classes <= 256, "patterns supports 2 to 256 classes, got \(classes)")
        try check(height >= 12 && width >= 12 && height <= 4096 && width <= 4096,
                  "pattern images must be 12 to 4096 pixels a side, got \(height)x\(width)")
        try check(noise >= 0, "noise must be >= 0, got \(noise)")
        try checkCount(n, featureSize: height * width)
        let templates = patternTemplates(classes: classes, height: height, width: width)
        let shift = patternCell(height: height, width: width) / 2
        var random = SeededGenerator(seed: seed)
        let labels = balancedLabels(n: n, classes: classes, random: &random)
        var features = [Float]()
        features.reserveCapacity(n * height * width)
        for label in labels {
            let dy = random.nextIndex(below: 2 * shift + 1) - shift, dx = random.nextIndex(below: 2 * shift + 1) - shift
            let brightness = random.uniform(0.6, 1)
            for y in 0..<height {
                for x in 0..<width {
                    let (sy, sx) = (y - dy, x - dx)
                    let on = sy >= 0 && sy < height && sx >= 0 && sx < width && templates[label][sy * width + sx]
                    let value = (on ? brightness : 0) + noise * random.normal()
                    features.append(min(max(value, 0), 1))
                }
            }
        }
        return Dataset(name: "patterns", featureShape: [height, width, 1], features: features, targetShape: [],
                       targets: labels.map(Float.init), classCount: classes)
    }

    // MARK: - Helpers

    /// Cell size of the pattern templates: 4 pixels at 28x28 (a 7x7 grid), at least 1.
    private static func patternCell(height: Int, width: Int) -> Int { max(1, min(height, width) / 7) }

    /// One blocky template per class: cells away from the border, each on with probability 0.3,
    /// redrawn (up to 100 times) until it differs from every earlier template in at least 3 cells.
    private static func patternTemplates(classes: Int, height: Int, width: Int) -> [[Bool]] {
        var random = SeededGenerator(seed: 0x9A77_E245 ^ UInt64(classes << 32 | height << 16 | width))
        let cell = patternCell(height: height, width: width)
        let rows = height / cell, columns = width / cell
        var grids: [[Bool]] = []
        for _ in 0..<classes {
            var grid: [Bool] = []
            for _ in 0..<100 {
                grid = (0..<(rows * columns)).map { index in
                    let (row, column) = index.quotientAndRemainder(dividingBy: columns)
                    let inside = row > 0 && row < rows - 1 && column > 0 && column < columns - 1
                    return inside && random.nextFloat() < 0.3
                }
                let distinct = grids.allSatisfy { other in zip(other, grid).filter { $0 != $1 }.count >= 3 }
                if distinct && grid.contains(true) { break }
            }
            grids.append(grid)
        }
        return grids.map { grid in
            (0..<(height * width)).map { index in
                let (y, x) = index.quotientAndRemainder(dividingBy: width)
                return y / cell < rows && x / cell < columns && grid[(y / cell) * columns + x / cell]
            }
        }
    }

    /// Waveform `kind` at `cycle` in [0, 1), ranging over [-1, 1].
    private static func waveform(_ kind: Int, _ cycle: Double) -> Float {
        let value: Double = switch kind {
        case 0: sin(2 * Double.pi * cycle)
        case 1: cycle < 0.5 ? 1 : -1
        case 2: 4 * abs(cycle - 0.5) - 1
        case 3: 2 * cycle - 1
        case 4: cycle < 0.25 ? 1 : -1
        default: 1 - 2 * cycle
        }
        return Float(value)
    }

    private static func randomWave(length: Int, random: inout SeededGenerator) -> (Float, Double, Double) {
        let amplitude = random.uniform(0.5, 1.5)
        let period = Double(random.uniform(6, Float(max(8, length / 2))))
        let phase = Double(random.nextFloat())
        return (amplitude, period, phase)
    }

    /// Labels 0, 1, ..., classes - 1 repeated to length n, then shuffled.
    private static func balancedLabels(n: Int, classes: Int, random: inout SeededGenerator) -> [Int] {
        var labels = (0..<n).map { $0 % classes }
        random.shuffle(&labels)
        return labels
    }

    private static func squaredDistance(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    }

    private static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw DataError(path: nil, message()) }
    }

    private static func checkCount(_ n: Int, featureSize: Int) throws {
        try check(n >= 0, "sample count must be >= 0, got \(n)")
        let (floats, overflow) = n.multipliedReportingOverflow(by: featureSize)
        let memory = Files.physicalMemory
        try check(!overflow && (memory == 0 || floats <= memory / MemoryLayout<Float>.size),
                  "\(n) samples of \(featureSize) values would not fit in memory")
    }
}
