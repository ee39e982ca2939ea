// Writes IDX files and MNIST-style directories, plain or gzip: fixtures for tests and small fake datasets.
// Stage: runtime (data). The inverse of IDXLoader; `writeFakeMNIST` builds a learnable 28x28 stand-in.

public enum IDXWriter {
    /// Encodes `values` with `shape` as IDX bytes: magic, big-endian dimensions, big-endian elements.
    /// Integer types round to nearest; throws DataError when a value does not fit the element type.
    public static func encode(_ values: [Float], shape: [Int], as type: IDXElementType = .ubyte) throws -> [UInt8] {
        guard !shape.isEmpty, shape.count <= 255, shape.allSatisfy({ $0 > 0 && $0 <= Int(UInt32.max) }) else {
            throw DataError(path: nil, "cannot write shape \(shape) as IDX: need 1 to 255 dimensions, each 1 to 2^32 - 1")
        }
        guard shape.reduce(1, *) == values.count else {
            throw DataError(path: nil, "shape \(shape) holds \(shape.reduce(1, *)) values, given \(values.count)")
        }
        var bytes: [UInt8] = [0, 0, type.rawValue, UInt8(shape.count)]
        bytes.reserveCapacity(4 + 4 * shape.count + values.count * type.byteWidth)
        for size in shape { appendBigEndian(UInt64(size), width: 4, to: &bytes) }
        for (index, value) in values.enumerated() {
            switch type {
            case .float: appendBigEndian(UInt64(value.bitPattern), width: 4, to: &bytes)
            case .double: appendBigEndian(Double(value).bitPattern, width: 8, to: &bytes)
            case .ubyte, .byte, .short, .int:
                let range: ClosedRange<Float> = switch type {
                case .ubyte: 0...255
                case .byte: -128...127
                case .short: -32768...32767
                default: -0x1p31...0x1p31 - 128  // largest Float below 2^31
                }
                let rounded = value.rounded()
                guard range.contains(rounded) else {
                    throw DataError(path: nil, "value \(value) at index \(index) does not fit IDX type \(type.name)")
                }
                appendBigEndian(UInt64(bitPattern: Int64(rounded)), width: type.byteWidth, to: &bytes)
            }
        }
        return bytes
    }

    /// Writes one IDX file, gzip-compressed when `gzip` (the path is used as given).
    public static func write(_ values: [Float], shape: [Int], as type: IDXElementType = .ubyte, to path: String,
                             gzip: Bool = false) throws {
        let bytes = try encode(values, shape: shape, as: type)
        try Files.writeAll(gzip ? Gzip.compress(bytes) : bytes, to: path)
    }

    /// Writes an MNIST-style pair into `directory` (created if needed):
    /// `<prefix>-images-idx3-ubyte` (count x rows x columns) and `<prefix>-labels-idx1-ubyte`, plus `.gz`
    /// when `gzip`. `prefix` is "train" or "t10k" for IDXLoader.loadDirectory to find them.
    public static func write(images: [UInt8], labels: [UInt8], rows: Int = 28, columns: Int = 28,
                             prefix: String = "train", to directory: String, gzip: Bool = true) throws {
        guard rows > 0, columns > 0, images.count == labels.count * rows * columns else {
            throw DataError(path: directory, "\(images.count) pixels are not \(labels.count) images of "
                            + "\(rows)x\(columns)")
        }
        try Files.createDirectory(directory)
        let suffix = gzip ? ".gz" : ""
        try write(images.map(Float.init), shape: [labels.count, rows, columns],
                  to: Files.join(directory, "\(prefix)-images-idx3-ubyte\(suffix)"), gzip: gzip)
        try write(labels.map(Float.init), shape: [labels.count],
                  to: Files.join(directory, "\(prefix)-labels-idx1-ubyte\(suffix)"), gzip: gzip)
    }

    /// Writes a Dataset of class-labelled images (featureShape [rows, columns] or [rows, columns, 1])
    /// as an MNIST-style pair; features are multiplied by `pixelScale` and must then lie in 0...255.
    public static func write(_ dataset: Dataset, prefix: String, to directory: String, gzip: Bool = true,
                             pixelScale: Float = 1) throws {
        let shape = dataset.featureShape
        guard dataset.hasClassLabels, shape.count == 2 || (shape.count == 3 && shape[2] == 1) else {
            throw DataError(path: directory, "IDX image files need class labels and featureShape [rows, columns(, 1)], "
                            + "got \(shape) with target shape \(dataset.targetShape)")
        }
        var pixels = [UInt8]()
        pixels.reserveCapacity(dataset.features.count)
        for (index, value) in dataset.features.enumerated() {
            let scaled = (value * pixelScale).rounded()
            guard scaled >= 0 && scaled <= 255 else {
                throw DataError(path: directory, "pixel \(value) at index \(index) is outside 0...255 after scaling")
            }
            pixels.append(UInt8(scaled))
        }
        let labels = try dataset.targets.enumerated().map { index, label in
            guard label >= 0 && label <= 255 && label == label.rounded() else {
                throw DataError(path: directory, "label \(label) at index \(index) does not fit a ubyte")
            }
            return UInt8(label)
        }
        try write(images: pixels, labels: labels, rows: shape[0], columns: shape[1], prefix: prefix,
                  to: directory, gzip: gzip)
    }

    /// Writes a small learnable stand-in for Fashion-MNIST: `Synthetic.patterns` images (28x28 ubyte,
    /// `classes` classes) as train and t10k pairs in `directory`. Same arguments, same bytes.
    public static func writeFakeMNIST(to directory: String, trainCount: Int = 600, testCount: Int = 100,
                                      classes: Int = 10, gzip: Bool = true, seed: UInt64 = 1) throws {
        let train = try Synthetic.patterns(n: trainCount, classes: classes, seed: seed)
        try write(train, prefix: "train", to: directory, gzip: gzip, pixelScale: 255)
        guard testCount > 0 else { return }
        let test = try Synthetic.patterns(n: testCount, classes: classes, seed: seed &+ 0x7E57)
        try write(test, prefix: "t10k", to: directory, gzip: gzip, pixelScale: 255)
    }

    private static func appendBigEndian(_ value: UInt64, width: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: 8 * (width - 1), through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
