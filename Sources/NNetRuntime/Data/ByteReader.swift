// A file's bytes in order, inflating gzip transparently (detected by the 1f 8b magic, not the name).
// Stage: runtime (data). Used by the IDX reader; streams into caller buffers so nothing is copied twice.

import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a plain or gzip-compressed file front to back.
///
/// `read(into:)` fills the caller's buffer and returns fewer bytes only at the end of the data.
/// gzip input is read in 1 MB chunks and inflated straight into the caller's buffer; concatenated
/// gzip members are read as one stream; bytes after the last member that are not another member
/// are ignored (as `gzip -d` does). Corrupt or truncated compressed data throws a DataError.
final class ByteReader {
    let path: String
    /// Size of the file on disk (compressed size for gzip).
    let fileSize: Int
    let isGzip: Bool
    private let descriptor: Int32
    private var stream: UnsafeMutablePointer<z_stream>?
    private var input: UnsafeMutableRawBufferPointer?
    private var inputExhausted = false
    private var finished = false
    /// Bytes handed out so far (uncompressed).
    private(set) var position = 0

    static let chunkSize = 1 << 20

    init(path: String) throws {
        self.path = path
        let (descriptor, fileSize) = try Files.openForReading(path)
        var magic: (UInt8, UInt8) = (0, 0)
        let got = withUnsafeMutableBytes(of: &magic) { pread(descriptor, $0.baseAddress!, 2, 0) }
        self.descriptor = descriptor
        self.fileSize = fileSize
        isGzip = got == 2 && magic == (0x1f, 0x8b)
        guard isGzip else { return }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        self.stream = stream
        input = .allocate(byteCount: Self.chunkSize, alignment: 16)
        // windowBits 15 + 32: accept a gzip or zlib header, full 32 KB window.
        guard inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            self.stream = nil
            throw DataError(path: path, "cannot initialise zlib")
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        input?.deallocate()
        close(descriptor)
    }

    /// Fills `buffer`; returns fewer than `buffer.count` bytes only when the data ends.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        let got = isGzip ? try inflate(into: buffer) : try Files.readFully(descriptor, into: buffer, path: path)
        position += got
        return got
    }

    /// True when no bytes remain (reads at most one byte to find out, then reports it as trailing data).
    func isAtEnd() throws -> Bool {
        var byte: UInt8 = 0
        return try withUnsafeMutableBytes(of: &byte) { try read(into: $0) } == 0
    }

    // MARK: - gzip

    private func inflate(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let stream, let input else { return 0 }
        var produced = 0
        while produced < buffer.count && !finished {
            if stream.pointee.avail_in == 0, try !refill(stream, input) {
                throw DataError(path: path, "gzip data is truncated: the compressed stream ends before its end "
                                + "marker (after \(position + produced) uncompressed bytes)")
            }
            let room = min(buffer.count - produced, Int(UInt32.max))
            stream.pointee.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(room)
            let availableBefore = stream.pointee.avail_in
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            produced += room - Int(stream.pointee.avail_out)
            switch status {
            case Z_OK:
                continue
            case Z_BUF_ERROR where availableBefore == 0:
                continue
            case Z_STREAM_END:
                try startNextMember(stream, input)
            default:
                throw corrupt(stream, status)
            }
        }
        return produced
    }

    /// After one member ends: continue if another gzip member follows, otherwise stop.
    private func startNextMember(_ stream: UnsafeMutablePointer<z_stream>, _ input: UnsafeMutableRawBufferPointer) throws {
        if stream.pointee.avail_in == 0, try !refill(stream, input) {
            finished = true
            return
        }
        guard stream.pointee.next_in.pointee == 0x1f else {
            finished = true
            return
        }
        guard inflateReset(stream) == Z_OK else { throw corrupt(stream, Z_STREAM_ERROR) }
    }

    /// Reads the next compressed chunk; false at end of file.
    private func refill(_ stream: UnsafeMutablePointer<z_stream>, _ input: UnsafeMutableRawBufferPointer) throws -> Bool {
        guard !inputExhausted else { return false }
        let got = try Files.readFully(descriptor, into: input, path: path)
        if got < input.count { inputExhausted = true }
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_in = UInt32(got)
        return got > 0
    }

    @inline(never)
    private func corrupt(_ stream: UnsafeMutablePointer<z_stream>, _ status: Int32) -> DataError {
        let reason = stream.pointee.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        return DataError(path: path, "corrupt gzip data (\(reason)) after \(position) uncompressed bytes")
    }
}

// MARK: - Compression

/// gzip compression through zlib, for writing `.gz` fixtures (reading goes through ByteReader).
public enum Gzip {
    /// Compresses `bytes` into a single gzip member (inputs up to 4 GB); level 0 (store) to 9 (smallest).
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        // zlib keeps a pointer back to the stream, so the stream lives at a fixed heap address.
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // windowBits 15 + 16: write a gzip header and trailer; memLevel 8 is zlib's default.
        guard deflateInit2_(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError(path: nil, "cannot initialise zlib")
        }
        defer { deflateEnd(stream) }
        let bound = Int(deflateBound(stream, uLong(bytes.count)))
        var output = [UInt8](repeating: 0, count: bound)
        let status = bytes.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { out in
                stream.pointee.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.pointee.avail_in = UInt32(input.count)
                stream.pointee.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.pointee.avail_out = UInt32(out.count)
                return deflate(stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw DataError(path: nil, "gzip compression failed (zlib status \(status))") }
        output.removeLast(bound - Int(stream.pointee.total_out))
        return output
    }
}
