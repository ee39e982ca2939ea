// Reads a long run of bytes in 1 MB chunks, optionally inflating the next chunks on a worker thread.
// Stage: runtime (data). Lets IDX decoding overlap gzip inflation with Float conversion.

import Dispatch

enum ChunkedRead {
    /// Slots in flight between the reading thread and the consumer.
    static let slotCount = 4

    /// Hands consecutive chunks of `reader`'s next `byteCount` bytes to `consume`, in order; every
    /// chunk is ByteReader.chunkSize bytes except the last. Stops early when the data ends and
    /// returns the bytes delivered. With `parallel`, a worker thread reads (inflates) ahead while
    /// `consume` runs: Fashion-MNIST's train images then load in the time inflation alone takes,
    /// since the Float conversion (mostly first-touch page faults on the new array, ~90 ms) is hidden.
    static func read(_ reader: ByteReader, byteCount: Int, parallel: Bool,
                     consume: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        parallel ? try readAhead(reader, byteCount: byteCount, consume: consume)
                 : try readInline(reader, byteCount: byteCount, consume: consume)
    }

    private static func readInline(_ reader: ByteReader, byteCount: Int,
                                   consume: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: ByteReader.chunkSize, alignment: 64)
        defer { chunk.deallocate() }
        var delivered = 0
        while delivered < byteCount {
            let want = min(byteCount - delivered, chunk.count)
            let got = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<want]))
            consume(UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
            delivered += got
            if got < want { break }
        }
        return delivered
    }

    /// Shared between the worker (fills slots) and the caller (drains them); the semaphores order
    /// every access, so plain memory suffices.
    private final class Ring: @unchecked Sendable {
        let slots = (0..<slotCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: ByteReader.chunkSize, alignment: 64)
        }
        /// Bytes in each slot, or -1 when reading failed with `error`.
        var lengths = [Int](repeating: 0, count: slotCount)
        var error: Error?
        // Created at 0 and signalled up: libdispatch traps if a semaphore is destroyed below its
        // initial value, which `free` would be after an error.
        let free = DispatchSemaphore(value: 0)
        let filled = DispatchSemaphore(value: 0)
        let workerDone = DispatchSemaphore(value: 0)

        init() {
            for _ in 0..<slotCount { free.signal() }
        }

        deinit { slots.forEach { $0.deallocate() } }
    }

    private static func readAhead(_ reader: ByteReader, byteCount: Int,
                                  consume: (UnsafeRawBufferPointer) -> Void) throws -> Int {
        let ring = Ring()
        let chunkSize = ByteReader.chunkSize
        DispatchQueue.global(qos: .userInitiated).async {
            defer { ring.workerDone.signal() }
            var requested = 0, slot = 0
            while requested < byteCount {
                ring.free.wait()
                let want = min(byteCount - requested, chunkSize)
                do {
                    ring.lengths[slot] = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: ring.slots[slot][0..<want]))
                } catch {
                    ring.error = error
                    ring.lengths[slot] = -1
                }
                let got = ring.lengths[slot]
                ring.filled.signal()
                if got < want { return }
                requested += want
                slot = (slot + 1) % slotCount
            }
        }
        defer { ring.workerDone.wait() }  // the worker never outlives this call (it uses `reader`)
        var delivered = 0, slot = 0
        while delivered < byteCount {
            ring.filled.wait()
            let want = min(byteCount - delivered, chunkSize)
            let got = ring.lengths[slot]
            if got < 0 { throw ring.error! }
            consume(UnsafeRawBufferPointer(rebasing: ring.slots[slot][0..<got]))
            ring.free.signal()
            delivered += got
            if got < want { break }
            slot = (slot + 1) % slotCount
        }
        return delivered
    }
}
