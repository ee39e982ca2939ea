// MNIST-style IDX directories (MNIST, Fashion-MNIST, KMNIST): image and label files paired into splits.
// Stage: runtime (data). Produces a DatasetGroup with "train" and, when present, "test".

extension IDXLoader {
    /// The MNIST file-name stems of one split: `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`.
    static let splitPrefixes = [(split: "train", prefix: "train"), (split: "test", prefix: "t10k")]

    static func candidateNames(prefix: String, kind: String) -> [String] {
        let rank = kind == "images" ? 3 : 1
        // The original files use `-idx3-`; some mirrors (Kaggle) rename them with `.idx3-`.
        let stems = ["\(prefix)-\(kind)-idx\(rank)-ubyte", "\(prefix)-\(kind).idx\(rank)-ubyte"]
        return stems.flatMap { [$0, $0 + ".gz"] }
    }

    /// Loads an MNIST-style directory: `train-images-idx3-ubyte[.gz]` with `train-labels-idx1-ubyte[.gz]`
    /// as "train" and, when present, `t10k-*` as "test".
    ///
    /// Images become featureShape [rows, columns, 1] (NHWC without the batch axis; a 4-dimensional file
    /// gives [rows, columns, channels]), or [rows * columns * channels] when `flatten`. Pixel values are
    /// multiplied by `scale` (for example 1/255). Labels become class indices with targetShape [] and
    /// classCount = largest label over all splits + 1 (at least 2).
    /// Throws DataError naming the file for anything missing, malformed or inconsistent.
    public static func loadDirectory(_ path: String, scale: Float?, flatten: Bool) throws -> DatasetGroup {
        guard Files.isDirectory(path) else {
            let reason = Files.isRegularFile(path) ? "is a file, expected a directory of IDX files" : "no such directory"
            throw DataError(path: path, reason)
        }
        let groupName = Files.baseName(path)
        var splits: [(name: String, dataset: Dataset)] = []
        for (split, prefix) in splitPrefixes {
            let images = find(prefix: prefix, kind: "images", in: path)
            let labels = find(prefix: prefix, kind: "labels", in: path)
            if images == nil && labels == nil && split != "train" { continue }
            guard let images, let labels else {
                let missing = images == nil ? "images" : "labels"
                let looked = candidateNames(prefix: prefix, kind: missing).joined(separator: ", ")
                throw DataError(path: path, "missing the \(split) \(missing) file: looked for \(looked)")
            }
            let dataset = try load(images: images, labels: labels, name: "\(groupName).\(split)",
                                   scale: scale, flatten: flatten)
            splits.append((split, dataset))
        }
        let classCount = max(2, splits.map { $0.dataset.classCount ?? 0 }.max() ?? 0)
        for index in splits.indices { splits[index].dataset.classCount = classCount }
        return DatasetGroup(name: groupName, splits: splits)
    }

    /// Loads one image file with its label file as a Dataset (see `loadDirectory` for shapes).
    public static func load(images imagesPath: String, labels labelsPath: String, name: String,
                            scale: Float?, flatten: Bool) throws -> Dataset {
        let (_, imageShape, images) = try read(imagesPath, scale: scale, role: .images, keepingBytes: true)
        let labels = try readArray(labelsPath, scale: nil, role: .labels)
        guard imageShape[0] == labels.shape[0] else {
            throw DataError(path: nil, "\(imagesPath) has \(imageShape[0]) images but \(labelsPath) has "
                            + "\(labels.shape[0]) labels")
        }
        let largest = try checkLabels(labels.values, path: labelsPath)
        var featureShape = Array(imageShape.dropFirst())
        if featureShape.count == 2 { featureShape.append(1) }
        if flatten { featureShape = [featureShape.reduce(1, *)] }
        return Dataset(name: name, featureShape: featureShape, storage: images, targetShape: [],
                       targets: labels.values, classCount: max(2, largest + 1))
    }

    private static func find(prefix: String, kind: String, in directory: String) -> String? {
        candidateNames(prefix: prefix, kind: kind).lazy.map { Files.join(directory, $0) }.first(where: Files.isRegularFile)
    }

    /// Checks that labels are whole numbers in 0..<2^24 (exact as Float); returns the largest.
    private static func checkLabels(_ labels: [Float], path: String) throws -> Int {
        var largest: Float = 0
        var allValid = true
        for label in labels {
            allValid = allValid && label >= 0 && label < 0x1p24 && label == label.rounded(.towardZero)
            largest = max(largest, label)
        }
        guard allValid else {
            let index = labels.firstIndex { !($0 >= 0 && $0 < 0x1p24 && $0 == $0.rounded(.towardZero)) }!
            throw DataError(path: path, "label \(labels[index]) at index \(index) is not a class index "
                            + "(a whole number from 0 to 2^24 - 1)")
        }
        return Int(largest)
    }
}
