// The PNG encoder: every image decodes back to its pixels with an independent decoder, chunks and
// CRCs are well formed, the filter choice is the expected one on images where it is unambiguous.

import Testing
import NNetRuntime

/// Parent of the image suites: `swift test --filter NNetRuntimeTests.ImageTests`.
@Suite("Images") enum ImageTests {}

struct ImageCase: CustomStringConvertible, Sendable {
    let width: Int
    let height: Int
    let channels: Int
    var description: String { "\(width)x\(height)x\(channels)" }

    /// A deterministic mix of smooth ramps and noise rows, so that the chosen filter varies by row.
    var pixels: [UInt8] {
        var state: UInt32 = 2_463_534_242
        return (0..<(width * height * channels)).map { index in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            let x = index / channels % width, y = index / channels / width
            return y % 3 == 2 ? UInt8(truncatingIfNeeded: state) : UInt8(truncatingIfNeeded: 7 * x + 11 * y + index % channels)
        }
    }
}

extension ImageTests {
    @Suite("PNG")
    struct PNGTests {
        static let cases = [
            ImageCase(width: 1, height: 1, channels: 1), ImageCase(width: 1, height: 1, channels: 3),
            ImageCase(width: 3, height: 5, channels: 1), ImageCase(width: 3, height: 5, channels: 3),
            ImageCase(width: 5, height: 3, channels: 3), ImageCase(width: 1, height: 7, channels: 3),
            ImageCase(width: 37, height: 29, channels: 1), ImageCase(width: 64, height: 33, channels: 3),
        ]

        @Test("decodes back to the same pixels", arguments: cases)
        func roundTrip(image: ImageCase) throws {
            let pixels = image.pixels
            let bytes = try PNG.encode(width: image.width, height: image.height, channels: image.channels, pixels: pixels)
            let decoded = try PNGDecoder.decode(bytes)
            #expect(decoded.width == image.width)
            #expect(decoded.height == image.height)
            #expect(decoded.bitDepth == 8)
            #expect(decoded.colorType == (image.channels == 1 ? 0 : 2))
            #expect(decoded.interlace == 0)
            #expect(decoded.chunkTypes == ["IHDR", "IDAT", "IEND"])
            #expect(decoded.pixels == pixels)
            if image.height >= 6 && image.width >= 6 {
                #expect(Set(decoded.filterTypes).count > 1, "ramps and noise rows should pick different filters")
            }
        }

        @Test func headerAndTrailerBytes() throws {
            let bytes = try PNG.encode(width: 3, height: 5, channels: 3, pixels: [UInt8](repeating: 9, count: 45))
            #expect(Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            // IHDR: length 13, type, width 3, height 5, depth 8, RGB, deflate, adaptive filter, no interlace
            #expect(Array(bytes[8..<33]) == [0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 3, 0, 0, 0, 5, 8, 2, 0, 0, 0]
                    + PNGDecoder.crcBytes(Array(bytes[12..<29])))
            // IEND with its well-known CRC AE 42 60 82
            #expect(Array(bytes.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
        }

        @Test func corruptionIsCaughtByTheCRC() throws {
            var bytes = try PNG.encode(width: 4, height: 4, channels: 1, pixels: (0..<16).map { UInt8($0 * 16) })
            bytes[bytes.count - 20] ^= 0x01  // a byte inside the IDAT data
            #expect(throws: PNGDecodeError.self) { try PNGDecoder.decode(bytes) }
        }

        @Test func filterChoice() throws {
            let flat = try PNGDecoder.decode(PNG.encode(width: 6, height: 4, channels: 1,
                                                        pixels: [UInt8](repeating: 200, count: 24)))
            #expect(flat.filterTypes[0] == 1, "a constant first row: Sub leaves zeros after the first byte")
            #expect(flat.filterTypes.dropFirst().allSatisfy { $0 == 2 }, "later rows equal the row above: Up is all zeros")

            let noiseRow = ImageCase(width: 20, height: 1, channels: 3).pixels
            let repeated = try PNGDecoder.decode(PNG.encode(width: 20, height: 5, channels: 3,
                                                            pixels: Array((0..<5).map { _ in noiseRow }.joined())))
            #expect(repeated.filterTypes.dropFirst() == [2, 2, 2, 2])

            let zeros = try PNGDecoder.decode(PNG.encode(width: 5, height: 2, channels: 1, pixels: [UInt8](repeating: 0, count: 10)))
            #expect(zeros.filterTypes == [0, 0], "all filters tie at zero cost; the first (None) wins")
        }

        @Test func invalidImagesThrow() {
            #expect(throws: ImageError.self) { try PNG.encode(width: 2, height: 2, channels: 2, pixels: [UInt8](repeating: 0, count: 8)) }
            #expect(throws: ImageError.self) { try PNG.encode(width: 0, height: 2, channels: 1, pixels: []) }
            #expect(throws: ImageError.self) { try PNG.encode(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 0, count: 11)) }
            #expect(throws: ImageError.self) { try PNG.encode(width: 2, height: -1, channels: 1, pixels: []) }
        }

        @Test func writeIsAtomicAndReadable() throws {
            let directory = try TemporaryDirectory()
            let path = directory.file("image.png")
            let pixels = ImageCase(width: 9, height: 4, channels: 3).pixels
            try PNG.write(width: 9, height: 4, channels: 3, pixels: [UInt8](repeating: 1, count: 108), to: path)
            try PNG.write(width: 9, height: 4, channels: 3, pixels: pixels, to: path)  // replaces the first
            #expect(try PNGDecoder.decode(directory.read("image.png")).pixels == pixels)
            #expect(try directory.read("image.png") == PNG.encode(width: 9, height: 4, channels: 3, pixels: pixels))
            #expect((try? directory.read("image.png.tmp")) == nil, "no temporary file left behind")

            let missing = directory.file("no/such/dir/image.png")
            do {
                try PNG.write(width: 1, height: 1, channels: 1, pixels: [0], to: missing)
                Issue.record("writing into a missing directory should throw")
            } catch let error as ImageError {
                #expect(error.path == missing)
                #expect(error.description.hasPrefix(missing + ": "))
            }
        }
    }
}
