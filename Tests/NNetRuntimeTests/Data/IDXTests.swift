// IDX reading and writing: round trips through plain and gzip files, every element type, every error.

import Testing
import NNetRuntime

extension DataTests {
    @Suite("IDX files")
    struct IDXTests {
        // MARK: - Round trips

        @Test("MNIST-style directory round trip", arguments: [false, true])
        func directoryRoundTrip(gzip: Bool) throws {
            let directory = try TemporaryDirectory()
            let (images, labels) = sampleImages(count: 12)
            try IDXWriter.write(images: images, labels: labels, prefix: "train", to: directory.path, gzip: gzip)
            try IDXWriter.write(images: Array(images[0..<(3 * 784)]), labels: [1, 2, 3], prefix: "t10k",
                                to: directory.path, gzip: gzip)
            let group = try IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false)
            #expect(group.splitNames == ["train", "test"])
            let train = try #require(group.split("train"))
            #expect(train.count == 12)
            #expect(train.featureShape == [28, 28, 1])
            #expect(train.targetShape == [])
            #expect(train.features == images.map(Float.init))
            #expect(train.targets == labels.map(Float.init))
            #expect(train.classCount == 10)
            #expect(group.split("test")?.classCount == 10, "class count is shared by all splits")
            #expect(group.split("test")?.targets == [1, 2, 3])
            try train.validate()
        }

        @Test func scaleAndFlatten() throws {
            let directory = try TemporaryDirectory()
            let (images, labels) = sampleImages(count: 3)
            try IDXWriter.write(images: images, labels: labels, to: directory.path)
            let group = try IDXLoader.loadDirectory(directory.path, scale: 1 / 255, flatten: true)
            #expect(group.splitNames == ["train"], "no t10k files, so no test split")
            let train = try #require(group.split("train"))
            #expect(train.featureShape == [784])
            #expect(train.features == images.map { Float($0) * (1 / 255) })
            #expect(train.targets == [0, 1, 2], "labels are never scaled")
            #expect(train.classCount == 3)
        }

        /// 8-bit images stay bytes (a quarter of the memory) and every way of reading them gives
        /// Float(byte)·scale: whole, one row, a range of rows, after subset/prefix/scaling.
        @Test func ubyteImagesAreKeptAsBytes() throws {
            let directory = try TemporaryDirectory()
            let (images, labels) = sampleImages(count: 5)
            try IDXWriter.write(images: images, labels: labels, to: directory.path)
            let train = try #require(IDXLoader.loadDirectory(directory.path, scale: 1 / 255, flatten: true).split("train"))
            let expected = images.map { Float($0) * (1 / 255) }
            guard case .bytes(let bytes, let scale) = train.storage else {
                Issue.record("ubyte images were converted to floats at load")
                return
            }
            #expect(bytes == images && scale == 1 / 255)
            #expect(train.storage.byteCount == 5 * 784)
            var row = [Float](repeating: -1, count: 784)
            train.copyFeatures(of: 3, into: &row)
            #expect(row == Array(expected[(3 * 784)..<(4 * 784)]))
            var rows = [Float](repeating: -1, count: 2 * 784)
            train.copyFeatures(of: 1..<3, into: &rows)
            #expect(rows == Array(expected[784..<(3 * 784)]))
            let subset = train.subset([4, 0])
            if case .floats = subset.storage { Issue.record("subset converted the bytes") }
            #expect(subset.features == Array(expected[(4 * 784)...]) + Array(expected[..<784]))
            #expect(train.prefix(2).features == Array(expected[..<(2 * 784)]))
            #expect(train.scaled(by: 2).features == images.map { Float($0) * (2 / 255) })
        }

        @Test func classCountIsAtLeastTwo() throws {
            let directory = try TemporaryDirectory()
            try IDXWriter.write(images: [UInt8](repeating: 9, count: 2 * 16), labels: [0, 0], rows: 4, columns: 4,
                                to: directory.path, gzip: false)
            let train = try #require(IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false).split("train"))
            #expect(train.classCount == 2)
            #expect(train.featureShape == [4, 4, 1])
        }

