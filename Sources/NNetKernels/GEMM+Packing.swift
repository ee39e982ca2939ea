// Packing for the GEMM: copies blocks of op(A) and op(B) into the strip layouts the micro-kernel
// streams, absorbing the transposes so no transposed matrix is ever materialised.
// Stage: kernels. Buffers come from the per-thread `GEMMWorkspace`; nothing here allocates.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Kernels {
    /// Packs op(A)[0..<rows, 0..<depth] into strips of 8 rows: strip s holds, for each p, the 8
    /// values A[8s..<8s+8, p] contiguously (`dst + s·8·depth + 8p`); rows past `rows` are zero.
    /// A is stored (m, k) with stride lda, or (k, m) when `transposed`.
    static func packA(_ a: UnsafePointer<Float>, lda: Int, transposed: Bool, rows: Int, depth: Int,
                      into dst: UnsafeMutablePointer<Float>) {
        var strip = 0
        while strip < rows {
            let height = min(tileRows, rows - strip)
            let out = dst + strip * depth
            if transposed {
                // A[i, p] = a[p·lda + i]: 8 contiguous floats per p.
                let source = a + strip
                if height == tileRows {
                    for p in 0..<depth {
                        UnsafeMutableRawPointer(out + p &* 8).storeBytes(
                            of: UnsafeRawPointer(source + p &* lda).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                    }
                } else {
                    for p in 0..<depth {
                        for i in 0..<tileRows { out[p &* 8 &+ i] = i < height ? source[p &* lda &+ i] : 0 }
                    }
                }
            } else {
                // A[i, p] = a[i·lda + p]: interleave 8 row streams, 16 columns at a time through
                // an in-register 8x16 transpose, then a scalar tail.
                let source = a + strip * lda
                var p = 0
                if height == tileRows && depth >= 16 {
                    withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 8) { registers in
                        while p + 16 <= depth {
                            transpose8x16(source + p, stride: lda, into: out + p &* 8, registers: registers.baseAddress!)
                            p += 16
                        }
                    }
                }
                while p < depth {
                    for i in 0..<tileRows { out[p &* 8 &+ i] = i < height ? source[i &* lda &+ p] : 0 }
                    p += 1
                }
            }
            strip += tileRows
        }
    }

    /// Packs op(B)[0..<depth, 0..<columns] into strips of 32 columns: strip s holds, for each p,
    /// B[p, 32s..<32s+32] contiguously (`dst + s·32·depth + 32p`); columns past `columns` are zero.
    /// B is stored (k, n) with stride ldb, or (n, k) when `transposed`.
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, depth: Int, columns: Int,
                      into dst: UnsafeMutablePointer<Float>) {
        var strip = 0
        while strip < columns {
            let width = min(tileColumns, columns - strip)
            packBStrip(b, ldb: ldb, transposed: transposed, depth: depth, column: strip, width: width,
                       into: dst + strip * depth)
            strip += tileColumns
        }
    }

    /// One 32-column strip of `packB`, starting at column `column`, `width` ≤ 32 valid columns.
    static func packBStrip(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, depth: Int, column: Int,
                           width: Int, into out: UnsafeMutablePointer<Float>) {
        if !transposed {
            // B[p, j] = b[p·ldb + j]: copy 32 contiguous floats per p.
            let source = b + column
            if width == tileColumns {
                for p in 0..<depth {
                    let from = UnsafeRawPointer(source + p &* ldb)
                    let to = UnsafeMutableRawPointer(out + p &* 32)
                    to.storeBytes(of: from.loadUnaligned(as: SIMD16<Float>.self), as: SIMD16<Float>.self)
                    to.storeBytes(of: from.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self),
                                  toByteOffset: 64, as: SIMD16<Float>.self)
                }
            } else {
                for p in 0..<depth {
                    for j in 0..<tileColumns { out[p &* 32 &+ j] = j < width ? source[p &* ldb &+ j] : 0 }
                }
            }
            return
        }
        // B[p, j] = b[j·ldb + p]: 16x16 blocks transposed in registers, then scalar tails.
        let source = b + column * ldb
        var p = 0
        if width == tileColumns && depth >= 16 {
            withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 16) { registers in
                let v = registers.baseAddress!
                while p + 16 <= depth {
                    transpose16x16(source + p, stride: ldb, into: out + p &* 32, outputStride: 32, registers: v)
                    transpose16x16(source + 16 &* ldb + p, stride: ldb, into: out + p &* 32 + 16, outputStride: 32,
                                   registers: v)
                    p += 16
                }
            }
        }
        while p < depth {
            for j in 0..<tileColumns { out[p &* 32 &+ j] = j < width ? source[j &* ldb &+ p] : 0 }
            p += 1
        }
    }

    // MARK: - In-register transposes

    /// out[8c + r] = source[r·stride + c] for r in 0..<8, c in 0..<16: eight 16-float rows become
    /// sixteen 8-float columns (two per output vector). See `zipRounds`.
    @inline(__always)
    static func transpose8x16(_ source: UnsafePointer<Float>, stride: Int, into out: UnsafeMutablePointer<Float>,
                              registers v: UnsafeMutablePointer<SIMD16<Float>>) {
        for r in 0..<8 { v[r] = Vector.load(source + r &* stride) }
        zipRounds(v, count: 8)
        for q in 0..<8 { Vector.store(v[q], out + 16 &* q) }
    }

    /// out[c·outputStride + r] = source[r·stride + c] for r, c in 0..<16.
    @inline(__always)
    static func transpose16x16(_ source: UnsafePointer<Float>, stride: Int,
                               into out: UnsafeMutablePointer<Float>, outputStride: Int,
                               registers v: UnsafeMutablePointer<SIMD16<Float>>) {
        for r in 0..<16 { v[r] = Vector.load(source + r &* stride) }
        zipRounds(v, count: 16)
        for c in 0..<16 { Vector.store(v[c], out + c &* outputStride) }
    }

    /// Transposes `count` (8 or 16) row vectors of 16 lanes in log2(count) rounds. With element
    /// (r, c) at vector r, lane c, a zip of the vector pairs that differ in one bit of r moves that
    /// bit to the lowest lane bit and the top lane bit into the vector index (a perfect shuffle of
    /// the 32-lane concatenation, one `vpermt2ps` per output). After the rounds, vector q holds the
    /// elements with c = (q << (4 - log2 count)) + lane >> log2 count, r = lane & (count - 1).
    @inline(__always)
    static func zipRounds(_ v: UnsafeMutablePointer<SIMD16<Float>>, count: Int) {
        var bit = count >> 1
        while bit > 0 {
            for i in 0..<count where i & bit == 0 {
                let x = v[i], y = v[i | bit]
                v[i] = interleave(SIMD16(lowHalf: x.lowHalf, highHalf: y.lowHalf))
                v[i | bit] = interleave(SIMD16(lowHalf: x.highHalf, highHalf: y.highHalf))
            }
            bit >>= 1
        }
    }

    /// [x0 .. x7, y0 .. y7] → [x0, y0, x1, y1, ..., x7, y7] for a vector holding x in its low half.
    @inline(__always)
    static func interleave(_ v: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(v[0], v[8], v[1], v[9], v[2], v[10], v[3], v[11], v[4], v[12], v[5], v[13], v[6], v[14], v[7], v[15])
    }
}
