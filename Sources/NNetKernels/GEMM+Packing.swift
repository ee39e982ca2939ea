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
                if height == tileRows {
                    while p + 16 <= depth {
                        transpose8x16(source + p, stride: lda, into: out + p &* 8)
                        p += 16
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
    /// Edge strips are packed with vectors too (16 columns at a time, the rest zero): the last
    /// strip of a 784- or 400-wide op(B) is 16 columns, and element by element its transposed
    /// packing cost more than a full strip's.
    static func packBStrip(_ b: UnsafePointer<Float>, ldb: Int, transposed: Bool, depth: Int, column: Int,
                           width: Int, into out: UnsafeMutablePointer<Float>) {
        let lowLanes = min(16, width), highLanes = max(0, width - 16)
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
                    let from = source + p &* ldb
                    Vector.store(Vector.load(from, lanes: lowLanes), out + p &* 32)
                    Vector.store(highLanes > 0 ? Vector.load(from + 16, lanes: highLanes) : Vector.F(), out + p &* 32 + 16)
                }
            }
            return
        }
        // B[p, j] = b[j·ldb + p]: 16x16 blocks transposed in registers, then scalar tails.
        let source = b + column * ldb
        var p = 0
        if width >= 16 {
            while p + 16 <= depth {
                transpose16x16(source + p, stride: ldb, into: out + p &* 32, outputStride: 32)
                if width == tileColumns {
                    transpose16x16(source + 16 &* ldb + p, stride: ldb, into: out + p &* 32 + 16, outputStride: 32)
                } else {
                    for q in p..<(p + 16) {
                        var high = Vector.F()
                        for j in 0..<highLanes { high[j] = source[(16 &+ j) &* ldb &+ q] }
                        Vector.store(high, out + q &* 32 + 16)
                    }
                }
                p += 16
            }
        }
        while p < depth {
            for j in 0..<tileColumns { out[p &* 32 &+ j] = j < width ? source[j &* ldb &+ p] : 0 }
            p += 1
        }
    }

    // MARK: - In-register transposes
    //
    // With element (r, c) at vector r, lane c, `zip` of two vectors that differ in one bit of r is a
    // perfect shuffle of their 32-lane concatenation: that bit of r becomes the lowest lane bit and
    // the top lane bit moves into the vector index (one `vpermt2ps` per output). log2(rows) rounds
    // over the bits of r, highest first, transpose the block. Named locals, not an array, so all
    // 16 vectors stay in zmm registers.

    @inline(__always)
    static func zip(_ x: inout SIMD16<Float>, _ y: inout SIMD16<Float>) {
        let low = interleave(SIMD16(lowHalf: x.lowHalf, highHalf: y.lowHalf))
        y = interleave(SIMD16(lowHalf: x.highHalf, highHalf: y.highHalf))
        x = low
    }

    /// out[8c + r] = source[r·stride + c] for r in 0..<8, c in 0..<16: eight 16-float rows become
    /// sixteen 8-float columns, two per output vector (lane = 8·(c & 1) + r after three rounds).
    @inline(__always)
    static func transpose8x16(_ source: UnsafePointer<Float>, stride: Int, into out: UnsafeMutablePointer<Float>) {
        var v0 = Vector.load(source), v1 = Vector.load(source + stride)
        var v2 = Vector.load(source + 2 &* stride), v3 = Vector.load(source + 3 &* stride)
        var v4 = Vector.load(source + 4 &* stride), v5 = Vector.load(source + 5 &* stride)
        var v6 = Vector.load(source + 6 &* stride), v7 = Vector.load(source + 7 &* stride)
        zip(&v0, &v4); zip(&v1, &v5); zip(&v2, &v6); zip(&v3, &v7)
        zip(&v0, &v2); zip(&v1, &v3); zip(&v4, &v6); zip(&v5, &v7)
        zip(&v0, &v1); zip(&v2, &v3); zip(&v4, &v5); zip(&v6, &v7)
        Vector.store(v0, out); Vector.store(v1, out + 16); Vector.store(v2, out + 32); Vector.store(v3, out + 48)
        Vector.store(v4, out + 64); Vector.store(v5, out + 80); Vector.store(v6, out + 96); Vector.store(v7, out + 112)
    }

    /// out[c·outputStride + r] = source[r·stride + c] for r, c in 0..<16.
    @inline(__always)
    static func transpose16x16(_ source: UnsafePointer<Float>, stride: Int,
                               into out: UnsafeMutablePointer<Float>, outputStride: Int) {
        @inline(__always) func row(_ r: Int) -> SIMD16<Float> { Vector.load(source + r &* stride) }
        var v0 = row(0), v1 = row(1), v2 = row(2), v3 = row(3), v4 = row(4), v5 = row(5), v6 = row(6), v7 = row(7)
        var v8 = row(8), v9 = row(9), v10 = row(10), v11 = row(11)
        var v12 = row(12), v13 = row(13), v14 = row(14), v15 = row(15)
        zip(&v0, &v8); zip(&v1, &v9); zip(&v2, &v10); zip(&v3, &v11)
        zip(&v4, &v12); zip(&v5, &v13); zip(&v6, &v14); zip(&v7, &v15)
        zip(&v0, &v4); zip(&v1, &v5); zip(&v2, &v6); zip(&v3, &v7)
        zip(&v8, &v12); zip(&v9, &v13); zip(&v10, &v14); zip(&v11, &v15)
        zip(&v0, &v2); zip(&v1, &v3); zip(&v4, &v6); zip(&v5, &v7)
        zip(&v8, &v10); zip(&v9, &v11); zip(&v12, &v14); zip(&v13, &v15)
        zip(&v0, &v1); zip(&v2, &v3); zip(&v4, &v5); zip(&v6, &v7)
        zip(&v8, &v9); zip(&v10, &v11); zip(&v12, &v13); zip(&v14, &v15)
        @inline(__always) func store(_ v: SIMD16<Float>, _ c: Int) { Vector.store(v, out + c &* outputStride) }
        store(v0, 0); store(v1, 1); store(v2, 2); store(v3, 3); store(v4, 4); store(v5, 5); store(v6, 6)
        store(v7, 7); store(v8, 8); store(v9, 9); store(v10, 10); store(v11, 11); store(v12, 12)
        store(v13, 13); store(v14, 14); store(v15, 15)
    }

    /// [x0 .. x7, y0 .. y7] → [x0, y0, x1, y1, ..., x7, y7] for a vector holding x in its low half.
    @inline(__always)
    static func interleave(_ v: SIMD16<Float>) -> SIMD16<Float> {
        SIMD16(v[0], v[8], v[1], v[9], v[2], v[10], v[3], v[11], v[4], v[12], v[5], v[13], v[6], v[14], v[7], v[15])
    }
}