        @Test func findsMirrorFileNamesWithDots() throws {
            let directory = try TemporaryDirectory()
            let (images, labels) = sampleImages(count: 2)
            try IDXWriter.write(images.map(Float.init), shape: [2, 28, 28], to: directory.file("train-images.idx3-ubyte"))
            try IDXWriter.write(labels.map(Float.init), shape: [2], to: directory.file("train-labels.idx1-ubyte"))
            #expect(try IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false).split("train")?.count == 2)
        }

        static let typedValues: [(IDXElementType, [Float])] = [
            (.ubyte, [0, 1, 128, 255, 7, 9]),
            (.byte, [-128, -1, 0, 1, 127, 5]),
            (.short, [-32768, -300, 0, 12345, 32767, 2]),
            (.int, [-2_147_483_648, -70_000, 0, 1_048_576, 16_777_216, 3]),
            (.float, [-1.25, 0, 0.5, 3.0e-7, 1e30, -7]),
            (.double, [-1.25, 0, 0.1, 3.0e-7, 1e30, -7]),
        ]

        @Test("every element type round-trips", arguments: typedValues)
        func elementTypeRoundTrip(type: IDXElementType, values: [Float]) throws {
            let directory = try TemporaryDirectory()
            for gzip in [false, true] {
                let path = directory.file("array-\(type.name)-\(gzip)")
                try IDXWriter.write(values, shape: [2, 3], as: type, to: path, gzip: gzip)
                let array = try IDXLoader.readArray(path)
                #expect(array.elementType == type)
                #expect(array.shape == [2, 3])
                #expect(array.values == values)
                #expect(try IDXLoader.readArray(path, scale: 0.5).values == values.map { $0 * 0.5 })
            }
        }

        @Test func encodesBigEndianHeader() throws {
            let bytes = try IDXWriter.encode([1, 2, 3, 4, 5, 6], shape: [2, 3], as: .short)
            #expect(Array(bytes[0..<12]) == [0, 0, 0x0B, 2, 0, 0, 0, 2, 0, 0, 0, 3])
            #expect(Array(bytes[12..<16]) == [0, 1, 0, 2])
            #expect(dataErrorMessage { try IDXWriter.encode([256], shape: [1]) }?.contains("does not fit") == true)
            #expect(dataErrorMessage { try IDXWriter.encode([1, 2], shape: [3]) }?.contains("holds 3 values") == true)
        }

        @Test func largeGzipFileSpansManyChunks() throws {
            // 1.2 MB of pixels: more than the reader's 1 MB output chunk.
            let directory = try TemporaryDirectory()
            let count = 1500
            var random = SeededGenerator(seed: 3)
            let images = (0..<(count * 784)).map { _ in UInt8(random.nextIndex(below: 256)) }
            let labels = (0..<count).map { UInt8($0 % 10) }
            try IDXWriter.write(images: images, labels: labels, to: directory.path, gzip: true)
            let train = try #require(IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false).split("train"))
            #expect(train.features == images.map(Float.init))
        }

