// Image grids: the layout arithmetic, where each tile's pixels land, clamping, the side-by-side
// pairs for reconstructions, and the written PNG decoding back to the rendered canvas.

import Testing
import NNetRuntime

extension ImageTests {
    @Suite("Image grid")
    struct ImageGridTests {
        // MARK: - Layout

        struct LayoutCase: CustomStringConvertible, Sendable {
            let count: Int, columns: Int?, expectedColumns: Int, expectedRows: Int
            var description: String { "\(count) images, columns \(columns.map(String.init) ?? "default")" }
        }

        static let layouts = [
            LayoutCase(count: 1, columns: nil, expectedColumns: 1, expectedRows: 1),
            LayoutCase(count: 2, columns: nil, expectedColumns: 2, expectedRows: 1),
            LayoutCase(count: 5, columns: nil, expectedColumns: 3, expectedRows: 2),
            LayoutCase(count: 10, columns: nil, expectedColumns: 4, expectedRows: 3),
            LayoutCase(count: 16, columns: nil, expectedColumns: 4, expectedRows: 4),
            LayoutCase(count: 17, columns: nil, expectedColumns: 5, expectedRows: 4),
            LayoutCase(count: 64, columns: nil, expectedColumns: 8, expectedRows: 8),
            LayoutCase(count: 7, columns: 3, expectedColumns: 3, expectedRows: 3),
            LayoutCase(count: 7, columns: 1, expectedColumns: 1, expectedRows: 7),
            LayoutCase(count: 3, columns: 10, expectedColumns: 3, expectedRows: 1),
        ]

        @Test("columns and rows", arguments: layouts)
        func layoutShape(layout: LayoutCase) throws {
            let grid = try ImageGrid.Layout(count: layout.count, tileHeight: 28, tileWidth: 28, columns: layout.columns)
            #expect(grid.columns == layout.expectedColumns)
            #expect(grid.rows == layout.expectedRows)
            #expect(grid.width == layout.expectedColumns * 30 - 2)
            #expect(grid.height == layout.expectedRows * 30 - 2)
        }

        @Test func tileOrigins() throws {
            let grid = try ImageGrid.Layout(count: 10, tileHeight: 5, tileWidth: 3, padding: 1)
            #expect(grid.width == 4 * 3 + 3 * 1)
            #expect(grid.height == 3 * 5 + 2 * 1)
            #expect(grid.origin(of: 0) == (0, 0))
            #expect(grid.origin(of: 3) == (12, 0))
            #expect(grid.origin(of: 4) == (0, 6))
            #expect(grid.origin(of: 9) == (4, 12))
            let tight = try ImageGrid.Layout(count: 4, tileHeight: 2, tileWidth: 2, padding: 0)
            #expect(tight.width == 4 && tight.height == 4 && tight.origin(of: 3) == (2, 2))
        }

