// Transparent huge pages for large, freshly allocated arrays (datasets). Stage: runtime (data).
//
// A mini-batch gathers rows from random places in a dataset of hundreds of MB: with 4 KiB pages
// nearly every row is a TLB miss, and loading faults in one page per 4 KiB. Linux backs a range
// with 2 MiB pages when asked (`madvise(MADV_HUGEPAGE)`, honoured when THP is in `madvise` or
// `always` mode), which must happen before the pages are first touched. Elsewhere: no-op.

#if canImport(Glibc)
import Glibc
#endif

enum HugePages {
    static let size = 2 << 20

    /// Asks for huge pages on the whole 2 MiB-aligned pages inside `[start, start + byteCount)`.
    /// Advice only: failure (no THP, another OS) changes nothing but speed.
    static func advise(_ start: UnsafeMutableRawPointer, byteCount: Int) {
        #if os(Linux)
        guard byteCount >= 2 * size else { return }
        let first = (Int(bitPattern: start) + size - 1) & ~(size - 1)
        let end = (Int(bitPattern: start) + byteCount) & ~(size - 1)
        guard end > first, let pointer = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(pointer, end - first, MADV_HUGEPAGE)
        #endif
    }
}