        /// Files over 4 MB are read ahead on a worker thread; its data and its errors must arrive intact.
        @Test func largeFilesReadAheadOnAWorkerThread() throws {
            let directory = try TemporaryDirectory()
            let count = 9_000_000
            var bytes: [UInt8] = [0, 0, 8, 1, 0, 0x89, 0x54, 0x40]  // ubyte, 1 dimension: 9,000,000
            bytes.reserveCapacity(8 + count)
            for i in 0..<count { bytes.append(UInt8(truncatingIfNeeded: i &* 31 ^ i >> 9)) }
            let expected = bytes[8...].map(Float.init)
            let compressed = try Gzip.compress(bytes, level: 1)
            try directory.write(bytes, to: "large")
            try directory.write(compressed, to: "large.gz")
            #expect(try IDXLoader.readArray(directory.file("large")).values == expected)
            #expect(try IDXLoader.readArray(directory.file("large.gz")).values == expected)

            var corrupt = compressed
            for i in stride(from: compressed.count - 2000, to: compressed.count - 100, by: 3) { corrupt[i] ^= 0x33 }
            try directory.write(corrupt, to: "corrupt.gz")
            let message = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("corrupt.gz")) })
            #expect(message.contains("corrupt gzip data"), "\(message)")
            try directory.write(Array(compressed.dropLast(5000)), to: "short.gz")
            let short = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("short.gz")) })
            #expect(short.contains("gzip data is truncated"), "\(short)")
        }

        @Test func concatenatedGzipMembersReadAsOneStream() throws {
            let directory = try TemporaryDirectory()
            let bytes = try IDXWriter.encode((0..<100).map(Float.init), shape: [100])
            let joined = try Gzip.compress(Array(bytes[0..<30])) + Gzip.compress(Array(bytes[30...]))
            try directory.write(joined, to: "joined.gz")
            #expect(try IDXLoader.readArray(directory.file("joined.gz")).values == (0..<100).map(Float.init))
        }

        @Test func writesLearnableFakeMNIST() throws {
            let directory = try TemporaryDirectory()
            try IDXWriter.writeFakeMNIST(to: directory.path + "/fake", trainCount: 60, testCount: 20)
            let group = try IDXLoader.loadDirectory(directory.path + "/fake", scale: 1 / 255, flatten: false)
            #expect(group.name == "fake")
            #expect(group.split("train")?.count == 60)
            #expect(group.split("test")?.count == 20)
            #expect(group.split("train")?.featureShape == [28, 28, 1])
            #expect(group.split("train")?.classCount == 10)
            let again = try TemporaryDirectory()
            try IDXWriter.writeFakeMNIST(to: again.path, trainCount: 60, testCount: 20)
            #expect(try again.read("train-images-idx3-ubyte.gz") == directory.read("fake/train-images-idx3-ubyte.gz"))
        }

        // MARK: - Errors

        @Test func missingDirectoryAndFiles() throws {
            let directory = try TemporaryDirectory()
            let missing = dataErrorMessage { try IDXLoader.loadDirectory(directory.file("nope"), scale: nil, flatten: false) }
            #expect(missing?.contains("no such directory") == true)

            let empty = try #require(dataErrorMessage { try IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false) })
            #expect(empty.contains("train-images-idx3-ubyte.gz"), "lists what was looked for: \(empty)")

            let (images, labels) = sampleImages(count: 2)
            try IDXWriter.write(images: images, labels: labels, to: directory.path, gzip: false)
            try directory.write(try IDXWriter.encode([1, 2], shape: [2]), to: "t10k-labels-idx1-ubyte")
            let noTestImages = try #require(dataErrorMessage {
                try IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false)
            })
            #expect(noTestImages.contains("missing the test images file"), "\(noTestImages)")
            #expect(noTestImages.contains("t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz"), "\(noTestImages)")

            let file = dataErrorMessage { try IDXLoader.loadDirectory(directory.file("t10k-labels-idx1-ubyte"), scale: nil, flatten: false) }
            #expect(file?.contains("is a file, expected a directory") == true)
            #expect(dataErrorMessage { try IDXLoader.readArray(directory.file("absent")) }?.contains("cannot open") == true)
        }

        @Test func badMagicSaysWhatWasFoundAndExpected() throws {
            let directory = try TemporaryDirectory()
            try directory.write([0x12, 0x34, 0x56, 0x78, 0, 0, 0, 1, 9], to: "weird")
            let weird = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("weird")) })
            #expect(weird.contains("found magic number 0x12345678"), "\(weird)")
            #expect(weird.contains("expected 0x0000TTNN"), "\(weird)")

            try directory.write("<!DOCTYPE html><html></html>", to: "page")
            let page = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("page")) })
            #expect(page.contains("0x3C21444F (\"<!DO\")"), "\(page)")

            // Label files where the images should be, and the reverse.
            let (images, labels) = sampleImages(count: 2)
            try IDXWriter.write(images: images, labels: labels, to: directory.path, gzip: true)
            let swapped = try #require(dataErrorMessage {
                try IDXLoader.load(images: directory.file("train-labels-idx1-ubyte.gz"),
                                   labels: directory.file("train-images-idx3-ubyte.gz"), name: "x", scale: nil, flatten: false)
            })
            #expect(swapped.contains("expected an IDX image file, magic number 0x00000803"), "\(swapped)")
            #expect(swapped.contains("found magic number 0x00000801"), "\(swapped)")
            #expect(swapped.contains("is this a label file?"), "\(swapped)")
            #expect(swapped.contains("after gzip decompression"), "\(swapped)")
        }

        @Test func truncatedPlainData() throws {
            let directory = try TemporaryDirectory()
            let bytes = try IDXWriter.encode([Float](repeating: 1, count: 2 * 28 * 28), shape: [2, 28, 28])
            try directory.write(Array(bytes.dropLast(10)), to: "short")
            let message = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("short")) })
            #expect(message.contains("truncated: expected 1568 bytes"), "\(message)")
            #expect(message.contains("found 1558"), "\(message)")

            try directory.write(Array(bytes[0..<9]), to: "header")
            let header = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("header")) })
            #expect(header.contains("truncated header"), "\(header)")
            try directory.write([0, 0], to: "tiny")
            #expect(dataErrorMessage { try IDXLoader.readArray(directory.file("tiny")) }?.contains("too short") == true)
            try directory.write([], to: "empty")
            #expect(dataErrorMessage { try IDXLoader.readArray(directory.file("empty")) }?.contains("too short") == true)
        }

        @Test func truncatedDataInsideValidGzip() throws {
            let directory = try TemporaryDirectory()
            let bytes = try IDXWriter.encode([Float](repeating: 3, count: 100), shape: [100])
            try directory.write(try Gzip.compress(Array(bytes.dropLast(40))), to: "short.gz")
            let message = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("short.gz")) })
            #expect(message.contains("truncated: expected 100 bytes"), "\(message)")
            #expect(message.contains("found 60"), "\(message)")
        }

        @Test func truncatedGzipStream() throws {
            let directory = try TemporaryDirectory()
            var random = SeededGenerator(seed: 1)
            let values = (0..<5000).map { _ in Float(random.nextIndex(below: 256)) }
            let compressed = try Gzip.compress(try IDXWriter.encode(values, shape: [5000]))
            try directory.write(Array(compressed[0..<(compressed.count / 2)]), to: "half.gz")
            let message = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("half.gz")) })
            #expect(message.contains("gzip data is truncated"), "\(message)")
        }

        @Test func corruptGzip() throws {
            let directory = try TemporaryDirectory()
            var random = SeededGenerator(seed: 2)
            let values = (0..<5000).map { _ in Float(random.nextIndex(below: 256)) }
            var compressed = try Gzip.compress(try IDXWriter.encode(values, shape: [5000]))
            for i in stride(from: compressed.count / 2, to: compressed.count - 20, by: 7) { compressed[i] ^= 0x5A }
            try directory.write(compressed, to: "corrupt.gz")
            let message = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("corrupt.gz")) })
            #expect(message.contains("corrupt gzip data"), "\(message)")

            // A damaged CRC alone is caught too: the data decodes but fails zlib's check.
            var badCheck = try Gzip.compress(try IDXWriter.encode(values, shape: [5000]))
            badCheck[badCheck.count - 6] ^= 0xFF
            try directory.write(badCheck, to: "crc.gz")
            let crc = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("crc.gz")) })
            #expect(crc.contains("corrupt gzip data (incorrect data check)"), "\(crc)")
        }

        @Test func countMismatchNamesBothFiles() throws {
            let directory = try TemporaryDirectory()
            let (images, _) = sampleImages(count: 5)
            try IDXWriter.write(images.map(Float.init), shape: [5, 28, 28], to: directory.file("train-images-idx3-ubyte.gz"),
                                gzip: true)
            try IDXWriter.write([1, 2, 3, 4], shape: [4], to: directory.file("train-labels-idx1-ubyte"))
            let message = try #require(dataErrorMessage { try IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false) })
            #expect(message.contains("train-images-idx3-ubyte.gz has 5 images"), "\(message)")
            #expect(message.contains("train-labels-idx1-ubyte has 4 labels"), "\(message)")
        }

        @Test func zeroDimension() throws {
            let directory = try TemporaryDirectory()
            try directory.write([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 28], to: "zero")
            let message = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("zero")) })
            #expect(message.contains("dimension 1 of shape [2, 0, 28] is zero"), "\(message)")
            try directory.write([0, 0, 8, 0], to: "rank0")
            #expect(dataErrorMessage { try IDXLoader.readArray(directory.file("rank0")) }?.contains("not an IDX file") == true)
        }

        @Test func absurdSizesFailBeforeAllocating() throws {
            let directory = try TemporaryDirectory()
            let huge: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
            try directory.write([0, 0, 0x0E, 3] + huge + huge + huge, to: "overflow")
            let overflow = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("overflow")) })
            #expect(overflow.contains("absurd size"), "\(overflow)")

            // 16777215 x 65535 bytes: no overflow, but far more than the file holds.
            let large: [UInt8] = [0, 0, 8, 2, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 1, 2, 3]
            try directory.write(large, to: "big")
            let big = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("big")) })
            #expect(big.contains("truncated: expected 1099494785025 bytes"), "\(big)")
            #expect(big.contains("found 3"), "\(big)")

            try directory.write(try Gzip.compress(large), to: "big.gz")
            let bigGzip = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("big.gz")) })
            #expect(bigGzip.contains("absurd size"), "\(bigGzip)")
        }

        @Test func trailingDataIsAnError() throws {
            let directory = try TemporaryDirectory()
            let bytes = try IDXWriter.encode([1, 2, 3], shape: [3]) + [9, 9]
            try directory.write(bytes, to: "long")
            let plain = try #require(dataErrorMessage { try IDXLoader.readArray(directory.file("long")) })
            #expect(plain.contains("unexpected data after the end"), "\(plain)")
            #expect(plain.contains("2 extra bytes"), "\(plain)")
            try directory.write(try Gzip.compress(bytes), to: "long.gz")
            #expect(dataErrorMessage { try IDXLoader.readArray(directory.file("long.gz")) }?
                .contains("unexpected data after the end") == true)
        }

        @Test func labelsMustBeClassIndices() throws {
            let directory = try TemporaryDirectory()
            try IDXWriter.write([Float](repeating: 0, count: 32), shape: [2, 4, 4], to: directory.file("train-images-idx3-ubyte"))
            try IDXWriter.write([1, 1.5], shape: [2], as: .float, to: directory.file("train-labels-idx1-ubyte"))
            let message = try #require(dataErrorMessage { try IDXLoader.loadDirectory(directory.path, scale: nil, flatten: false) })
            #expect(message.contains("label 1.5 at index 1 is not a class index"), "\(message)")
        }

        /// Random damage to valid plain and gzip files: every outcome is a dataset or a DataError, never a crash.
        @Test func damagedFilesNeverCrash() throws {
            let directory = try TemporaryDirectory()
            let valid = try IDXWriter.encode((0..<600).map { Float($0 % 256) }, shape: [6, 10, 10])
            let compressed = try Gzip.compress(valid)
            var random = SeededGenerator(seed: 11)
            for trial in 0..<300 {
                var bytes = trial % 2 == 0 ? valid : compressed
                switch trial % 3 {
                case 0: bytes = Array(bytes.prefix(random.nextIndex(below: bytes.count + 1)))
                case 1:
                    for _ in 0..<(1 + random.nextIndex(below: 4)) {
                        bytes[random.nextIndex(below: bytes.count)] = UInt8(random.nextIndex(below: 256))
                    }
                default: bytes.insert(UInt8(random.nextIndex(below: 256)), at: random.nextIndex(below: bytes.count))
                }
                try directory.write(bytes, to: "damaged")
                if let message = dataErrorMessage({ try IDXLoader.readArray(directory.file("damaged")) }) {
                    #expect(!message.hasPrefix("unexpected error"), "\(message)")
                }
            }
        }
    }
}