        @Test func invalidLayoutsThrow() {
            #expect(throws: ImageError.self) { try ImageGrid.Layout(count: 0, tileHeight: 2, tileWidth: 2) }
            #expect(throws: ImageError.self) { try ImageGrid.Layout(count: 2, tileHeight: 2, tileWidth: 2, columns: 0) }
            #expect(throws: ImageError.self) { try ImageGrid.Layout(count: 2, tileHeight: 2, tileWidth: 2, padding: -1) }
            #expect(throws: ImageError.self) {
                try ImageGrid.render(images: [0, 0, 0], count: 1, height: 2, width: 2, channels: 1)
            }
            #expect(throws: ImageError.self) {
                try ImageGrid.render(images: [Float](repeating: 0, count: 8), count: 1, height: 2, width: 2, channels: 2)
            }
            #expect(throws: ImageError.self) {
                try ImageGrid.renderPairs(originals: [0, 0, 0, 0], reconstructions: [0, 0, 0], count: 1, height: 2,
                                          width: 2, channels: 1)
            }
        }

        // MARK: - Rendering

        /// Image i, pixel (y, x), channel c holds a distinct value, so any misplaced byte shows.
        static func images(count: Int, height: Int, width: Int, channels: Int) -> [Float] {
            (0..<(count * height * width * channels)).map { Float($0 % 251) / 255 }
        }

        @Test("every canvas pixel is its tile's pixel or background", arguments: [1, 3])
        func renderPlacesTiles(channels: Int) throws {
            let (count, height, width, padding) = (7, 3, 5, 2)
            let images = Self.images(count: count, height: height, width: width, channels: channels)
            let canvas = try ImageGrid.render(images: images, count: count, height: height, width: width,
                                              channels: channels, columns: 3, padding: padding)
            #expect(canvas.width == 3 * 5 + 2 * 2 && canvas.height == 3 * 3 + 2 * 2)
            #expect(canvas.pixels.count == canvas.width * canvas.height * channels)
            for y in 0..<canvas.height {
                for x in 0..<canvas.width {
                    let (column, inX) = x.quotientAndRemainder(dividingBy: width + padding)
                    let (row, inY) = y.quotientAndRemainder(dividingBy: height + padding)
                    let index = row * 3 + column
                    for c in 0..<channels {
                        let got = canvas.pixels[(y * canvas.width + x) * channels + c]
                        if inX < width, inY < height, index < count {
                            let value = images[((index * height + inY) * width + inX) * channels + c]
                            #expect(got == UInt8((value * 255).rounded()), "pixel (\(x), \(y)) channel \(c)")
                        } else {
                            #expect(got == ImageGrid.background, "padding or empty cell at (\(x), \(y))")
                        }
                    }
                }
            }
        }

        @Test func valuesAreClampedAndRounded() throws {
            let values: [Float] = [-1, 0, 0.5, 1, 2, .nan, 1 / 255, 0.998, .infinity]
            let canvas = try ImageGrid.render(images: values, count: 1, height: 1, width: values.count, channels: 1)
            #expect(canvas.pixels == [0, 0, 128, 255, 255, 0, 1, 254, 255])
        }

        @Test("pairs: each original with its reconstruction to its right", arguments: [1, 3])
        func pairsLayout(channels: Int) throws {
            let (count, height, width, padding) = (5, 2, 3, 1)
            let originals = [Float](repeating: 0, count: count * height * width * channels)
            let reconstructions = [Float](repeating: 1, count: originals.count)
            let canvas = try ImageGrid.renderPairs(originals: originals, reconstructions: reconstructions, count: count,
                                                   height: height, width: width, channels: channels, padding: padding)
            // 5 pairs -> 3 per row, 2 rows; a pair is 3 + 1 + 3 = 7 wide; 2 pixels between pairs
            let pairWidth = 2 * width + padding
            #expect(canvas.width == 3 * pairWidth + 2 * 2 * padding)
            #expect(canvas.height == 2 * height + 2 * padding)
            func pixel(_ x: Int, _ y: Int) -> UInt8 { canvas.pixels[(y * canvas.width + x) * channels] }
            for pair in 0..<count {
                let x0 = pair % 3 * (pairWidth + 2 * padding), y0 = pair / 3 * (height + 2 * padding)
                for y in y0..<(y0 + height) {
                    #expect((x0..<(x0 + width)).allSatisfy { pixel($0, y) == 0 }, "original \(pair)")
                    #expect(pixel(x0 + width, y) == ImageGrid.background, "gap inside pair \(pair)")
                    #expect(((x0 + width + padding)..<(x0 + pairWidth)).allSatisfy { pixel($0, y) == 255 },
                            "reconstruction \(pair)")
                }
            }
        }

        // MARK: - Files

        @Test func writtenGridDecodesToTheRenderedCanvas() throws {
            let directory = try TemporaryDirectory()
            let images = Self.images(count: 10, height: 4, width: 3, channels: 3)
            try ImageGrid.write(images: images, count: 10, height: 4, width: 3, channels: 3, columns: nil,
                                to: directory.file("grid.png"))
            let canvas = try ImageGrid.render(images: images, count: 10, height: 4, width: 3, channels: 3)
            let decoded = try PNGDecoder.decode(directory.read("grid.png"))
            #expect(decoded.width == canvas.width && decoded.height == canvas.height && decoded.channels == 3)
            #expect(decoded.pixels == canvas.pixels)

            try ImageGrid.writePairs(originals: images, reconstructions: images.map { 1 - $0 }, count: 10, height: 4,
                                     width: 3, channels: 3, to: directory.file("pairs.png"))
            let pairs = try ImageGrid.renderPairs(originals: images, reconstructions: images.map { 1 - $0 }, count: 10,
                                                  height: 4, width: 3, channels: 3)
            #expect(try PNGDecoder.decode(directory.read("pairs.png")).pixels == pairs.pixels)
        }
    }
}
