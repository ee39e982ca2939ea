// A small PNG decoder written independently of the encoder, for the image tests: checks the
// signature and every chunk's CRC (own table-driven CRC-32), inflates IDAT with zlib and undoes the filters.

import CZlib

struct DecodedPNG {
    var width = 0
    var height = 0
    var bitDepth = 0
    var colorType = 0
    var interlace = 0
    var chunkTypes: [String] = []
    var filterTypes: [UInt8] = []
    var pixels: [UInt8] = []

    var channels: Int { colorType == 2 ? 3 : 1 }
}

struct PNGDecodeError: Error, CustomStringConvertible {
    let description: String
}

enum PNGDecoder {
    /// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) as the PNG specification's annex gives it.
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func bigEndian(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        bytes[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func decode(_ bytes: [UInt8]) throws -> DecodedPNG {
        guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else {
            throw PNGDecodeError(description: "bad signature")
        }
        var png = DecodedPNG()
        var compressed: [UInt8] = []
        var at = 8
        while at < bytes.count {
            guard at + 12 <= bytes.count else { throw PNGDecodeError(description: "truncated chunk header") }
            let length = Int(bigEndian(bytes, at))
            guard at + 12 + length <= bytes.count else { throw PNGDecodeError(description: "truncated chunk") }
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            let data = Array(bytes[(at + 8)..<(at + 8 + length)])
            guard crc(bytes[(at + 4)..<(at + 8 + length)]) == bigEndian(bytes, at + 8 + length) else {
                throw PNGDecodeError(description: "CRC mismatch in \(type)")
            }
            png.chunkTypes.append(type)
            switch type {
            case "IHDR":
                guard length == 13 else { throw PNGDecodeError(description: "IHDR length \(length)") }
                png.width = Int(bigEndian(data, 0))
                png.height = Int(bigEndian(data, 4))
                png.bitDepth = Int(data[8])
                png.colorType = Int(data[9])
                guard data[10] == 0, data[11] == 0 else { throw PNGDecodeError(description: "bad compression/filter method") }
                png.interlace = Int(data[12])
            case "IDAT":
                compressed += data
            default:
                break
            }
            at += 12 + length
        }
        guard png.chunkTypes.first == "IHDR", png.chunkTypes.last == "IEND" else {
            throw PNGDecodeError(description: "chunks \(png.chunkTypes)")
        }
        let rowBytes = png.width * png.channels
        var raw = [UInt8](repeating: 0, count: png.height * (rowBytes + 1))
        var rawLength = uLongf(raw.count)
        let status = uncompress(&raw, &rawLength, compressed, uLong(compressed.count))
        guard status == Z_OK, Int(rawLength) == raw.count else {
            throw PNGDecodeError(description: "inflate status \(status), \(rawLength) of \(raw.count) bytes")
        }
        png.pixels = try unfilter(raw, rowBytes: rowBytes, height: png.height, bpp: png.channels,
                                  filterTypes: &png.filterTypes)
        return png
    }

    /// Reverses the five PNG filters row by row (specification section 9).
    static func unfilter(_ raw: [UInt8], rowBytes: Int, height: Int, bpp: Int,
                         filterTypes: inout [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rowBytes * height)
        for y in 0..<height {
            let filter = raw[y * (rowBytes + 1)]
            filterTypes.append(filter)
            for i in 0..<rowBytes {
                let x = raw[y * (rowBytes + 1) + 1 + i]
                let a = i >= bpp ? Int(out[y * rowBytes + i - bpp]) : 0
                let b = y > 0 ? Int(out[(y - 1) * rowBytes + i]) : 0
                let c = i >= bpp && y > 0 ? Int(out[(y - 1) * rowBytes + i - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c
                    let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw PNGDecodeError(description: "unknown filter \(filter) in row \(y)")
                }
                out[y * rowBytes + i] = x &+ UInt8(predictor)
            }
        }
        return out
    }
}

extension PNGDecoder {
    /// The CRC of `bytes` as the four big-endian bytes a chunk ends with.
    static func crcBytes(_ bytes: [UInt8]) -> [UInt8] {
        let value = crc(bytes[...])
        return [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
