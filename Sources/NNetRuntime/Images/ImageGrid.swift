// Tiles a batch of images into one PNG: generated samples as a grid, reconstructions beside originals.
// Stage: runtime (output). Float pixels in [0, 1] (clamped) become 8-bit; the PNG comes from PNG.swift.

public enum ImageGrid {
    /// Where the tiles of a grid go: `columns × rows` tiles of `tileWidth × tileHeight` pixels with
    /// `padding` pixels between neighbours and none around the outside, filled row by row.
    public struct Layout: Equatable, Sendable {
        public let count: Int
        public let columns: Int
        public let rows: Int
        public let tileWidth: Int
        public let tileHeight: Int
        public let padding: Int

        /// `columns` defaults to ceil(sqrt(count)), and is capped at `count` so that no column is empty.
        public init(count: Int, tileHeight: Int, tileWidth: Int, columns: Int? = nil, padding: Int = 2) throws {
            guard count > 0, tileHeight > 0, tileWidth > 0, padding >= 0 else {
                throw ImageError(path: nil, "an image grid needs at least one image of positive size and padding >= 0, "
                                 + "given \(count) image(s) of \(tileHeight)x\(tileWidth), padding \(padding)")
            }
            if let columns, columns <= 0 {
                throw ImageError(path: nil, "an image grid needs at least one column, given \(columns)")
            }
            self.count = count
            self.columns = min(columns ?? Self.defaultColumns(count), count)
            self.rows = (count + self.columns - 1) / self.columns
            self.tileWidth = tileWidth
            self.tileHeight = tileHeight
            self.padding = padding
        }

        /// The smallest c with c * c >= count.
        static func defaultColumns(_ count: Int) -> Int {
            var columns = Int(Double(count).squareRoot().rounded(.down))
            while columns * columns < count { columns += 1 }
            return max(columns, 1)
        }

        public var width: Int { columns * tileWidth + (columns - 1) * padding }
        public var height: Int { rows * tileHeight + (rows - 1) * padding }

        /// The top-left pixel of tile `index` (row-major: index 0 top left, then to the right).
        public func origin(of index: Int) -> (x: Int, y: Int) {
            (index % columns * (tileWidth + padding), index / columns * (tileHeight + padding))
        }
    }

    /// The gray of the padding and of the unused cells of the last row: mid-gray, so tiles stay
    /// apart whether their backgrounds are black (Fashion-MNIST) or white.
    public static let background: UInt8 = 128

    /// Renders `count` images (`count × height × width × channels` floats, row-major; values clamped to
    /// [0, 1], NaN drawn as 0) into one 8-bit canvas laid out by `Layout`. `channels` is 1 or 3.
    public static func render(images: [Float], count: Int, height: Int, width: Int, channels: Int,
                              columns: Int? = nil, padding: Int = 2) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let layout = try Layout(count: count, tileHeight: height, tileWidth: width, columns: columns, padding: padding)
        guard channels == 1 || channels == 3 else {
            throw ImageError(path: nil, "images need 1 (grayscale) or 3 (RGB) channels, given \(channels)")
        }
        let tileSize = height * width * channels
        guard images.count == count * tileSize else {
            throw ImageError(path: nil, "\(images.count) values are not \(count) images of \(height)x\(width)x\(channels)")
        }
        let rowBytes = layout.width * channels
        var canvas = [UInt8](repeating: background, count: layout.height * rowBytes)
        for index in 0..<count {
            let (x0, y0) = layout.origin(of: index)
            for y in 0..<height {
                let source = index * tileSize + y * width * channels
                let target = (y0 + y) * rowBytes + x0 * channels
                for i in 0..<(width * channels) {
                    canvas[target + i] = quantize(images[source + i])
                }
            }
        }
        return (layout.width, layout.height, canvas)
    }

    /// Writes `count` images as one PNG grid; see `render` for the layout and the value range.
    public static func write(images: [Float], count: Int, height: Int, width: Int, channels: Int,
                             columns: Int? = nil, padding: Int = 2, to path: String) throws {
        let canvas = try render(images: images, count: count, height: height, width: width, channels: channels,
                                columns: columns, padding: padding)
        try PNG.write(width: canvas.width, height: canvas.height, channels: channels, pixels: canvas.pixels, to: path)
    }

    /// Writes each original with its reconstruction immediately to its right, `padding` pixels apart;
    /// pairs are laid out as a grid of `columns` pairs per row (default ceil(sqrt(count))) with
    /// `2 * padding` between pairs, so that the pairing reads at a glance.
    public static func writePairs(originals: [Float], reconstructions: [Float], count: Int, height: Int, width: Int,
                                  channels: Int, columns: Int? = nil, padding: Int = 2, to path: String) throws {
        let pairs = try pairImages(originals: originals, reconstructions: reconstructions, count: count,
                                   height: height, width: width, channels: channels, padding: padding)
        try write(images: pairs.images, count: count, height: height, width: pairs.width, channels: channels,
                  columns: columns, padding: 2 * padding, to: path)
    }

    /// Renders what `writePairs` writes, without writing it.
    public static func renderPairs(originals: [Float], reconstructions: [Float], count: Int, height: Int, width: Int,
                                   channels: Int, columns: Int? = nil,
                                   padding: Int = 2) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let pairs = try pairImages(originals: originals, reconstructions: reconstructions, count: count,
                                   height: height, width: width, channels: channels, padding: padding)
        return try render(images: pairs.images, count: count, height: height, width: pairs.width, channels: channels,
                          columns: columns, padding: 2 * padding)
    }

    // MARK: - Helpers

    /// Each pair as one image `height × (2 * width + padding)`: original, a gap of background gray, reconstruction.
    static func pairImages(originals: [Float], reconstructions: [Float], count: Int, height: Int, width: Int,
                           channels: Int, padding: Int) throws -> (images: [Float], width: Int) {
        guard originals.count == reconstructions.count else {
            throw ImageError(path: nil, "\(originals.count) original values but \(reconstructions.count) reconstruction values")
        }
        guard count > 0, height > 0, width > 0, channels > 0, padding >= 0,
              originals.count == count * height * width * channels else {
            throw ImageError(path: nil, "\(originals.count) values are not \(count) images of \(height)x\(width)x\(channels)")
        }
        let pairWidth = 2 * width + padding
        let gap = Float(background) / 255
        var images = [Float](repeating: gap, count: count * height * pairWidth * channels)
        let row = width * channels
        for index in 0..<count {
            for y in 0..<height {
                let source = (index * height + y) * row
                let target = (index * height + y) * pairWidth * channels
                images.replaceSubrange(target..<(target + row), with: originals[source..<(source + row)])
                let right = target + (width + padding) * channels
                images.replaceSubrange(right..<(right + row), with: reconstructions[source..<(source + row)])
            }
        }
        return (images, pairWidth)
    }

    /// [0, 1] to 0...255, rounding to nearest; out-of-range values clamp and NaN becomes 0.
    @inline(__always)
    static func quantize(_ value: Float) -> UInt8 {
        guard value > 0 else { return 0 }
        return value >= 1 ? 255 : UInt8((value * 255).rounded())
    }
}
