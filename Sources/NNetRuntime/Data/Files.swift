// Small POSIX file helpers for the data loaders: existence checks, whole-file reads and writes.
// Stage: runtime (data). Errors come back as DataError naming the path and the system's reason.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Files {
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The last path component without a trailing slash: `/data/fashion-mnist/` -> `fashion-mnist`.
    static func baseName(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    }

    static func systemError(_ what: String) -> String {
        "\(what): \(String(cString: strerror(errno)))"
    }

    /// Opens a regular file for reading and returns its descriptor and size.
    static func openForReading(_ path: String) throws -> (descriptor: Int32, size: Int) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw DataError(path: path, systemError("cannot open")) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let error = DataError(path: path, systemError("cannot read file status"))
            close(descriptor)
            throw error
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw DataError(path: path, "is not a regular file")
        }
        return (descriptor, Int(info.st_size))
    }

    /// Reads up to `buffer.count` bytes, retrying short reads; returns fewer only at end of file.
    static func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        var done = 0
        while done < buffer.count {
            let got = read(descriptor, buffer.baseAddress! + done, buffer.count - done)
            if got == 0 { break }
            if got < 0 {
                if errno == EINTR { continue }
                throw DataError(path: path, systemError("read failed"))
            }
            done += got
        }
        return done
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let (descriptor, size) = try openForReading(path)
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: size)
        let got = try bytes.withUnsafeMutableBytes { try readFully(descriptor, into: $0, path: path) }
        if got < size { bytes.removeLast(size - got) }
        return bytes
    }

    static func writeAll(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw DataError(path: path, systemError("cannot create")) }
        defer { close(descriptor) }
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let wrote = write(descriptor, buffer.baseAddress! + done, buffer.count - done)
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw DataError(path: path, systemError("write failed"))
                }
                done += wrote
            }
        }
    }

    /// `mkdir -p`.
    static func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix) && mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw DataError(path: prefix, systemError("cannot create directory"))
            }
            prefix += "/"
        }
    }

    /// Physical memory in bytes, used to refuse loads that could never fit (0 when unknown).
    static var physicalMemory: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && pageSize > 0 ? pages.multipliedReportingOverflow(by: pageSize).partialValue : 0
    }
}
